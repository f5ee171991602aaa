import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Distinct statements the server runs are few; the bound only guards against a surprise. */
const MAX_CACHED_STATEMENTS = 500;

/**
 * The SQLite handle given to the query layer, preparing each distinct SQL text once.
 * Kysely prepares a statement per query; on the ingestion path that costs more than
 * running it.
 */
export class StatementCache implements SqliteDatabase {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(private readonly sqlite: BetterSqlite3.Database) {}

  prepare(sql: string): SqliteStatement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.sqlite.prepare(sql);
      if (this.statements.size < MAX_CACHED_STATEMENTS) this.statements.set(sql, statement);
    }
    return statement;
  }

  close(): void {
    this.statements.clear();
    this.sqlite.close();
  }
}
