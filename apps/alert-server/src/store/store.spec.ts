import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { Store, StoreClosedError } from './store';

describe('Store', () => {
  let dir: string;
  let store: Store;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-store-'));
    store = await Store.open(join(dir, 'nested', 'folder', 'vigie.db'));
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const insertDevice = (id: string) =>
    store.write((trx) =>
      trx
        .insertInto('devices')
        .values({
          id,
          location: null,
          agent_version: null,
          spool_depth: null,
          uptime_seconds: null,
          first_seen_at: '2026-11-24T10:00:00.000Z',
          last_seen_at: '2026-11-24T10:00:00.000Z',
        })
        .execute(),
    );

  it('creates the folder, uses WAL, and answers a write only after the WAL is fsynced', async () => {
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
    expect(mode.rows[0].journal_mode).toBe('wal');
    // Commits only write the WAL (NORMAL); the fsync happens off the event loop, before answering.
    const walSync = (store as unknown as { walSync: { sync(): Promise<void> } }).walSync;
    let releaseSync!: () => void;
    const sync = jest
      .spyOn(walSync, 'sync')
      .mockImplementation(() => new Promise<void>((resolve) => (releaseSync = resolve)));
    let answered = false;
    const write = insertDevice('pi-durable').then(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sync).toHaveBeenCalledTimes(1);
    expect(answered).toBe(false);
    releaseSync();
    await write;
    expect(answered).toBe(true);
    sync.mockRestore();
  });

  it('groups writes queued in the same turn of the event loop into one commit', async () => {
    const transactions = jest.spyOn(store.db, 'startTransaction');
    await Promise.all(Array.from({ length: 40 }, (_, i) => insertDevice(`pi-${i}`)));
    expect(transactions).toHaveBeenCalledTimes(1);
    await Promise.all([insertDevice('pi-x'), insertDevice('pi-y')]);
    expect(transactions).toHaveBeenCalledTimes(2);
    const count = await store.db
      .selectFrom('devices')
      .select(({ fn }) => fn.countAll().as('n'))
      .executeTakeFirst();
    expect(Number(count?.n)).toBe(42);
  });

  it('undoes a failing write alone and commits the others of its group', async () => {
    const results = await Promise.allSettled([
      insertDevice('pi-a'),
      store.write(async (trx) => {
        await trx
          .insertInto('devices')
          .values({ id: 'pi-half', first_seen_at: 'x', last_seen_at: 'x' })
          .execute();
        throw new Error('boom after a partial write');
      }),
      insertDevice('pi-b'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const ids = (await store.db.selectFrom('devices').select('id').orderBy('id').execute()).map((r) => r.id);
    expect(ids).toEqual(['pi-a', 'pi-b']);
  });

  it('commits queued writes on close, then refuses new ones', async () => {
    const pending = insertDevice('pi-last');
    await store.close();
    await expect(pending).resolves.toBeDefined();
    await expect(insertDevice('pi-late')).rejects.toBeInstanceOf(StoreClosedError);
    const reopened = new BetterSqlite3(join(dir, 'nested', 'folder', 'vigie.db'), { readonly: true });
    expect(reopened.prepare('select id from devices').all()).toEqual([{ id: 'pi-last' }]);
    reopened.close();
  });

  it('reports readiness through ping, and not once closed', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    await expect(store.ping()).rejects.toBeInstanceOf(StoreClosedError);
  });
});
