import type { Database } from '../app-store';
import type { WriteOperation } from '../store/write-operation';
import type { DeviceCredentialsTable } from './credentials.schema';

/** Stores a device's token; false if the device already has one that is not revoked. */
const add: WriteOperation<Database, DeviceCredentialsTable, boolean> = async (trx, row) => {
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
};

/** False if the device has no token or it is already revoked. */
const revoke: WriteOperation<Database, { deviceId: string; at: string }, boolean> = async (
  trx,
  { deviceId, at },
) => {
  const result = await trx
    .updateTable('device_credentials')
    .set({ revoked_at: at })
    .where('device_id', '=', deviceId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
};

export const CREDENTIAL_WRITES = {
  'credential.add': add,
  'credential.revoke': revoke,
};
