import { constants } from 'node:fs';
import { FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Makes committed transactions durable by fsyncing SQLite's write-ahead log on libuv's
 * thread pool. With `synchronous=FULL`, SQLite would fsync inside COMMIT, blocking the
 * event loop (and every request behind it) for the whole sync; here the loop keeps
 * parsing and validating the next requests while the disk works. fsync flushes the file,
 * whichever descriptor wrote it, so this gives the guarantee FULL gives: once `sync()`
 * resolves, every transaction committed before the call survives a power cut.
 */
export class WalSync {
  private wal: FileHandle | null = null;

  constructor(private readonly databasePath: string) {}

  /** After the schema is in place, the WAL exists and stays while the database is open. */
  async open(): Promise<void> {
    this.wal = await open(`${this.databasePath}-wal`, constants.O_RDONLY);
    // The WAL was just created: its directory entry must be durable too.
    const directory = await open(dirname(this.databasePath), constants.O_RDONLY);
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
    await this.wal.sync();
  }

  async sync(): Promise<void> {
    if (!this.wal) throw new Error('WalSync.sync() before open()');
    await this.wal.sync();
  }

  async close(): Promise<void> {
    await this.wal?.close();
    this.wal = null;
  }
}

/**
 * The WAL starts over after each checkpoint (about 4 MB) but keeps its file's size. One that grew
 * while checkpoints were held back (a long read, a backup) is cut back to this when it starts
 * over, instead of keeping its largest size on disk for good. Set on every writing connection.
 */
export const WAL_SIZE_LIMIT_BYTES = 8 * 1024 * 1024;
