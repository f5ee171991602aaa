import type { Database } from '../app-store';
import type { WriteOperation } from '../store/write-operation';
import type { OperatorsTable, SessionsTable } from './operators.schema';

/** False if the name is taken. */
const add: WriteOperation<Database, OperatorsTable, boolean> = async (trx, row) => {
  const inserted = await trx
    .insertInto('operators')
    .values(row)
    .onConflict((conflict) => conflict.column('id').doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows) === 1;
};

/** Removing an operator ends their sessions in the same commit. False if there is no such operator. */
const remove: WriteOperation<Database, { id: string }, boolean> = async (trx, { id }) => {
  await trx.deleteFrom('sessions').where('operator_id', '=', id).execute();
  const removed = await trx.deleteFrom('operators').where('id', '=', id).executeTakeFirst();
  return Number(removed.numDeletedRows) === 1;
};

const addSession: WriteOperation<Database, { row: SessionsTable; expiredBefore: string }, void> = async (
  trx,
  { row, expiredBefore },
) => {
  // Expired sessions are swept as new ones begin: the table holds live ones only.
  await trx.deleteFrom('sessions').where('expires_at', '<=', expiredBefore).execute();
  await trx.insertInto('sessions').values(row).execute();
};

const removeSession: WriteOperation<Database, { idHash: string }, boolean> = async (trx, { idHash }) => {
  const removed = await trx.deleteFrom('sessions').where('id_hash', '=', idHash).executeTakeFirst();
  return Number(removed.numDeletedRows) === 1;
};

export const OPERATOR_WRITES = {
  'operator.add': add,
  'operator.remove': remove,
  'session.add': addSession,
  'session.remove': removeSession,
};
