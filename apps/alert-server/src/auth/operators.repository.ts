import { Injectable } from '@nestjs/common';
import { OperatorsTable, SessionsTable } from '../store/schema';
import { Store } from '../store/store';

/** Operators and their sessions: removing an operator ends their sessions in the same commit. */
@Injectable()
export class OperatorsRepository {
  constructor(private readonly store: Store) {}

  find(id: string): Promise<OperatorsTable | undefined> {
    return this.store.db.selectFrom('operators').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(): Promise<Pick<OperatorsTable, 'name' | 'created_at'>[]> {
    return this.store.db.selectFrom('operators').select(['name', 'created_at']).orderBy('id').execute();
  }

  /** False if the name is taken. */
  add(row: OperatorsTable): Promise<boolean> {
    return this.store.write(async (trx) => {
      const inserted = await trx
        .insertInto('operators')
        .values(row)
        .onConflict((conflict) => conflict.column('id').doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows) === 1;
    });
  }

  /** False if there is no such operator. */
  remove(id: string): Promise<boolean> {
    return this.store.write(async (trx) => {
      await trx.deleteFrom('sessions').where('operator_id', '=', id).execute();
      const removed = await trx.deleteFrom('operators').where('id', '=', id).executeTakeFirst();
      return Number(removed.numDeletedRows) === 1;
    });
  }

  /** The session and its operator's display name, if both exist. */
  findSession(idHash: string): Promise<(SessionsTable & { name: string }) | undefined> {
    return this.store.db
      .selectFrom('sessions')
      .innerJoin('operators', 'operators.id', 'sessions.operator_id')
      .selectAll('sessions')
      .select('operators.name')
      .where('sessions.id_hash', '=', idHash)
      .executeTakeFirst();
  }

  async addSession(row: SessionsTable, expiredBefore: string): Promise<void> {
    await this.store.write(async (trx) => {
      // Expired sessions are swept as new ones begin: the table holds live ones only.
      await trx.deleteFrom('sessions').where('expires_at', '<=', expiredBefore).execute();
      await trx.insertInto('sessions').values(row).execute();
    });
  }

  async removeSession(idHash: string): Promise<boolean> {
    return this.store.write(async (trx) => {
      const removed = await trx.deleteFrom('sessions').where('id_hash', '=', idHash).executeTakeFirst();
      return Number(removed.numDeletedRows) === 1;
    });
  }
}
