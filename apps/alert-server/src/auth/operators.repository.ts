import { Inject, Injectable } from '@nestjs/common';
import type { AppStore } from '../app-store';
import { Store } from '../store/store';
import type { OperatorsTable, SessionsTable } from './operators.schema';

/** Operators and their sessions: removing an operator ends their sessions in the same commit. */
@Injectable()
export class OperatorsRepository {
  constructor(@Inject(Store) private readonly store: AppStore) {}

  find(id: string): Promise<OperatorsTable | undefined> {
    return this.store.db.selectFrom('operators').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(): Promise<Pick<OperatorsTable, 'name' | 'created_at'>[]> {
    return this.store.db.selectFrom('operators').select(['name', 'created_at']).orderBy('id').execute();
  }

  /** False if the name is taken. */
  add(row: OperatorsTable): Promise<boolean> {
    return this.store.write('operator.add', row);
  }

  /** False if there is no such operator; their sessions end in the same commit. */
  remove(id: string): Promise<boolean> {
    return this.store.write('operator.remove', { id });
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

  addSession(row: SessionsTable, expiredBefore: string): Promise<void> {
    return this.store.write('session.add', { row, expiredBefore });
  }

  removeSession(idHash: string): Promise<boolean> {
    return this.store.write('session.remove', { idHash });
  }
}
