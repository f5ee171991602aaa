import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import BetterSqlite3 from 'better-sqlite3';
import { APP_STORE, AppStore } from '../app-store';
import { Store } from './store';
import { WalCheckpointerOptions } from './wal-checkpointer';

/** About half a 4 KiB page per device row: the WAL grows fast enough to see. */
const LONG_LOCATION = 'Bâtiment B, '.repeat(170);

describe('WAL checkpoints off the event loop', () => {
  let dir: string;
  let path: string;
  let store: AppStore | null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-checkpoint-'));
    path = join(dir, 'vigie.db');
    store = null;
  });

  afterEach(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(checkpointer: WalCheckpointerOptions): Promise<AppStore> {
    store = await Store.open(path, APP_STORE, { checkpointer });
    return store;
  }

  /** `batches` group commits of `perBatch` new devices each, written concurrently as requests would. */
  async function writeDevices(s: AppStore, batches: number, perBatch: number, prefix = 'pi'): Promise<void> {
    for (let batch = 0; batch < batches; batch++) {
      await Promise.all(
        Array.from({ length: perBatch }, (_, i) =>
          s.write('device.upsert', {
            id: `${prefix}-${batch}-${i}`,
            location: LONG_LOCATION,
            agent_version: null,
            spool_depth: null,
            uptime_seconds: null,
            first_seen_at: '2026-11-24T10:00:00.000Z',
            last_seen_at: '2026-11-24T10:00:00.000Z',
          }),
        ),
      );
    }
  }

  /** The writer thread's connection, as it reports it after each change. */
  const writerAutocheckpoint = (s: AppStore) => s.writerState.autocheckpoint;

  async function until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('takes checkpoints over from the writer once its thread runs', async () => {
    const s = await open({ intervalMs: 0 });
    await until(() => s.checkpoints?.active === true, 'the checkpointer is running');
    await until(() => writerAutocheckpoint(s) === 0, "the writer's own checkpoints are off");

    await writeDevices(s, 20, 10);
    await until(() => (s.checkpoints?.lastCheckpoint?.framesCopied ?? 0) > 0, 'a checkpoint copied pages');
    const report = s.checkpoints!.lastCheckpoint!;
    expect(report.framesCopied).toBeLessThanOrEqual(report.framesInLog);
  });

  it('keeps the WAL bounded under continuous writes, and loses nothing', async () => {
    // Without restarts, 4,000 rows of half a page would leave a WAL of about 8 MiB.
    const s = await open({ intervalMs: 0, restartAtFrames: 64 });
    await until(() => s.checkpoints?.active === true, 'the checkpointer is running');

    let largestWal = 0;
    for (let round = 0; round < 20; round++) {
      await writeDevices(s, 10, 20, `round${round}`);
      largestWal = Math.max(largestWal, statSync(`${path}-wal`).size);
    }

    expect(largestWal).toBeLessThan(2 * 1024 * 1024);
    const count = await s.db
      .selectFrom('devices')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(4000);
  });

  it('gives checkpoints back to the writer when its thread fails, and writes go on', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const failing = join(dir, 'failing.worker.js');
    writeFileSync(failing, "throw new Error('the checkpointer could not start');\n");
    try {
      const s = await open({ workerFile: failing });
      await until(() => warn.mock.calls.length > 0, 'the failure is logged');

      expect(warn.mock.calls[0][0]).toMatchObject({ code: 'WAL_CHECKPOINTER_FAILED' });
      expect(s.checkpoints?.active).toBe(false);
      await until(() => writerAutocheckpoint(s) === 1000, "the writer's own checkpoints are back");
      await writeDevices(s, 2, 5);
    } finally {
      warn.mockRestore();
    }
  });

  it('reports a failed checkpoint, keeps its thread, and checkpoints again once the disk is back', async () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    // A checkpoint thread whose first two copies meet a full disk, as the real one replies.
    const fullThenBack = join(dir, 'full-then-back.worker.js');
    writeFileSync(
      fullThenBack,
      "const { parentPort } = require('node:worker_threads');\n" +
        'let calls = 0;\n' +
        "parentPort.on('message', (request) => {\n" +
        "  if (request.kind === 'stop') return parentPort.close();\n" +
        '  calls++;\n' +
        '  parentPort.postMessage(calls <= 2\n' +
        "    ? { kind: 'failed', id: request.id, code: 'SQLITE_FULL', message: 'database or disk is full' }\n" +
        "    : { kind: 'checkpointed', id: request.id, framesInLog: 10, framesCopied: 10 });\n" +
        '});\n' +
        "parentPort.postMessage({ kind: 'ready' });\n",
    );
    try {
      const s = await open({ workerFile: fullThenBack, intervalMs: 0 });
      await until(() => s.checkpoints?.active === true, 'the checkpointer is running');

      await writeDevices(s, 1, 1, 'first');
      await until(() => s.checkpoints?.lastFailure !== null, 'a checkpoint failed');
      expect(s.checkpoints?.lastFailure).toMatchObject({ code: 'SQLITE_FULL' });
      expect(s.checkpoints?.active).toBe(true);
      expect(writerAutocheckpoint(s)).toBe(0);
      expect(error.mock.calls[0][0]).toMatchObject({ code: 'WAL_CHECKPOINT_FAILED', reason: 'SQLITE_FULL' });

      // Tried again at the next interval (asked for between commits), until one succeeds.
      for (let round = 0; s.checkpoints?.lastCheckpoint === null && round < 100; round++) {
        await writeDevices(s, 1, 1, `again${round}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(s.checkpoints).toMatchObject({
        active: true,
        lastFailure: null,
        lastCheckpoint: { framesCopied: 10 },
      });
      expect(
        error.mock.calls.filter((call) => (call[0] as { code: string }).code === 'WAL_CHECKPOINT_FAILED'),
      ).toHaveLength(1);
      expect(log.mock.calls.map((call) => (call[0] as { code?: string }).code)).toContain(
        'WAL_CHECKPOINTS_RESUMED',
      );
    } finally {
      error.mockRestore();
      log.mockRestore();
    }
  });

  it('stops its thread on close; the writer closes last and leaves no WAL behind', async () => {
    const s = await open({ intervalMs: 0 });
    await until(() => s.checkpoints?.active === true, 'the checkpointer is running');
    await writeDevices(s, 5, 10);
    await s.close();
    store = null;

    expect(existsSync(`${path}-wal`)).toBe(false);
    const reopened = new BetterSqlite3(path, { readonly: true });
    expect(reopened.prepare('select count(*) as n from devices').get()).toEqual({ n: 50 });
    reopened.close();
  });
});
