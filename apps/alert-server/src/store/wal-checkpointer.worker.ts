/**
 * The WAL checkpointer's thread (see `WalCheckpointer`): its own connection to the database,
 * copying the committed pages of the write-ahead log into the database file when asked.
 * The copy and its fsyncs stall this thread only.
 *
 * Kept free of the application's imports: it is a separate bundle (webpack) and, under
 * the tests, compiled on its own by ts-node.
 */
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import type {
  CheckpointerOptions,
  CheckpointerReply,
  CheckpointerRequest,
} from './wal-checkpointer.messages';

const { databasePath } = workerData as CheckpointerOptions;
const port = parentPort!;

const db = new BetterSqlite3(databasePath, { fileMustExist: true });
// NORMAL, as on the writer's connection: the WAL is fsynced before its pages are copied and
// the database file after, so a power cut mid-checkpoint loses nothing (SQLite's own rule).
db.pragma('synchronous = NORMAL');
// This connection never writes, so it would never checkpoint on its own anyway.
db.pragma('wal_autocheckpoint = 0');

interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

function reply(message: CheckpointerReply): void {
  port.postMessage(message);
}

port.on('message', (request: CheckpointerRequest) => {
  if (request.kind === 'stop') {
    db.close();
    port.close();
    return;
  }
  try {
    // PASSIVE: never waits for a lock. The writer holds its next commit back while this runs,
    // so every frame gets copied and its next transaction starts the WAL over from the beginning.
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[];
    reply({
      kind: 'checkpointed',
      id: request.id,
      framesInLog: result.log,
      framesCopied: result.checkpointed,
    });
  } catch (error) {
    // A full disk (the database file cannot grow) or an I/O error: the WAL keeps every frame, so
    // nothing is lost, and the copy can be tried again once the disk is back. Thrown, it would
    // end this thread and checkpoints would leave it for the life of the process.
    const { code, message } = error as { code?: unknown; message?: unknown };
    reply({
      kind: 'failed',
      id: request.id,
      code: typeof code === 'string' ? code : 'UNKNOWN',
      message: typeof message === 'string' ? message : String(error),
    });
  }
});

reply({ kind: 'ready' });
