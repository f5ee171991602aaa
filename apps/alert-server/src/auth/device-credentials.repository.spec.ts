import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { APP_STORE, AppStore } from '../app-store';
import { Store } from '../store/store';
import { DeviceCredentialsRepository } from './device-credentials.repository';

describe('DeviceCredentialsRepository: tokens in memory, re-read when they change', () => {
  let dir: string;
  let path: string;
  let store: AppStore;
  let repository: DeviceCredentialsRepository;
  /** Another connection, as an admin command in another process has. */
  let other: BetterSqlite3.Database;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-credentials-'));
    path = join(dir, 'vigie.db');
    store = await Store.open(path, APP_STORE);
    repository = new DeviceCredentialsRepository(store);
    other = new BetterSqlite3(path);
  });

  afterEach(async () => {
    other.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const addElsewhere = (deviceId: string, tokenHash: string) =>
    other
      .prepare(
        'insert into device_credentials (device_id, token_hash, location, created_at, revoked_at) values (?, ?, null, ?, null)',
      )
      .run(deviceId, tokenHash, '2026-11-25T00:00:00.000Z');

  /** What separates two requests that did not arrive together: a turn of the event loop. */
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  it('sees a token added by another connection from the next turn of the event loop', async () => {
    expect((await repository.current()).ofDevice('pi-1')).toBeUndefined();
    addElsewhere('pi-1', 'a'.repeat(64));
    await nextTurn();
    const snapshot = await repository.current();
    expect(snapshot.ofDevice('pi-1')).toMatchObject({ token_hash: 'a'.repeat(64), revoked_at: null });
    expect(snapshot.withTokenHash('a'.repeat(64))?.device_id).toBe('pi-1');
  });

  it('sees a revocation, an update and a deletion by another connection from the next turn', async () => {
    addElsewhere('pi-1', 'a'.repeat(64));
    addElsewhere('pi-2', 'b'.repeat(64));
    await repository.current();

    other
      .prepare('update device_credentials set revoked_at = ? where device_id = ?')
      .run('2026-11-25T01:00:00.000Z', 'pi-1');
    await nextTurn();
    expect((await repository.current()).ofDevice('pi-1')?.revoked_at).toBe('2026-11-25T01:00:00.000Z');

    other.prepare('delete from device_credentials where device_id = ?').run('pi-2');
    await nextTurn();
    const snapshot = await repository.current();
    expect(snapshot.ofDevice('pi-2')).toBeUndefined();
    expect(snapshot.withTokenHash('b'.repeat(64))).toBeUndefined();
  });

  it("sees the server's own writes, and keeps its snapshot while nothing about tokens changes", async () => {
    await repository.add({
      device_id: 'pi-3',
      token_hash: 'c'.repeat(64),
      location: null,
      created_at: '2026-11-25T00:00:00.000Z',
      revoked_at: null,
    });
    const first = await repository.current();
    expect(first.ofDevice('pi-3')).toBeDefined();

    // Alerts and devices are written all the time: they do not make the tokens be read again.
    await store.write('device.upsert', {
      id: 'pi-3',
      location: null,
      agent_version: null,
      spool_depth: null,
      uptime_seconds: null,
      first_seen_at: '2026-11-25T00:00:00.000Z',
      last_seen_at: '2026-11-25T00:00:00.000Z',
    });
    expect(await repository.current()).toBe(first);

    await repository.revoke('pi-3', '2026-11-25T02:00:00.000Z');
    const after = await repository.current();
    expect(after).not.toBe(first);
    expect(after.ofDevice('pi-3')?.revoked_at).toBe('2026-11-25T02:00:00.000Z');
  });

  it('reads the version once per turn: requests that arrived together share it', async () => {
    const reads = jest.spyOn(store, 'readNow');
    await Promise.all([repository.current(), repository.current(), repository.current()]);
    expect(reads).toHaveBeenCalledTimes(1);
    // A change committed meanwhile by another process is seen from the next turn on.
    addElsewhere('pi-4', 'd'.repeat(64));
    expect((await repository.current()).ofDevice('pi-4')).toBeUndefined();
    await nextTurn();
    expect((await repository.current()).ofDevice('pi-4')).toBeDefined();
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it("applies the server's own revocation at once, even within the same turn", async () => {
    // Hold the end of the turn back (only the repository's own timer), as when the write's
    // answer and the next request arrive in the same turn.
    const realSetImmediate = global.setImmediate;
    const held = jest
      .spyOn(global, 'setImmediate')
      .mockImplementation((callback: () => void, ...args: []) =>
        callback === (repository as unknown as { forgetVersion: () => void }).forgetVersion
          ? ({} as NodeJS.Immediate)
          : realSetImmediate(callback, ...args),
      );
    await repository.add({
      device_id: 'pi-5',
      token_hash: 'e'.repeat(64),
      location: null,
      created_at: '2026-11-25T00:00:00.000Z',
      revoked_at: null,
    });
    expect((await repository.current()).ofDevice('pi-5')?.revoked_at).toBeNull();
    await repository.revoke('pi-5', '2026-11-25T03:00:00.000Z');
    expect((await repository.current()).ofDevice('pi-5')?.revoked_at).toBe('2026-11-25T03:00:00.000Z');
    held.mockRestore();
  });
});
