import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Logger } from '@nestjs/common';
import { CompiledQuery, Kysely, Migrator, sql } from 'kysely';
import { StoreDiskError } from './disk-error';
import { FailureStreak } from './failure-streak';
import { fromWriteError } from './group-commit';
import { LocalWriter } from './local-writer';
import { migrationProvider } from './migrations';
import { SqliteWriteDialect } from './sqlite-write-dialect';
import { StatementCache } from './statement-cache';
import { ThreadWriter } from './thread-writer';
import { WAL_SIZE_LIMIT_BYTES, WalSync } from './wal-sync';
import type { StoreRegistry, WriteRegistry } from './write-operation';
import type { Writer, WriterState } from './writer';
import type { WriteArgs, WriteName, WriteOutcome, WriteRequest, WriteResult } from './writes';

interface PendingWrite {
  request: WriteRequest;
  /** Read when the batch is sent, so a queued write carries the latest state. */
  argsOf: (() => unknown) | null;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Large enough to absorb a burst, small enough that one commit stays short. */
const MAX_WRITES_PER_COMMIT = 256;

export interface StoreOptions {
  /**
   * Where commits run: `thread` (the server), or `main` for a short-lived process (the admin
   * commands), which would spend longer starting a thread than writing.
   */
  writer?: 'thread' | 'main';
  /** A writer thread's script to run instead of the application's; only tests give one. */
  writerFile?: string;
  /** A commit running longer than this makes `ping()` fail (readiness); tests shorten it. */
  stalledAfterMs?: number;
}

/** A commit takes milliseconds; ten seconds means the disk (or the writer) is stuck. */
const STALLED_AFTER_MS = 10_000;
/**
 * How long readiness waits for its probe commit. A commit takes milliseconds; a disk that hangs
 * must not hold the readiness answer (the stalled check above reports that case).
 */
const PROBE_WAIT_MS = 2_000;

export class StoreClosedError extends Error {
  readonly code = 'STORE_CLOSED';
  constructor() {
    super('the store is closed: the server is shutting down');
  }
}

export class StoreStalledError extends Error {
  readonly code = 'STORE_WRITES_STALLED';
  constructor(seconds: number) {
    super(`a commit has been running for ${seconds.toFixed(0)} s: the disk or the store's writer is stuck`);
  }
}

/**
 * The durable store. Reads go straight to the query layer on the main thread's connection.
 * Writes are named operations (the application's `StoreRegistry`) sent to the writer, by
 * default a thread with its own connection: `write()` groups every write queued while the
 * previous commit ran into one transaction (group commit). Each caller still resolves only
 * after its own commit is on disk, but N concurrent alerts cost one transaction and one fsync,
 * not N, and none of it runs on the event loop. If the thread fails, the main thread's
 * connection takes over. `DB` is the application's tables, `W` its writes: the store knows
 * neither.
 */
export class Store<DB = unknown, W extends WriteRegistry = WriteRegistry> {
  readonly db: Kysely<DB>;
  private readonly logger = new Logger('Store');
  private readonly sqlite: BetterSqlite3.Database;
  private readonly statements: StatementCache;
  private readonly walSync: WalSync;
  private readonly path: string;
  /** The application's writes, for the main thread's connection. */
  private readonly writes: W;
  private readonly writerThread: string;
  private writer!: Writer;
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  private flushing: Promise<void> | null = null;
  /** When the commit now running started (performance.now()), or null. */
  private commitStartedAt: number | null = null;
  private stalledAfterMs = STALLED_AFTER_MS;
  private closed = false;
  /** Why the last commit failed on the disk; null once a commit succeeds again. */
  private lastCommitFailure: StoreDiskError | null = null;
  private readonly commitFailures = new FailureStreak(this.logger);
  private probing: Promise<void> | null = null;

