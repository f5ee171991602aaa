import { Inject, Injectable } from '@nestjs/common';
import type { CompiledQuery } from 'kysely';
import type { AppStore, Database } from '../app-store';
import { PreparedQuery } from '../store/prepared-query';
import { Store } from '../store/store';
import type { DeviceCredentialsTable } from './credentials.schema';

// Read on every device request: compiled once, like the statements of the ingestion path.
const currentVersion = new PreparedQuery<Database, { version: number }>(0, (db) =>
  db.selectFrom('credentials_version').select('version'),
);

/** Every device's credentials as of one `credentials_version`. */
export class CredentialsSnapshot {
  private readonly byDevice = new Map<string, DeviceCredentialsTable>();
  private readonly byTokenHash = new Map<string, DeviceCredentialsTable>();

  constructor(
    readonly version: number,
    rows: readonly DeviceCredentialsTable[],
  ) {
    for (const row of rows) {
      this.byDevice.set(row.device_id, row);
      this.byTokenHash.set(row.token_hash, row);
    }
  }

  ofDevice(deviceId: string): DeviceCredentialsTable | undefined {
    return this.byDevice.get(deviceId);
  }

  withTokenHash(tokenHash: string): DeviceCredentialsTable | undefined {
    return this.byTokenHash.get(tokenHash);
  }

  /** The devices whose token is not revoked. */
  active(): DeviceCredentialsTable[] {
    return [...this.byDevice.values()].filter((row) => row.revoked_at === null);
  }
}

export interface DeviceCredentialListing extends DeviceCredentialsTable {
  last_seen_at: string | null;
}

@Injectable()
export class DeviceCredentialsRepository {
  private snapshot: CredentialsSnapshot | null = null;
  private versionQuery: CompiledQuery<{ version: number }> | null = null;
  /** The version read during this turn of the event loop, forgotten at its end. */
  private versionThisTurn: number | null = null;
  private readonly forgetVersion = () => {
    this.versionThisTurn = null;
  };

  constructor(@Inject(Store) private readonly store: AppStore) {}

  /**
   * The credentials as stored now. The version (moved by triggers on every change, from this
   * process or an admin command) is read once per turn of the event loop; all the rows are
   * re-read only when it moved. So a revocation applies to every request that reaches the
   * server after it is committed: within one turn, the requests handled arrived together.
   * (The read costs some 20 µs under load, as each commit of the writer makes this connection
   * reload its pages; under load one turn handles several requests.)
   */
  async current(): Promise<CredentialsSnapshot> {
    const version = this.versionNow();
    if (this.snapshot?.version !== version) {
      // Read after the version: rows never older than the version they are kept under.
      const rows = await this.store.db.selectFrom('device_credentials').selectAll().execute();
      this.snapshot = new CredentialsSnapshot(version, rows);
    }
    return this.snapshot;
  }

  private versionNow(): number {
    if (this.versionThisTurn === null) {
      this.versionQuery ??= currentVersion.compile(this.store.db, []);
      const [{ version }] = this.store.readNow(this.versionQuery);
      this.versionThisTurn = version;
      setImmediate(this.forgetVersion);
    }
    return this.versionThisTurn;
  }

  /** Stores a device's token; false if the device already has one that is not revoked. */
  async add(row: DeviceCredentialsTable): Promise<boolean> {
    const added = await this.store.write('credential.add', row);
    this.forgetVersion(); // a change made here applies to the requests handled after it too
    return added;
  }

  /** False if the device has no token or it is already revoked. */
  async revoke(deviceId: string, at: string): Promise<boolean> {
    const revoked = await this.store.write('credential.revoke', { deviceId, at });
    this.forgetVersion();
    return revoked;
  }

  list(): Promise<DeviceCredentialListing[]> {
    return this.store.db
      .selectFrom('device_credentials')
      .leftJoin('devices', 'devices.id', 'device_credentials.device_id')
      .selectAll('device_credentials')
      .select('devices.last_seen_at')
      .orderBy('device_credentials.device_id')
      .execute();
  }
}
