import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_STORE, AppStore, Database } from '../app-store';
import { Store, StoreOptions } from './store';

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
