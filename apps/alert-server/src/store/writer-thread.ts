/**
 * The store's writer thread (see `ThreadWriter`): the one connection that writes, running
 * each group commit the main thread sends as one transaction. SQLite's work and the WAL's
 * fsync stall this thread only, never the event loop that reads and answers requests.
 *
 * The application's writer script calls `runWriterThread` with its writes: a function cannot
 * be posted to a thread, so the thread imports the registry itself. Kept free of the
 * application's framework: the script is a separate bundle (webpack) and, under the tests,
 * compiled on its own by ts-node.
 */
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import { commitWrites, toWriteError } from './group-commit';
import { SqliteWriteDialect } from './sqlite-write-dialect';
import { StatementCache } from './statement-cache';
import { WAL_SIZE_LIMIT_BYTES } from './wal-sync';
import type { StoreWriterOptions, StoreWriterReply, StoreWriterRequest } from './store-writer.messages';
import type { WriteRegistry } from './write-operation';
import type { WriteRequest } from './writes';

export function runWriterThread(writes: WriteRegistry): void {
  const { databasePath } = workerData as StoreWriterOptions;
  const port = parentPort!;

  const sqlite = new BetterSqlite3(databasePath, { fileMustExist: true });
  // FULL: each COMMIT fsyncs the WAL before returning, so a batch is durable before the main
  // thread hears of it. The fsync blocks this thread alone.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  // Checkpoints stay SQLite's own (every 1000 pages, after a commit): this connection copies
  // the WAL into the database file, off the event loop, and the WAL starts over at ~4 MB.
  const db = new Kysely<unknown>({
    dialect: new SqliteWriteDialect({ database: new StatementCache(sqlite) }),
  });

  function reply(message: StoreWriterReply): void {
    port.postMessage(message);
  }

  async function handle(request: StoreWriterRequest): Promise<void> {
    switch (request.kind) {
      case 'commit':
        try {
          const batch = JSON.parse(request.batch) as WriteRequest[];
          const outcomes = await commitWrites(db, writes, batch);
          reply({ kind: 'committed', id: request.id, outcomes: JSON.stringify(outcomes) });
        } catch (error) {
          // After a failed COMMIT (a full disk, an I/O error) SQLite may or may not have rolled
          // back on its own, and the query layer's ROLLBACK may itself have failed. A connection
          // left inside a transaction would refuse every later BEGIN: the thread alive but
          // useless until a restart. So the next batch always starts clean.
          if (sqlite.inTransaction) {
            try {
              sqlite.exec('rollback');
            } catch {
              // Already rolled back between the check and here: nothing left to undo.
            }
          }
          reply({ kind: 'failed', id: request.id, error: toWriteError(error) });
        }
        return;
      case 'stop':
        await db.destroy();
        port.close();
        return;
    }
  }

  // One request at a time, in the order sent: a commit never overlaps another.
  let queue = Promise.resolve();
  port.on('message', (request: StoreWriterRequest) => {
    queue = queue.then(() => handle(request));
  });

  reply({ kind: 'ready', synchronous: sqlite.pragma('synchronous', { simple: true }) as number });
}
