import { Injectable } from '@nestjs/common';
import { PreparedQuery } from '../store/prepared-query';
import { DeviceCredentialsTable } from '../store/schema';
import { Store } from '../store/store';

// Read on every device request: compiled once, like the statements of the ingestion path.
const currentVersion = new PreparedQuery<{ version: number }>(0, (db) =>
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
}

export interface DeviceCredentialListing extends DeviceCredentialsTable {
  last_seen_at: string | null;
}

@Injectable()
export class DeviceCredentialsRepository {
  private snapshot: CredentialsSnapshot | null = null;

  constructor(private readonly store: Store) {}

  /**
   * The credentials as stored now. One small read per call (the version, moved by triggers
   * on every change, from this process or an admin command); all of them are re-read only
   * when it moved, so a revocation applies to the very next request.
   */
  async current(): Promise<CredentialsSnapshot> {
    const [{ version }] = this.store.readNow(currentVersion.compile(this.store.db, []));
    if (this.snapshot?.version !== version) {
      // Read after the version: rows never older than the version they are kept under.
      const rows = await this.store.db.selectFrom('device_credentials').selectAll().execute();
      this.snapshot = new CredentialsSnapshot(version, rows);
    }
    return this.snapshot;
  }

  /** Stores a device's token; false if the device already has one that is not revoked. */
  add(row: DeviceCredentialsTable): Promise<boolean> {
    return this.store.write('credential.add', row);
  }

  /** False if the device has no token or it is already revoked. */
  revoke(deviceId: string, at: string): Promise<boolean> {
    return this.store.write('credential.revoke', { deviceId, at });
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
