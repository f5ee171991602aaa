import type { Kysely, Migration } from 'kysely';

export interface OperatorsTable {
  /** The name folded for comparison: "Marie" and "marie" are one operator. */
  id: string;
  name: string;
  /** `scrypt$N$r$p$salt$hash`, salt and hash in base64. */
  password_hash: string;
  created_at: string;
}

/** A signed-in browser; the cookie holds the secret, the store its SHA-256. */
export interface SessionsTable {
  id_hash: string;
  operator_id: string;
  created_at: string;
  expires_at: string;
}

export interface OperatorTables {
  operators: OperatorsTable;
  sessions: SessionsTable;
}

/** The operators' and sessions' part of the schema's versioned changes. */
export const OPERATOR_MIGRATIONS: Record<string, Migration> = {
  '0003_device_credentials_operators_sessions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('operators')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('operator_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_by_operator').on('sessions').column('operator_id').execute();
    },
  },
};