  private constructor(sqlitePath: string, registry: StoreRegistry<DB, W>) {
    const path = resolve(sqlitePath);
    this.path = path;
    this.writes = registry.writes;
    this.writerThread = registry.writerThread;
    mkdirSync(dirname(path), { recursive: true });
    this.sqlite = new BetterSqlite3(path);
    this.sqlite.pragma('journal_mode = WAL');
    // NORMAL: should this connection write (migrations, the fallback writer), a commit only
    // writes the WAL and `WalSync` fsyncs it off the event loop before anyone is answered.
    this.sqlite.pragma('synchronous = NORMAL');
    this.walSync = new WalSync(path);
    this.sqlite.pragma('busy_timeout = 5000');
    this.sqlite.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    this.statements = new StatementCache(this.sqlite);
    this.db = new Kysely<DB>({ dialect: new SqliteWriteDialect({ database: this.statements }) });
  }

  /**
   * Opens (creating the file and its folder if needed), brings the schema up to date, then
   * starts the writer thread. Checkpoints are SQLite's own, run by the writing connection every
   * 1000 pages of WAL: a thread of their own was measured to gain nothing once commits ran on
   * the writer thread, and let the WAL grow seven times larger.
   */
  static async open<DB, W extends WriteRegistry>(
    sqlitePath: string,
    registry: StoreRegistry<DB, W>,
    options: StoreOptions = {},
  ): Promise<Store<DB, W>> {
    const store = new Store(sqlitePath, registry);
    store.stalledAfterMs = options.stalledAfterMs ?? STALLED_AFTER_MS;
    try {
      const provider = migrationProvider(registry.migrations);
      const { error } = await new Migrator({ db: store.db, provider }).migrateToLatest();
      if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
      await store.walSync.open();
    } catch (error) {
      await store.db.destroy();
      throw error;
    }
    store.writer =
      options.writer === 'main' ? store.mainThreadWriter() : await store.startWriterThread(options);
    return store;
  }

  /**
   * A read answered at once on the main thread's connection. The query layer hands its one
   * connection over asynchronously (a mutex, several promises), which costs several times a
   * small indexed read; for the reads made on every device request, compiled by the query
   * layer all the same (`PreparedQuery.compile`). A PostgreSQL store, which cannot answer
   * synchronously, would run them through `db`. It bypasses the query layer's connection lock:
   * should the fallback writer hold a transaction open on this connection, the read sees it,
   * so this is only for values that are re-checked (the credentials' version).
   */
  readNow<Row>(query: CompiledQuery<Row>): Row[] {
    return this.statements.prepare(query.sql).all(query.parameters) as Row[];
  }

  /** Where commits run now, and that connection's settings; for diagnostics and tests. */
  get writerState(): WriterState {
    return { ...this.writer.state };
  }

  /**
   * Runs the named write in the next group commit; resolves with its result once that commit
   * is durable. `args` may be a function, called when the batch is sent.
   */
  write<Name extends WriteName<W>>(
    name: Name,
    args: WriteArgs<W, Name> | (() => WriteArgs<W, Name>),
  ): Promise<WriteResult<W, Name>> {
    return this.enqueue(name, args) as Promise<WriteResult<W, Name>>;
  }

  /** `write` without the application's types: the store's own probe is queued here too. */
  private enqueue(name: string, args: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    return new Promise<unknown>((resolve, reject) => {
      const lazy = typeof args === 'function';
      this.pending.push({
        request: { name, args: lazy ? undefined : args },
        argsOf: lazy ? (args as () => unknown) : null,
        resolve,
        reject,
      });
      this.scheduleFlush();
    });
  }

