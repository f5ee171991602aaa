import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, Transaction, sql } from 'kysely';
import { migrationProvider } from './migrations';
import { Database } from './schema';
import { StatementCache } from './statement-cache';
import { WalCheckpointer, WalCheckpointerOptions } from './wal-checkpointer';
import { WalSync } from './wal-sync';

export type WriteOperation<T> = (trx: Transaction<Database>) => Promise<T>;

interface PendingWrite {
  operation: WriteOperation<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Large enough to absorb a burst, small enough that one commit never holds the loop for long. */
const MAX_WRITES_PER_COMMIT = 256;

export class StoreClosedError extends Error {
  readonly code = 'STORE_CLOSED';
  constructor() {
    super('the store is closed: the server is shutting down');
  }
}

/**
 * The durable store. Reads go straight to the query layer; writes go through `write()`,
 * which groups every write queued while the previous commit ran into one transaction
 * (group commit): each caller still resolves only after its own commit is on disk
 * (see `WalSync`), but N concurrent alerts cost one fsync, not N.
 */
export class Store {
  readonly db: Kysely<Database>;
  private readonly sqlite: BetterSqlite3.Database;
  private readonly walSync: WalSync;
  private readonly path: string;
  private checkpointer: WalCheckpointer | null = null;
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  private flushing: Promise<void> | null = null;
  private closed = false;

  private constructor(sqlitePath: string) {
    const path = resolve(sqlitePath);
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.sqlite = new BetterSqlite3(path);
    this.sqlite.pragma('journal_mode = WAL');
    // NORMAL: a commit only writes the WAL; `WalSync` then fsyncs it off the event loop
    // before any caller is answered, which is the durability of FULL without the stall.
    this.sqlite.pragma('synchronous = NORMAL');
    this.walSync = new WalSync(path);
    this.sqlite.pragma('busy_timeout = 5000');
    this.db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: new StatementCache(this.sqlite) }),
    });
  }

  /**
   * Opens (creating the file and its folder if needed), brings the schema up to date and
   * starts the WAL checkpointer thread.
   */
  static async open(
    sqlitePath: string,
    /** `checkpointer: false`: a short-lived process (the admin commands) keeps SQLite's own checkpoints. */
    options: { checkpointer?: WalCheckpointerOptions | false } = {},
  ): Promise<Store> {
    const store = new Store(sqlitePath);
    try {
      const { error } = await new Migrator({ db: store.db, provider: migrationProvider }).migrateToLatest();
      if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
      await store.walSync.open();
    } catch (error) {
      await store.db.destroy();
      throw error;
    }
    if (options.checkpointer !== false) {
      store.checkpointer = new WalCheckpointer(store.path, store.sqlite, options.checkpointer);
    }
    return store;
  }

  /** Whether checkpoints run off the event loop, and the last one that copied pages. */
  get checkpoints(): Pick<WalCheckpointer, 'active' | 'lastCheckpoint'> | null {
    return this.checkpointer;
  }

  /** Runs `operation` in the next group commit; resolves once that commit is durable. */
  write<T>(operation: WriteOperation<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ operation, resolve: resolve as (value: unknown) => void, reject });
      this.scheduleFlush();
    });
  }

  /** For readiness: the store answers a query. */
  async ping(): Promise<void> {
    if (this.closed) throw new StoreClosedError();
    await sql`select 1`.execute(this.db);
  }

  /** Commits what is queued, then closes; later writes are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing || this.pending.length > 0) {
      await (this.flushing ?? this.flush());
    }
    // The writer's connection closes last: closing, it checkpoints what is left and removes the WAL.
    await this.checkpointer?.stop();
    await this.db.destroy();
    await this.walSync.close();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.flushing) return;
    this.flushScheduled = true;
    // setImmediate, not a microtask: requests parsed in this turn of the loop join the batch.
    setImmediate(() => {
      this.flushScheduled = false;
      if (!this.flushing) void this.flush();
    });
  }

  private flush(): Promise<void> {
    const batch = this.pending.splice(0, MAX_WRITES_PER_COMMIT);
    // A due checkpoint runs after this batch is answered and before the next one commits.
    this.flushing = this.commit(batch)
      .then(() => this.checkpointer?.checkpointIfDue())
      .finally(() => {
        this.flushing = null;
        if (this.pending.length > 0) this.scheduleFlush();
      });
    return this.flushing;
  }

  /**
   * Runs the whole batch in one transaction. If a write throws, the transaction is rolled back
   * and the batch replayed with a savepoint per write, so the failing one is undone alone and
   * the others still commit. The common case pays for no savepoints.
   */
  private async commit(batch: PendingWrite[]): Promise<void> {
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = await this.runBatch(batch, false);
      if (outcomes.some((outcome) => !outcome.ok)) outcomes = await this.runBatch(batch, true);
      await this.walSync.sync();
    } catch (commitError) {
      for (const write of batch) write.reject(commitError);
      return;
    }
    batch.forEach((write, index) => {
      const outcome = outcomes[index];
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(outcome.error);
    });
  }

  /** One transaction over the batch; without savepoints, stops and rolls back at the first failure. */
  private async runBatch(batch: PendingWrite[], isolateEach: boolean): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    const trx = await this.db.startTransaction().execute();
    try {
      for (const [index, write] of batch.entries()) {
        if (!isolateEach) {
          try {
            outcomes.push({ ok: true, value: await write.operation(trx) });
          } catch (error) {
            await trx.rollback().execute();
            return [{ ok: false, error }];
          }
          continue;
        }
        const savepoint = await trx.savepoint(`w${index}`).execute();
        try {
          outcomes.push({ ok: true, value: await write.operation(savepoint) });
          await savepoint.releaseSavepoint(`w${index}`).execute();
        } catch (error) {
          await savepoint.rollbackToSavepoint(`w${index}`).execute();
          outcomes.push({ ok: false, error });
        }
      }
      await trx.commit().execute();
      return outcomes;
    } catch (error) {
      await trx
        .rollback()
        .execute()
        .catch(() => undefined);
      throw error;
    }
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
