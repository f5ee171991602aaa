import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { APP_STORE, APP_WRITES, AppStore, Database } from '../app-store';
import { StoreDiskError } from './disk-error';
import { Store, StoreClosedError, StoreOptions, StoreStalledError } from './store';

// The store's specs run it with the application's registry: its writes are the fixtures.
type DevicesTable = Database['devices'];

const device = (id: string, overrides: Partial<DevicesTable> = {}): DevicesTable => ({
  id,
  location: null,
  agent_version: null,
  spool_depth: null,
  uptime_seconds: null,
  first_seen_at: '2026-11-24T10:00:00.000Z',
  last_seen_at: '2026-11-24T10:00:00.000Z',
  ...overrides,
});

/** The same behaviour whether commits run on the writer thread (the server) or the main thread. */
describe.each<[string, StoreOptions['writer']]>([
  ['on its writer thread', 'thread'],
  ['on the main thread', 'main'],
])('Store, writing %s', (_label, writer) => {
  let dir: string;
  let path: string;
  let store: AppStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-store-'));
    path = join(dir, 'nested', 'folder', 'vigie.db');
    store = await Store.open(path, APP_STORE, { writer });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const insertDevice = (id: string) => store.write('device.upsert', device(id));
  const storedIds = async () =>
    (await store.db.selectFrom('devices').select('id').orderBy('id').execute()).map((row) => row.id);

  it('creates the folder, uses WAL, and reads its own writes as soon as they are answered', async () => {
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
    expect(mode.rows[0].journal_mode).toBe('wal');
    expect(store.writerState.kind).toBe(writer);
    await insertDevice('pi-1');
    expect(await storedIds()).toEqual(['pi-1']);
  });

  it('groups writes queued in the same turn of the event loop into one commit', async () => {
    const commits = jest.spyOn((store as unknown as { writer: { commit: () => unknown } }).writer, 'commit');
    await Promise.all(Array.from({ length: 40 }, (_, i) => insertDevice(`pi-${i}`)));
    expect(commits).toHaveBeenCalledTimes(1);
    await Promise.all([insertDevice('pi-x'), insertDevice('pi-y')]);
    expect(commits).toHaveBeenCalledTimes(2);
    expect(await storedIds()).toHaveLength(42);
  });

  it('undoes a failing write alone and commits the others of its group, with the error of the failing one', async () => {
    const results = await Promise.allSettled([
      insertDevice('pi-a'),
      // NOT NULL first_seen_at: SQLite refuses the row.
      store.write('device.upsert', device('pi-half', { first_seen_at: null as unknown as string })),
      insertDevice('pi-b'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'SQLITE_CONSTRAINT_NOTNULL',
      message: expect.stringContaining('devices.first_seen_at') as string,
    });
    expect(await storedIds()).toEqual(['pi-a', 'pi-b']);
  });

  it('returns what the write returns', async () => {
    const row = { id: 'op-1', name: 'Op', password_hash: 'h', created_at: '2026-11-24T10:00:00.000Z' };
    await expect(store.write('operator.add', row)).resolves.toBe(true);
    await expect(store.write('operator.add', row)).resolves.toBe(false);
  });

  it('reads lazy arguments when the batch is sent, so a queued write carries the latest state', async () => {
    const state = device('pi-lazy', { location: 'before' });
    const write = store.write('device.upsert', () => ({ ...state }));
    state.location = 'after';
    await write;
    const row = await store.db.selectFrom('devices').select('location').executeTakeFirstOrThrow();
    expect(row.location).toBe('after');
  });

  it('commits queued writes on close, then refuses new ones', async () => {
    const pending = insertDevice('pi-last');
    await store.close();
    await expect(pending).resolves.toBeUndefined();
    await expect(insertDevice('pi-late')).rejects.toBeInstanceOf(StoreClosedError);
    // A second close (a shutdown hook and a signal both asking) does nothing.
    await expect(store.close()).resolves.toBeUndefined();
    const reopened = new BetterSqlite3(path, { readonly: true });
    expect(reopened.prepare('select id from devices').all()).toEqual([{ id: 'pi-last' }]);
    reopened.close();
  });

  it('reports readiness through ping, and not once closed', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    await expect(store.ping()).rejects.toBeInstanceOf(StoreClosedError);
  });
});

