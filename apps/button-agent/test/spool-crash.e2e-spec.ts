import { ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { uuidv7 } from '@app/contracts';
import { SetAside, Spool } from '../src/spool/spool';
import { AlertBody } from '../src/spool/spooled-alert';
import { alertFor } from './fixtures/spool-writer';

/**
 * The spool survives the Pi dying in the middle of a write (issue 3, "Spool"): a child process
 * writes alerts in a tight loop and is killed with SIGKILL at random moments; a fresh Spool
 * then reads the folder without error, and every alert the child had finished writing (its
 * `add()` resolved and it printed the alert) is there once, intact. Torn files are set aside.
 */

const REPO_ROOT = resolve(__dirname, '../../..');
const WRITER = join(__dirname, 'fixtures/spool-writer.ts');
const ROUNDS = 10;

interface Writer {
  child: ChildProcess;
  /** Complete stdout lines only: a line cut by the kill is not a claim of anything. */
  lines: () => string[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();

function startWriter(spoolDir: string): Writer {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', WRITER],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, TS_NODE_PROJECT: join(REPO_ROOT, 'tsconfig.json'), VIGIE_SPOOL_DIR: spoolDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('close', (code, signal) => {
      children.delete(child);
      resolveExit({ code, signal });
    }),
  );
  return { child, lines: () => out.split('\n').slice(0, -1), stderr: () => err, exited };
}

/** Resolves once the writer has finished `count` alerts; rejects if it exits first or after `timeoutMs`. */
async function finishedAlerts(writer: Writer, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void writer.exited.then(() => (exited = true));
  while (writer.lines().length < count) {
    if (exited || Date.now() > deadline) {
      throw new Error(
        `the spool writer ${exited ? 'exited' : 'is silent'} after ${writer.lines().length} alerts\n${writer.stderr()}`,
      );
    }
    await new Promise((resolveSleep) => setTimeout(resolveSleep, 5));
  }
}

const randomInt = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

