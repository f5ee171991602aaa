import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type Transaction } from 'kysely';
import { commitWrites, fromWriteError, toWriteError } from './group-commit';
import type { WriteRegistry } from './write-operation';
import type { WriteRequest } from './writes';

interface Db {
  items: { id: string };
}

/**
 * The group commit on a real SQLite database (in memory), with the SQL it runs recorded: what
 * each write's outcome is, what is stored, and whether a batch paid for savepoints.
 */
describe('commitWrites', () => {
  let sqlite: BetterSqlite3.Database;
  let db: Kysely<Db>;
  let statements: string[];

  const insert = (trx: Transaction<Db>, id: unknown) =>
    trx
      .insertInto('items')
      .values({ id: id as string })
      .execute()
      .then(() => `stored ${id as string}`);
  const fail = (code?: string) => () => {
    const error = new Error('refused') as Error & { code?: string };
    if (code) error.code = code;
    return Promise.reject(error);
  };
  const writes = {
    insert,
    refuse: fail(),
    fillDisk: fail('SQLITE_FULL'),
  } as unknown as WriteRegistry;
  const request = (name: string, args: unknown = null): WriteRequest => ({ name, args });

  beforeEach(() => {
    statements = [];
    sqlite = new BetterSqlite3(':memory:', { verbose: (sql) => statements.push(String(sql)) });
    sqlite.exec('create table items (id text primary key)');
    statements = [];
    db = new Kysely<Db>({ dialect: new SqliteDialect({ database: sqlite }) });
  });

  afterEach(async () => {
    await db.destroy();
  });

  const stored = () =>
    (sqlite.prepare('select id from items order by id').all() as { id: string }[]).map((r) => r.id);
  const savepoints = () => statements.filter((sql) => /savepoint/i.test(sql));

  it('runs nothing for an empty batch', async () => {
    expect(await commitWrites(db, writes, [])).toEqual([]);
    expect(statements).toEqual([]);
  });

  it('commits a batch that succeeds in one transaction, without savepoints', async () => {
    const outcomes = await commitWrites(db, writes, [request('insert', 'a'), request('insert', 'b')]);
    expect(outcomes).toEqual([
      { ok: true, value: 'stored a' },
      { ok: true, value: 'stored b' },
    ]);
    expect(stored()).toEqual(['a', 'b']);
    expect(savepoints()).toEqual([]);
    expect(statements.filter((sql) => /^(begin|commit)/i.test(sql))).toHaveLength(2);
  });

  it('undoes a failing write alone: the others commit, each outcome in its place', async () => {
    const outcomes = await commitWrites(db, writes, [
      request('insert', 'a'),
      request('refuse'),
      request('insert', 'b'),
      request('nope'),
    ]);
    expect(outcomes).toEqual([
      { ok: true, value: 'stored a' },
      { ok: false, error: { name: 'Error', message: 'refused' } },
      { ok: true, value: 'stored b' },
      { ok: false, error: { name: 'Error', message: 'unknown write nope' } },
    ]);
    expect(stored()).toEqual(['a', 'b']);
    // Replayed with a savepoint per write once the first pass met the failure.
    expect(savepoints().filter((sql) => /^savepoint/i.test(sql))).toHaveLength(4);
  });

  it('fails the whole batch on an error of the disk, without a replay: nothing stored', async () => {
    const batch = [request('insert', 'a'), request('fillDisk'), request('insert', 'b')];
    await expect(commitWrites(db, writes, batch)).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    expect(stored()).toEqual([]);
    expect(savepoints()).toEqual([]);
  });

  it('fails the whole batch on an error of the disk met during the replay', async () => {
    const batch = [request('insert', 'a'), request('refuse'), request('fillDisk')];
    await expect(commitWrites(db, writes, batch)).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    expect(stored()).toEqual([]);
  });
});

describe('write errors across the thread boundary', () => {
  it('keeps the name, message and a string code of an error, from any realm', () => {
    const error = Object.assign(new TypeError('bad'), { code: 'SQLITE_CONSTRAINT' });
    expect(toWriteError(error)).toEqual({ name: 'TypeError', message: 'bad', code: 'SQLITE_CONSTRAINT' });
    expect(toWriteError({ name: 'SqliteError', message: 'locked' })).toEqual({
      name: 'SqliteError',
      message: 'locked',
    });
  });

  it('drops a code that is not a string and names an error without a name "Error"', () => {
    expect(toWriteError({ name: 42, message: 'odd', code: 7 })).toEqual({ name: 'Error', message: 'odd' });
  });

  it('turns what is not an error into one with its text', () => {
    expect(toWriteError('boom')).toEqual({ name: 'Error', message: 'boom' });
    expect(toWriteError(null)).toEqual({ name: 'Error', message: 'null' });
    expect(toWriteError({ message: 3 })).toEqual({ name: 'Error', message: '[object Object]' });
  });

  it('gives the caller an Error with the same name, message and code, and no code when there was none', () => {
    const restored = fromWriteError({ name: 'SqliteError', message: 'locked', code: 'SQLITE_BUSY' });
    expect(restored).toBeInstanceOf(Error);
    expect({ name: restored.name, message: restored.message }).toEqual({
      name: 'SqliteError',
      message: 'locked',
    });
    expect((restored as Error & { code?: string }).code).toBe('SQLITE_BUSY');
    expect('code' in fromWriteError({ name: 'Error', message: 'x' })).toBe(false);
  });
});
