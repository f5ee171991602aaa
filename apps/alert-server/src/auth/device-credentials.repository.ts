import { Injectable } from '@nestjs/common';
import { PreparedQuery } from '../store/prepared-query';
import { DeviceCredentialsTable } from '../store/schema';
import { Store } from '../store/store';

// Read on every device request: compiled once, like the statements of the ingestion path.
const byDevice = new PreparedQuery<DeviceCredentialsTable>(1, (db, [deviceId]) =>
  db
    .selectFrom('device_credentials')
    .selectAll()
    .where('device_id', '=', deviceId as unknown as string),
);
const byTokenHash = new PreparedQuery<DeviceCredentialsTable>(1, (db, [tokenHash]) =>
  db
    .selectFrom('device_credentials')
    .selectAll()
    .where('token_hash', '=', tokenHash as unknown as string),
);

export interface DeviceCredentialListing extends DeviceCredentialsTable {
  last_seen_at: string | null;
}

@Injectable()
export class DeviceCredentialsRepository {
  constructor(private readonly store: Store) {}

  async findByDevice(deviceId: string): Promise<DeviceCredentialsTable | undefined> {
    const [row] = await byDevice.execute(this.store.db, [deviceId]);
    return row;
  }

  async findByTokenHash(tokenHash: string): Promise<DeviceCredentialsTable | undefined> {
    const [row] = await byTokenHash.execute(this.store.db, [tokenHash]);
    return row;
  }

  /** Stores a device's token; false if the device already has one that is not revoked. */
  add(row: DeviceCredentialsTable): Promise<boolean> {
    return this.store.write(async (trx) => {
      const existing = await trx
        .selectFrom('device_credentials')
        .select('revoked_at')
        .where('device_id', '=', row.device_id)
        .executeTakeFirst();
      if (existing && existing.revoked_at === null) return false;
      await trx
        .insertInto('device_credentials')
        .values(row)
        .onConflict((conflict) =>
          conflict.column('device_id').doUpdateSet({
            token_hash: row.token_hash,
            location: row.location,
            created_at: row.created_at,
            revoked_at: null,
          }),
        )
        .execute();
      return true;
    });
  }

  /** False if the device has no token or it is already revoked. */
  revoke(deviceId: string, at: string): Promise<boolean> {
    return this.store.write(async (trx) => {
      const result = await trx
        .updateTable('device_credentials')
        .set({ revoked_at: at })
        .where('device_id', '=', deviceId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
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