describe('Store durability', () => {
  let dir: string;
  let store: AppStore | null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-store-'));
    store = null;
  });

  afterEach(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('on its thread, commits with synchronous=FULL: the WAL is fsynced inside each COMMIT', async () => {
    store = await Store.open(join(dir, 'vigie.db'), APP_STORE);
    expect(store.writerState).toMatchObject({ kind: 'thread', synchronous: 2 });
  });

  it('on the main thread, answers a write only after the WAL is fsynced off the event loop', async () => {
    store = await Store.open(join(dir, 'vigie.db'), APP_STORE, { writer: 'main' });
    // Commits only write the WAL (NORMAL); the fsync happens on the thread pool, before answering.
    expect(store.writerState.synchronous).toBe(1);
    const walSync = (store as unknown as { walSync: { sync(): Promise<void> } }).walSync;
    let releaseSync!: () => void;
    const sync = jest
      .spyOn(walSync, 'sync')
      .mockImplementation(() => new Promise<void>((resolve) => (releaseSync = resolve)));
    let answered = false;
    const write = store.write('device.upsert', device('pi-durable')).then(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sync).toHaveBeenCalledTimes(1);
    expect(answered).toBe(false);
    releaseSync();
    await write;
    expect(answered).toBe(true);
    sync.mockRestore();
  });
});

describe('Store when its writer thread fails', () => {
  let dir: string;
  let store: AppStore | null;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-store-'));
    store = null;
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    await store?.close();
    warn.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = async (s: AppStore) =>
    Number(
      (
        await s.db
          .selectFrom('devices')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('writes on the main thread when the thread cannot start, and says so', async () => {
    const failing = join(dir, 'failing.worker.js');
    writeFileSync(failing, "throw new Error('the writer could not start');\n");
    store = await Store.open(join(dir, 'vigie.db'), APP_STORE, { writerFile: failing });

    expect(store.writerState.kind).toBe('main');
    expect(warn.mock.calls[0][0]).toMatchObject({ code: 'STORE_WRITER_FAILED' });
    await store.write('device.upsert', device('pi-1'));
    expect(await count(store)).toBe(1);
  });

  it('fails the batch it held, then writes on the main thread', async () => {
    store = await Store.open(join(dir, 'vigie.db'), APP_STORE);
    await store.write('device.upsert', device('pi-before'));
    const thread = (store as unknown as { writer: { worker: { terminate(): Promise<number> } } }).writer;

    const held = store.write('device.upsert', device('pi-held'));
    await thread.worker.terminate();
    await expect(held).rejects.toMatchObject({ code: 'STORE_WRITER_FAILED' });

    expect(store.writerState.kind).toBe('main');
    expect(warn.mock.calls.map((call) => (call[0] as { code: string }).code)).toContain(
      'STORE_WRITER_FAILED',
    );
    await store.write('device.upsert', device('pi-after'));
    const ids = (await store.db.selectFrom('devices').select('id').execute()).map((row) => row.id);
    expect(ids).toContain('pi-before');
    expect(ids).toContain('pi-after');
  });
});

describe('Store readiness when a commit never ends', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-store-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails ping with STORE_WRITES_STALLED once a commit runs too long, and recovers after', async () => {
    // A writer thread that starts, then never answers a commit: a disk that hangs in fsync.
    const stuck = join(dir, 'stuck.worker.js');
    writeFileSync(
      stuck,
      "const { parentPort } = require('node:worker_threads');\n" +
        "parentPort.on('message', () => undefined);\n" +
        "parentPort.postMessage({ kind: 'ready', synchronous: 2 });\n",
    );
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const store = await Store.open(join(dir, 'vigie.db'), APP_STORE, {
      writerFile: stuck,
      stalledAfterMs: 100,
    });
    try {
      await expect(store.ping()).resolves.toBeUndefined();
      const held = store.write('device.upsert', device('pi-held'));
      await new Promise((resolve) => setTimeout(resolve, 200));

      const stalled = store.ping();
      await expect(stalled).rejects.toBeInstanceOf(StoreStalledError);
      await expect(stalled).rejects.toMatchObject({ code: 'STORE_WRITES_STALLED' });

      // The thread ends: its batch fails, writes go on on the main thread, readiness is back.
      await (
        store as unknown as { writer: { worker: { terminate(): Promise<number> } } }
      ).writer.worker.terminate();
      await expect(held).rejects.toMatchObject({ code: 'STORE_WRITER_FAILED' });
      await expect(store.ping()).resolves.toBeUndefined();
      await store.write('device.upsert', device('pi-after'));
    } finally {
      await store.close();
      warn.mockRestore();
    }
  });
});