describe('spool after a SIGKILL in the middle of writing', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-spool-crash-'));
  });

  afterEach(async () => {
    await Promise.all(
      [...children].map(
        (child) => new Promise((resolveClose) => (child.once('close', resolveClose), child.kill('SIGKILL'))),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  });

  const spoolFiles = () => readdirSync(dir).filter((name) => name.endsWith('.json'));
  const tempFiles = () => readdirSync(dir).filter((name) => name.endsWith('.tmp'));

  it(`keeps every finished alert exactly once and intact across ${ROUNDS} kills`, async () => {
    const finished = new Map<string, AlertBody>();
    const setAside: SetAside[] = [];
    let leftTemps = 0;

    for (let round = 1; round <= ROUNDS; round++) {
      const writer = startWriter(dir);
      // Let it get going (ts-node starts in a few hundred ms), then kill it at a random moment.
      await finishedAlerts(writer, randomInt(1, 20));
      await new Promise((resolveSleep) => setTimeout(resolveSleep, randomInt(0, 30)));
      writer.child.kill('SIGKILL');
      expect(await writer.exited).toEqual({ code: null, signal: 'SIGKILL' });
      for (const line of writer.lines()) {
        const alert = JSON.parse(line) as AlertBody;
        expect(finished.has(alert.id)).toBe(false);
        finished.set(alert.id, alert);
      }
      leftTemps = tempFiles().length;

      // What the agent does at start: a fresh Spool over the folder the dead writer left.
      const spool = new Spool(dir, (entry) => setAside.push(entry));
      await spool.init();
      const pending = await spool.pending();
      const pendingIds = pending.map((alert) => alert.id);
      expect(new Set(pendingIds).size).toBe(pendingIds.length);
      expect(pendingIds).toEqual([...pendingIds].sort()); // oldest first
      const missing = [...finished.keys()].filter((id) => !pendingIds.includes(id));
      expect({ round, missing }).toEqual({ round, missing: [] });
      for (const alert of pending) {
        // Finished but killed before it printed: still an intact alert, never a torn one.
        expect(alert).toEqual(finished.get(alert.id) ?? alertFor(alert.id, alert.triggeredAt));
      }
      expect(setAside).toEqual([]); // the rename is atomic: no torn `<uuid>.json`, ever
      expect(await spool.depth()).toBe(pending.length);
    }

    expect(finished.size).toBeGreaterThanOrEqual(ROUNDS);
    expect(readdirSync(join(dir, 'unreadable'))).toEqual([]);

    // Half-written temp files a dead writer left are never read as alerts; once stale, the sweep sets them aside.
    const spool = new Spool(dir, (entry) => setAside.push(entry));
    const before = await spool.pending();
    const temps = tempFiles();
    expect(temps.length).toBe(leftTemps);
    const old = new Date(Date.now() - 5 * 60_000);
    for (const name of temps) utimesSync(join(dir, name), old, old);
    await spool.sweepTemporaryFiles();
    expect(tempFiles()).toEqual([]);
    expect(readdirSync(join(dir, 'unreadable')).sort()).toEqual([...temps].sort());
    expect(setAside.map((entry) => entry.file).sort()).toEqual([...temps].sort());
    expect(await spool.pending()).toEqual(before);
  });

  it('ignores a half-written temp file, and sets it aside only once it is stale', async () => {
    const setAside: SetAside[] = [];
    const spool = new Spool(dir, (entry) => setAside.push(entry));
    await spool.init();
    const kept = alertFor(uuidv7(), new Date().toISOString());
    await spool.add(kept);
    const record = JSON.stringify({ version: 1, spooledAt: new Date().toISOString(), alert: kept });
    const fresh = `${uuidv7()}.json.tmp`;
    const stale = `${uuidv7()}.json.tmp`;
    writeFileSync(join(dir, fresh), record.slice(0, 40)); // a write in progress, for all we know
    writeFileSync(join(dir, stale), record.slice(0, 25));
    const old = new Date(Date.now() - 2 * 60_000);
    utimesSync(join(dir, stale), old, old);

    expect(await spool.pending()).toEqual([kept]);
    expect(await spool.depth()).toBe(1);

    await spool.sweepTemporaryFiles();
    expect(tempFiles()).toEqual([fresh]); // a live writer may still be writing it
    expect(readdirSync(join(dir, 'unreadable'))).toEqual([stale]);
    expect(setAside).toEqual([{ file: stale, reason: expect.stringMatching(/half-written/) }]);

    await spool.sweepTemporaryFiles(Date.now() + 2 * 60_000);
    expect(tempFiles()).toEqual([]);
    expect(readdirSync(join(dir, 'unreadable')).sort()).toEqual([fresh, stale].sort());
    expect(await spool.pending()).toEqual([kept]);
  });

  it('sets aside a torn or foreign <uuid>.json with its reason and still reads the others', async () => {
    const setAside: SetAside[] = [];
    const spool = new Spool(dir, (entry) => setAside.push(entry));
    await spool.init();
    const at = Date.now();
    // Ids in press order, so the bad files sit before, between and after the good ones.
    const [tornId, firstId, emptyId, garbageId, secondId, foreignId, wrongId] = Array.from(
      { length: 7 },
      (_, i) => uuidv7(at + i),
    );
    const first = alertFor(firstId, new Date(at).toISOString());
    const second = alertFor(secondId, new Date(at).toISOString());
    await spool.add(first);
    await spool.add(second);
    const whole = readFileSync(join(dir, `${firstId}.json`), 'utf8');
    const bad: Record<string, string> = {
      [tornId]: whole.slice(0, Math.floor(whole.length / 2)),
      [emptyId]: '',
      [garbageId]: '\u0000\u0000garbage{{',
      [foreignId]: JSON.stringify({ hello: 'world' }),
      [wrongId]: whole, // a sound record, but of another alert than its name says
    };
    for (const [id, text] of Object.entries(bad)) writeFileSync(join(dir, `${id}.json`), text);

    expect(await spool.oldest()).toEqual(first); // the torn file before it does not block delivery
    expect(await spool.pending()).toEqual([first, second]);

    const badFiles = Object.keys(bad)
      .map((id) => `${id}.json`)
      .sort();
    expect(spoolFiles().sort()).toEqual([`${firstId}.json`, `${secondId}.json`].sort());
    expect(readdirSync(join(dir, 'unreadable')).sort()).toEqual(badFiles);
    for (const id of Object.keys(bad)) {
      expect(readFileSync(join(dir, 'unreadable', `${id}.json`), 'utf8')).toBe(bad[id]); // kept as found
    }
    expect(setAside.map((entry) => entry.file).sort()).toEqual(badFiles);
    const reasonOf = (id: string) => setAside.find((entry) => entry.file === `${id}.json`)?.reason;
    expect(reasonOf(tornId)).toMatch(/torn|JSON/);
    expect(reasonOf(emptyId)).toMatch(/torn|JSON/);
    expect(reasonOf(garbageId)).toMatch(/torn|JSON/);
    expect(reasonOf(foreignId)).toMatch(/not a spool record/);
    expect(reasonOf(wrongId)).toMatch(/does not match/);
    expect(await spool.depth()).toBe(2);
    expect(existsSync(join(dir, 'rejected'))).toBe(true);
  });
});
