import { StoreDiskError, diskErrorCode } from './disk-error';

const withCode = (code: string) => Object.assign(new Error('from the disk'), { code });

describe("errors of the store's disk", () => {
  it.each(['SQLITE_FULL', 'ENOSPC', 'EDQUOT'])('%s: the disk is full (STORE_FULL)', (code) => {
    expect(diskErrorCode(withCode(code))).toBe('STORE_FULL');
  });

  it.each([
    'SQLITE_IOERR',
    'SQLITE_IOERR_WRITE',
    'SQLITE_IOERR_FSYNC',
    'SQLITE_IOERR_SHMSIZE',
    'SQLITE_CANTOPEN',
    'SQLITE_READONLY',
    'SQLITE_READONLY_DBMOVED',
    'EIO',
    'EROFS',
  ])('%s: the disk failed (STORE_IO_ERROR)', (code) => {
    expect(diskErrorCode(withCode(code))).toBe('STORE_IO_ERROR');
  });

  it.each(['SQLITE_CONSTRAINT_NOTNULL', 'SQLITE_BUSY', 'SQLITE_ERROR', 'STORE_WRITER_FAILED', 'ECONNRESET'])(
    '%s: not the disk (a fault of the code or of a write stays what it is)',
    (code) => {
      expect(diskErrorCode(withCode(code))).toBeNull();
      expect(StoreDiskError.from(withCode(code))).toBeNull();
    },
  );

  it('reads the code of plain objects too (errors that crossed from the writer thread)', () => {
    expect(
      diskErrorCode({ name: 'SqliteError', message: 'database or disk is full', code: 'SQLITE_FULL' }),
    ).toBe('STORE_FULL');
    expect(diskErrorCode(new Error('no code'))).toBeNull();
    expect(diskErrorCode(null)).toBeNull();
    expect(diskErrorCode('SQLITE_FULL')).toBeNull();
  });

  it('says what failed and its code in the message a client reads, and keeps the cause', () => {
    const cause = withCode('SQLITE_FULL');
    const error = StoreDiskError.from(cause)!;
    expect(error).toBeInstanceOf(StoreDiskError);
    expect(error).toMatchObject({ code: 'STORE_FULL', reason: 'SQLITE_FULL', cause });
    expect(error.message).toContain('(code STORE_FULL, SQLITE_FULL)');
    expect(StoreDiskError.from(error)).toBe(error);
    expect(StoreDiskError.from(withCode('SQLITE_IOERR_FSYNC'))!.message).toContain('(code STORE_IO_ERROR');
  });
});