describe('Store when a commit fails on the disk', () => {
  let dir: string;
  let store: AppStore;
  let error: jest.SpyInstance;
  let commit: jest.SpyInstance;

  /** What better-sqlite3 throws when the file system is full. */
  const diskFull = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-store-'));
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    store = await Store.open(join(dir, 'vigie.db'), APP_STORE, { writer: 'main' });
    commit = jest.spyOn((store as unknown as { writer: { commit: () => unknown } }).writer, 'commit');
  });

  afterEach(async () => {
    commit.mockRestore();
    await store.close();
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  const storedIds = async () =>
    (await store.db.selectFrom('devices').select('id').orderBy('id').execute()).map((row) => row.id);
  const userVersion = async () =>
    (await sql<{ user_version: number }>`pragma user_version`.execute(store.db)).rows[0].user_version;

  it('refuses every write of the batch with STORE_FULL, logs the run once, and fails readiness until a commit succeeds', async () => {
    commit.mockRejectedValue(diskFull());
    const first = await Promise.allSettled([
      store.write('device.upsert', device('pi-1')),
      store.write('device.upsert', device('pi-2')),
    ]);
    const second = store.write('device.upsert', device('pi-3'));
    await expect(second).rejects.toBeInstanceOf(StoreDiskError);
    for (const result of first) {
      expect(result).toMatchObject({
        status: 'rejected',
        reason: { code: 'STORE_FULL', reason: 'SQLITE_FULL' },
      });
    }

    // Readiness tries a commit of its own, which fails too.
    const calls = commit.mock.calls.length;
    await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_FULL' });
    expect(commit.mock.calls.length).toBe(calls + 1);

    const logged = error.mock.calls.map((call) => call[0] as { code?: string });
    expect(logged.filter((fields) => fields.code === 'STORE_FULL')).toHaveLength(1);
    expect(logged[0]).toMatchObject({ code: 'STORE_FULL', reason: 'SQLITE_FULL', writes: 2 });
    expect(error.mock.calls[0][1]).toBe(
      "a commit failed on the store's disk: writes are refused with 503 until a commit succeeds again",
    );

    // Space is back: no write comes, readiness finds out by itself.
    commit.mockRestore();
    const versionBefore = await userVersion();
    await expect(store.ping()).resolves.toBeUndefined();
    expect(await userVersion()).toBe(versionBefore);
    await store.write('device.upsert', device('pi-4'));
    expect(await storedIds()).toEqual(['pi-4']);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('fails the whole batch when one of its writes meets the disk: no replay, nothing stored', async () => {
    const upsert = APP_WRITES['device.upsert'];
    jest.spyOn(APP_WRITES, 'device.upsert').mockImplementation((trx, row) => {
      if (row.id === 'pi-full') throw diskFull();
      return upsert(trx, row);
    });
    const results = await Promise.allSettled(
      ['pi-1', 'pi-full', 'pi-3'].map((id) => store.write('device.upsert', device(id))),
    );
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'STORE_FULL' });
    expect(await storedIds()).toEqual([]);
  });

  it('maps the errno of a failed WAL fsync (the fallback writer) too', async () => {
    commit.mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    await expect(store.write('device.upsert', device('pi-1'))).rejects.toMatchObject({
      code: 'STORE_IO_ERROR',
      reason: 'EIO',
    });
  });

  it('keeps a commit that failed for another reason than the disk its own error: readiness stays up, nothing logged as the disk', async () => {
    const gone = new Error('the writer thread exited');
    commit.mockRejectedValueOnce(gone);
    await expect(store.write('device.upsert', device('pi-1'))).rejects.toBe(gone);
    await expect(store.ping()).resolves.toBeUndefined();
    expect(error).not.toHaveBeenCalled();
  });

  it('keeps other failures what they are: a write refused by SQLite stays its own error, readiness stays up', async () => {
    await expect(
      store.write('device.upsert', device('pi-half', { first_seen_at: null as unknown as string })),
    ).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_NOTNULL' });
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('answers readiness with the last failure when its probe commit hangs', async () => {
    commit.mockRejectedValueOnce(diskFull());
    await expect(store.write('device.upsert', device('pi-1'))).rejects.toBeInstanceOf(StoreDiskError);
    let release!: (error: Error) => void;
    commit.mockReturnValueOnce(new Promise((_resolve, reject) => (release = reject)));

    const started = Date.now();
    await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_FULL' });
    expect(Date.now() - started).toBeLessThan(5_000);
    release(diskFull());
  });
});

describe('Store beside another writer on the same file (an admin command while the server runs)', () => {
  let dir: string;
  const stores: AppStore[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-store-'));
  });

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each<[string, StoreOptions['writer']]>([
    ['its writer thread', 'thread'],
    ['its main thread', 'main'],
  ])('writes that read then write never fail for a commit of the other (%s)', async (_label, writer) => {
    const path = join(dir, 'vigie.db');
    stores.push(await Store.open(path, APP_STORE, { writer }));
    stores.push(await Store.open(path, APP_STORE, { writer: 'main' }));
    // credential.add reads the device's row, then writes: in a deferred transaction the other
    // connection's commit in between made SQLite refuse the write at once (SQLITE_BUSY).
    const adds = Array.from({ length: 60 }, (_, i) =>
      stores[i % 2].write('credential.add', {
        device_id: `pi-${i}`,
        token_hash: `${i}`.padStart(64, '0'),
        location: null,
        created_at: '2026-11-25T00:00:00.000Z',
        revoked_at: null,
      }),
    );
    const results = await Promise.allSettled(adds);
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    const count = await stores[0].db
      .selectFrom('device_credentials')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(60);
  });
});
