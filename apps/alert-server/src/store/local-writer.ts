import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { commitWrites } from './group-commit';
import type { WalSync } from './wal-sync';
import type { WriteRegistry } from './write-operation';
import type { Writer, WriterState } from './writer';
import type { WriteOutcome, WriteRequest } from './writes';

/**
 * Commits on the main thread's connection: for short-lived processes (the admin commands)
 * and as the fallback when the writer thread fails. The connection is `synchronous=NORMAL`
 * (a commit only writes the WAL) and `WalSync` fsyncs the WAL on libuv's thread pool before
 * any caller is answered: the durability of FULL without holding the event loop in fsync.
 */
export class LocalWriter<DB> implements Writer {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly writes: WriteRegistry,
    private readonly sqlite: BetterSqlite3.Database,
    private readonly walSync: WalSync,
  ) {}

  async commit(batch: readonly WriteRequest[]): Promise<WriteOutcome[]> {
    const outcomes = await commitWrites(this.db, this.writes, batch);
    await this.walSync.sync();
    return outcomes;
  }

  get state(): WriterState {
    return {
      kind: 'main',
      synchronous: this.sqlite.pragma('synchronous', { simple: true }) as number,
    };
  }

  async close(): Promise<void> {
    // The connection is the store's: it closes it.
  }
}