  /**
   * For readiness: the store answers a query, no commit is stuck, and the last commit did not
   * fail on the disk. After such a failure, each call tries a commit of its own (a probe that
   * changes no data) before answering: an instance taken out of rotation gets no writes that
   * could show the disk is back, so readiness itself must find out. Only while failing: a
   * healthy store is not written to by its health checks.
   */
  async ping(): Promise<void> {
    if (this.closed) throw new StoreClosedError();
    if (this.commitStartedAt !== null) {
      const runningMs = performance.now() - this.commitStartedAt;
      if (runningMs > this.stalledAfterMs) throw new StoreStalledError(runningMs / 1000);
    }
    if (this.lastCommitFailure) {
      await this.probeCommit();
      if (this.lastCommitFailure) throw this.lastCommitFailure;
    }
    await sql`select 1`.execute(this.db);
  }

  /** Commits what is queued, then closes; later writes are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing || this.pending.length > 0) {
      await (this.flushing ?? this.flush());
    }
    await this.writer.close();
    // The main thread's connection closes last: closing, it checkpoints what is left and
    // removes the WAL.
    await this.db.destroy();
    await this.walSync.close();
  }

  /** One probe commit at a time, however many readiness checks ask; waited for briefly. */
  private async probeCommit(): Promise<void> {
    this.probing ??= this.enqueue('store.probe', {}).then(
      () => {
        this.probing = null;
      },
      () => {
        // Its failure is the commit's: recorded and logged there.
        this.probing = null;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, PROBE_WAIT_MS);
    });
    await Promise.race([this.probing, waited]);
    clearTimeout(timer);
  }

  private mainThreadWriter(): LocalWriter<DB> {
    return new LocalWriter(this.db, this.writes, this.sqlite, this.walSync);
  }

  private async startWriterThread(options: StoreOptions): Promise<Writer> {
    const thread = new ThreadWriter(this.path, {
      script: this.writerThread,
      workerFile: options.writerFile,
      onFailure: (error) => {
        if (this.writer === thread) this.fallBack(error);
      },
    });
    try {
      await thread.ready;
      return thread;
    } catch (error) {
      this.warnFallback(error);
      return this.mainThreadWriter();
    }
  }

  /** The thread failed while running: commits move to the main thread's connection. */
  private fallBack(error: unknown): void {
    this.writer = this.mainThreadWriter();
    this.warnFallback(error);
  }

  private warnFallback(error: unknown): void {
    this.logger.warn(
      { code: 'STORE_WRITER_FAILED', err: error },
      'the store writer thread failed: writes now run on the event loop (slower, still durable)',
    );
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
    this.flushing = this.commit(batch).finally(() => {
      this.flushing = null;
      if (this.pending.length > 0) this.scheduleFlush();
    });
    return this.flushing;
  }

  private async commit(batch: PendingWrite[]): Promise<void> {
    if (batch.length === 0) return;
    let outcomes: WriteOutcome[];
    this.commitStartedAt = performance.now();
    try {
      for (const write of batch) if (write.argsOf) write.request.args = write.argsOf();
      outcomes = await this.writer.commit(batch.map((write) => write.request));
    } catch (commitError) {
      const error = StoreDiskError.from(commitError) ?? commitError;
      if (error instanceof StoreDiskError) this.failedOnDisk(error, batch.length);
      for (const write of batch) write.reject(error);
      return;
    } finally {
      this.commitStartedAt = null;
    }
    this.committed();
    batch.forEach((write, index) => {
      const outcome = outcomes[index];
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(StoreDiskError.from(outcome.error) ?? fromWriteError(outcome.error));
    });
  }

  /** Every write of the batch is refused (503 to a client, which retries); nothing is stored. */
  private failedOnDisk(error: StoreDiskError, writes: number): void {
    this.lastCommitFailure = error;
    this.commitFailures.failed(
      { code: error.code, reason: error.reason, writes, err: error.cause },
      "a commit failed on the store's disk: writes are refused with 503 until a commit succeeds again",
    );
  }

  private committed(): void {
    if (!this.lastCommitFailure) return;
    this.lastCommitFailure = null;
    this.commitFailures.recovered(
      { code: 'STORE_WRITES_RESUMED' },
      'commits succeed again: the store accepts writes',
    );
  }
}
