import { CompiledQuery, SqliteDialect, SqliteDriver } from 'kysely';
import type { DatabaseConnection, Driver, SqliteDialectConfig } from 'kysely';

/**
 * SQLite as Kysely speaks it, except that a transaction begins IMMEDIATE: it takes the write
 * lock first, waiting for it under `busy_timeout` while another connection (the writer
 * thread, an admin command) holds it. A plain (deferred) BEGIN reads first and asks for the
 * lock at the first write; if another connection committed in between, SQLite refuses that
 * write at once ("database is locked") instead of waiting. Every transaction this server
 * opens is a write (group commits, migrations), so none loses anything by starting with the lock.
 */
export class SqliteWriteDialect extends SqliteDialect {
  constructor(private readonly settings: SqliteDialectConfig) {
    super(settings);
  }

  override createDriver(): Driver {
    return new ImmediateTransactionDriver(this.settings);
  }
}

class ImmediateTransactionDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}
