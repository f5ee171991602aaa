/**
 * Failures of the store's disk, told apart from faults of the code: they are the operator's to
 * fix (free space, replace a disk, remount), they pass without a restart, and a client should
 * retry them. Kept free of the application's imports: the writer thread uses it too.
 */
export type StoreDiskCode = 'STORE_FULL' | 'STORE_IO_ERROR';

/**
 * SQLite's (extended) result codes and the system's errno names, as `code` carries them.
 * SQLITE_FULL also covers a quota (EDQUOT). The errno names come from `WalSync`'s fsync of the
 * WAL, the path of the main thread's fallback writer.
 */
const FULL_CODES = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);
const IO_CODE_PREFIXES = ['SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_READONLY'];
const IO_ERRNO_CODES = new Set(['EIO', 'EROFS']);

/** The store's code for an error of the disk, or null for any other error. */
export function diskErrorCode(error: unknown): StoreDiskCode | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (FULL_CODES.has(code)) return 'STORE_FULL';
  if (IO_ERRNO_CODES.has(code) || IO_CODE_PREFIXES.some((prefix) => code.startsWith(prefix))) {
    return 'STORE_IO_ERROR';
  }
  return null;
}

/** A commit failed on the disk: nothing of its batch is stored. Answered 503, retried by clients. */
export class StoreDiskError extends Error {
  readonly code: StoreDiskCode;
  /** What the disk said: SQLite's code (`SQLITE_FULL`, `SQLITE_IOERR_FSYNC`...) or an errno name. */
  readonly reason: string;

  constructor(code: StoreDiskCode, reason: string, cause?: unknown) {
    const what = code === 'STORE_FULL' ? 'its disk is full' : 'its disk failed to read or write';
    super(`the store cannot write: ${what} (code ${code}, ${reason}); retry later`, { cause });
    this.name = 'StoreDiskError';
    this.code = code;
    this.reason = reason;
  }

  /** The error as a StoreDiskError when it is one of the disk, else null. */
  static from(error: unknown): StoreDiskError | null {
    if (error instanceof StoreDiskError) return error;
    const code = diskErrorCode(error);
    return code ? new StoreDiskError(code, (error as { code: string }).code, error) : null;
  }
}
