import { sql } from 'kysely';
import type { WriteOperation, WriteRegistry } from './write-operation';

/**
 * Rewrites the database header's `user_version` with the value it has: no data changes, yet
 * SQLite writes the header page to the WAL and the commit fsyncs it. The smallest real commit,
 * so it tells whether commits succeed again (readiness after a disk error) without touching
 * any feature's rows. Nothing in Vigie reads `user_version` (the migrator keeps its own table).
 */
const probe: WriteOperation<unknown, Record<string, never>, void> = async (trx) => {
  const { rows } = await sql<{ user_version: number }>`pragma user_version`.execute(trx);
  const version = Math.trunc(Number(rows[0]?.user_version ?? 0));
  await sql.raw(`pragma user_version = ${version}`).execute(trx);
};

/** The store's own writes, added to every application's. */
export const STORE_WRITES = {
  'store.probe': probe,
} satisfies WriteRegistry;
