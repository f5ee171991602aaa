import type { Database } from '../app-store';
import type { WriteOperation } from '../store/write-operation';
import type { DeviceEnrollmentsTable } from './enrollment.schema';

export interface RedeemArgs {
  codeHash: string;
  at: string;
  from: string | null;
  /** The new device token's hash, stored if the code is good. */
  tokenHash: string;
}

export type RedeemOutcome =
  | { kind: 'enrolled'; deviceId: string; location: string | null; replacedToken: boolean }
  | { kind: 'refused'; reason: 'unknown' | 'used' | 'expired'; deviceId: string | null };

const create: WriteOperation<Database, DeviceEnrollmentsTable, void> = async (trx, row) => {
  await trx.insertInto('device_enrollments').values(row).execute();
};

/**
 * Uses a code once: in one transaction the code is marked used and the device's token stored,
 * so two requests racing with the same code cannot both get a token. A device that already had
 * a token gets the new one in its place (a Pi replaced or reinstalled): the old one is refused
 * from the commit on.
 */
const redeem: WriteOperation<Database, RedeemArgs, RedeemOutcome> = async (
  trx,
  { codeHash, at, from, tokenHash },
) => {
  const code = await trx
    .selectFrom('device_enrollments')
    .selectAll()
    .where('code_hash', '=', codeHash)
    .executeTakeFirst();
  if (!code) return { kind: 'refused', reason: 'unknown', deviceId: null };
  if (code.used_at !== null) return { kind: 'refused', reason: 'used', deviceId: code.device_id };
  if (code.expires_at <= at) return { kind: 'refused', reason: 'expired', deviceId: code.device_id };
  await trx
    .updateTable('device_enrollments')
    .set({ used_at: at, used_from: from })
    .where('code_hash', '=', codeHash)
    .execute();
  const existing = await trx
    .selectFrom('device_credentials')
    .select('revoked_at')
    .where('device_id', '=', code.device_id)
    .executeTakeFirst();
  await trx
    .insertInto('device_credentials')
    .values({
      device_id: code.device_id,
      token_hash: tokenHash,
      location: code.location,
      created_at: at,
      revoked_at: null,
    })
    .onConflict((conflict) =>
      conflict
        .column('device_id')
        .doUpdateSet({ token_hash: tokenHash, location: code.location, created_at: at, revoked_at: null }),
    )
    .execute();
  return {
    kind: 'enrolled',
    deviceId: code.device_id,
    location: code.location,
    replacedToken: existing !== undefined && existing.revoked_at === null,
  };
};

export const ENROLLMENT_WRITES = {
  'enrollment.create': create,
  'enrollment.redeem': redeem,
};
