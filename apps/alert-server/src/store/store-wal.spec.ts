import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { APP_STORE, AppStore, Database } from '../app-store';
import { Store, StoreOptions } from './store';
import { WAL_SIZE_LIMIT_BYTES } from './wal-sync';

/**
 * The WAL's bound comes from how the store opens its connections (SQLite's automatic
 * checkpoint), not from its commit path: a spec of its own, so that mutation testing of the
 * commit path does not run its 1,500 fsynced commits for every mutant.
 */
describe.each<[string, StoreOptions['writer']]>([
  ['on its writer thread', 'thread'],
  ['on the main thread', 'main'],
])('Store WAL, writing %s', (_label, writer) => {
  let dir: string;
  let path: string;
  let store: AppStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-store-wal-'));
    path = join(dir, 'vigie.db');
    store = await Store.open(path, APP_STORE, { writer });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps its WAL bounded: SQLite checkpoints it as commits go on', async () => {
    // A commit per write, each adding a row of about 3 KB: some 12 MB of WAL frames in all,
    // three times the 1000 pages after which the writing connection checkpoints.
    const location = 'x'.repeat(3_000);
    let largestWal = 0;
    for (let i = 0; i < 1_500; i++) {
      await store.write('device.upsert', device(`pi-${i}`, { location }));
      if (i % 50 === 0) largestWal = Math.max(largestWal, statSync(`${path}-wal`).size);
    }
    expect(statSync(path).size).toBeGreaterThan(1_500 * 3_000);
    expect(largestWal).toBeGreaterThan(0);
    expect(largestWal).toBeLessThan(6 * 1024 * 1024);
  });

  it('gives the disk back after a long read held checkpoints off: the grown WAL is cut to the limit', async () => {
    const location = 'x'.repeat(3_000);
    // A reader's open snapshot (a backup, a slow query) keeps every frame in the WAL.
    const reader = new BetterSqlite3(path, { readonly: true });
    reader.exec('begin');
    reader.prepare('select count(*) from devices').get();
    for (let i = 0; i < 4_000; i++) await store.write('device.upsert', device(`pi-${i}`, { location }));
    const grown = statSync(`${path}-wal`).size;
    expect(grown).toBeGreaterThan(WAL_SIZE_LIMIT_BYTES);

    reader.exec('commit');
    reader.close();
    // The next checkpoint completes and the WAL starts over: its file is then cut to the limit.
    let wal = grown;
    for (let i = 0; i < 2_000 && wal > WAL_SIZE_LIMIT_BYTES; i++) {
      await store.write('device.upsert', device(`pi-more-${i}`, { location }));
      wal = statSync(`${path}-wal`).size;
    }
    expect(wal).toBeLessThanOrEqual(WAL_SIZE_LIMIT_BYTES);
  });
});

const device = (id: string, overrides: Partial<Database['devices']> = {}): Database['devices'] => ({
  id,
  location: null,
  agent_version: null,
  spool_depth: null,
  uptime_seconds: null,
  first_seen_at: '2026-11-24T10:00:00.000Z',
  last_seen_at: '2026-11-24T10:00:00.000Z',
  ...overrides,
});
