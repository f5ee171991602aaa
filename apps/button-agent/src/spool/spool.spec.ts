import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uuidv7 } from '@app/contracts';
import { SetAside, Spool, SpoolWriteError } from './spool';
import { AlertBody } from './spooled-alert';

// `open` passes through to the real one unless a test makes the handle it returns fail.
jest.mock('node:fs/promises', () => {
  const actual = jest.requireActual<typeof fsp>('node:fs/promises');
  return { ...actual, open: jest.fn(actual.open) };
});
const realOpen = jest.requireActual<typeof fsp>('node:fs/promises').open;
const open = jest.mocked(fsp.open);

/** The next file opened gets a handle whose `method` fails with `code`, as a full or failing disk does. */
function failNextHandle(method: 'writeFile' | 'sync', code: string): void {
  open.mockImplementationOnce(async (...args: Parameters<typeof fsp.open>) => {
    const handle = await realOpen(...args);
    handle[method] = () => Promise.reject(Object.assign(new Error(`${code}: simulated`), { code }));
    return handle;
  });
}

const alert = (): AlertBody => ({
  id: uuidv7(),
  deviceId: 'pi-test',
  type: 'panic',
  button: '17',
  triggeredAt: new Date().toISOString(),
});

describe('Spool.add when the disk fails', () => {
  let dir: string;
  let spool: Spool;
  const files = () => readdirSync(dir).filter((name) => name !== 'rejected' && name !== 'unreadable');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-spool-unit-'));
    spool = new Spool(dir);
    await spool.init();
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['writing the temp file runs out of space', 'writeFile', 'ENOSPC'],
    ['the fsync of the temp file fails', 'sync', 'EIO'],
  ] as const)('removes its temp file at once when %s', async (_case, method, code) => {
    failNextHandle(method, code);
    const failed = spool.add(alert());
    await expect(failed).rejects.toBeInstanceOf(SpoolWriteError);
    await expect(failed).rejects.toMatchObject({ code: 'SPOOL_WRITE_FAILED', cause: { code } });
    await expect(failed).rejects.toThrow(`could not make alert`);
    await expect(failed).rejects.toThrow(dir);
    expect(files()).toEqual([]);

    // Nothing is left in the way of the next press.
    const next = alert();
    await spool.add(next);
    expect(files()).toEqual([`${next.id}.json`]);
  });

  it("never removes a temp file it did not create (another writer's, same id)", async () => {
    const taken = alert();
    writeFileSync(join(dir, `${taken.id}.json.tmp`), 'another writer');
    await expect(spool.add(taken)).rejects.toMatchObject({ cause: { code: 'EEXIST' } });
    expect(files()).toEqual([`${taken.id}.json.tmp`]);
  });
});

/**
 * The queue's operations, each with what it promises delivery: the order of the presses, an
 * alert leaving only by `remove` or `reject`, unreadable files set aside with their reason.
 */
describe('Spool, the queue', () => {
  let dir: string;
  let spool: Spool;
  let setAside: SetAside[];
  const spoolFiles = () => readdirSync(dir).filter((name) => name !== 'rejected' && name !== 'unreadable');
  /** Alerts whose ids sort in press order. */
  const presses = (count: number): AlertBody[] => {
    const at = Date.now();
    return Array.from({ length: count }, (_, i) => ({ ...alert(), id: uuidv7(at + i) }));
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-spool-unit-'));
    setAside = [];
    spool = new Spool(dir, (entry) => setAside.push(entry));
    await spool.init();
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('init makes the rejected/ and unreadable/ folders, and is safe to run again', async () => {
    expect(readdirSync(dir).sort()).toEqual(['rejected', 'unreadable']);
    expect(spool.rejectedDir).toBe(join(dir, 'rejected'));
    expect(spool.unreadableDir).toBe(join(dir, 'unreadable'));
    await spool.init();
    expect(readdirSync(dir).sort()).toEqual(['rejected', 'unreadable']);
  });

  it('keeps an alert as a version 1 record with the time it was spooled', async () => {
    const [first] = presses(1);
    const now = new Date('2026-11-25T08:00:00.000Z');
    await spool.add(first, now);
    const text = readFileSync(join(dir, `${first.id}.json`), 'utf8');
    expect(JSON.parse(text)).toEqual({ version: 1, spooledAt: now.toISOString(), alert: first });
    expect((statSync(join(dir, `${first.id}.json`)).mode & 0o777).toString(8)).toBe('640');
  });

  it('lists, loads and counts the alerts oldest press first, whatever order they were written in', async () => {
    const [a, b, c] = presses(3);
    for (const press of [c, a, b]) await spool.add(press);
    writeFileSync(join(dir, 'notes.txt'), 'not an alert');
    writeFileSync(join(dir, `${uuidv7()}.json.tmp`), 'a write in progress');
    expect(await spool.ids()).toEqual([a.id, b.id, c.id]);
    expect(await spool.pending()).toEqual([a, b, c]);
    expect(await spool.depth()).toBe(3);
    expect(await spool.oldest()).toEqual(a);
    expect(await spool.load(b.id)).toEqual(b);
    expect(await spool.has(b.id)).toBe(true);
    expect(setAside).toEqual([]);
  });

  it('an empty spool has no oldest, no ids and depth 0', async () => {
    expect(await spool.oldest()).toBeNull();
    expect(await spool.ids()).toEqual([]);
    expect(await spool.pending()).toEqual([]);
    expect(await spool.depth()).toBe(0);
  });

  it('removes a delivered alert, and a second removal (another process delivered it) is fine', async () => {
    const [a, b] = presses(2);
    await spool.add(a);
    await spool.add(b);
    await spool.remove(a.id);
    await spool.remove(a.id);
    expect(await spool.ids()).toEqual([b.id]);
    expect(await spool.has(a.id)).toBe(false);
    expect(await spool.load(a.id)).toBeNull(); // gone, not unreadable
    expect(setAside).toEqual([]);
  });

  it('a removal that fails for another reason than "already gone" is an error', async () => {
    const [a] = presses(1);
    await spool.add(a);
    // A folder in the alert's place: unlink fails with EISDIR or EPERM, not ENOENT.
    await spool.remove(a.id);
    mkdirSync(join(dir, `${a.id}.json`));
    await expect(spool.remove(a.id)).rejects.toMatchObject({ code: expect.stringMatching(/EISDIR|EPERM/) });
  });

  it('keeps a refused alert in rejected/ with the answer, out of the queue', async () => {
    const [a, b] = presses(2);
    await spool.add(a);
    await spool.add(b);
    const answer = { status: 422, body: { message: ['type must be one of panic, medical'] } };
    await spool.reject(a.id, answer);
    expect(await spool.ids()).toEqual([b.id]);
    expect(readdirSync(spool.rejectedDir).sort()).toEqual([`${a.id}.json`, `${a.id}.response.json`].sort());
    expect(JSON.parse(readFileSync(join(spool.rejectedDir, `${a.id}.response.json`), 'utf8'))).toEqual(
      answer,
    );
    expect(readFileSync(join(spool.rejectedDir, `${a.id}.response.json`), 'utf8')).toBe(
      JSON.stringify(answer, null, 2),
    );
    expect(JSON.parse(readFileSync(join(spool.rejectedDir, `${a.id}.json`), 'utf8')).alert).toEqual(a);
    // Rejected again by another process that got there first: nothing to move, no error.
    await expect(spool.reject(a.id, answer)).resolves.toBeUndefined();
  });

  it('firstReadable skips ids that are gone or unreadable, in the order given', async () => {
    const [a, b, c] = presses(3);
    await spool.add(b);
    await spool.add(c);
    writeFileSync(join(dir, `${a.id}.json`), '{"torn');
    expect(await spool.firstReadable([a.id, uuidv7(), c.id, b.id])).toEqual(c);
    expect(setAside).toEqual([{ file: `${a.id}.json`, reason: 'torn or not JSON' }]);
    expect(await spool.firstReadable([])).toBeNull();
    expect(await spool.firstReadable([a.id])).toBeNull();
  });

  it.each([
    ['torn', '{"version":1,', 'torn or not JSON'],
    ['JSON null', 'null', 'not a spool record'],
    ['another version', (a: AlertBody) => JSON.stringify({ version: 2, alert: a }), 'not a spool record'],
    ['no alert', JSON.stringify({ version: 1 }), 'not a spool record'],
    ['a null alert', JSON.stringify({ version: 1, alert: null }), 'not a spool record'],
    ['an alert of text', JSON.stringify({ version: 1, alert: 'panic' }), 'not a spool record'],
    [
      'another alert than its name',
      (a: AlertBody) => JSON.stringify({ version: 1, alert: { ...a, id: uuidv7() } }),
      'its alert id does not match its file name',
    ],
    [
      'no device id',
      (a: AlertBody) => JSON.stringify({ version: 1, alert: { ...a, deviceId: 7 } }),
      'incomplete alert',
    ],
    [
      'no type',
      (a: AlertBody) => JSON.stringify({ version: 1, alert: { ...a, type: null } }),
      'incomplete alert',
    ],
  ] as const)(
    'sets aside a file that is %s, with its reason, and still reads the others',
    async (_, text, reason) => {
      const [bad, good] = presses(2);
      await spool.add(good);
      writeFileSync(join(dir, `${bad.id}.json`), typeof text === 'string' ? text : text(bad));
      expect(await spool.pending()).toEqual([good]);
      expect(setAside).toEqual([{ file: `${bad.id}.json`, reason }]);
      expect(readdirSync(spool.unreadableDir)).toEqual([`${bad.id}.json`]);
      expect(await spool.depth()).toBe(1);
    },
  );

  it('sets aside a file that cannot be read at all, saying why', async () => {
    const [bad, good] = presses(2);
    await spool.add(good);
    mkdirSync(join(dir, `${bad.id}.json`)); // readFile fails with EISDIR
    expect(await spool.pending()).toEqual([good]);
    expect(setAside).toEqual([
      { file: `${bad.id}.json`, reason: expect.stringMatching(/^cannot be read: .*EISDIR/) },
    ]);
  });

  it('does not list an alert until add has made it durable: file synced, renamed, folder synced', async () => {
    const [a] = presses(1);
    const checkedDuring: string[] = [];
    // The first open is the temp file, the second the folder (its fsync after the rename): while
    // either is being synced, the alert is neither listed nor counted as ready.
    for (const what of ['file', 'folder']) {
      open.mockImplementationOnce(async (...args: Parameters<typeof fsp.open>) => {
        const handle = await realOpen(...args);
        const sync = handle.sync.bind(handle);
        handle.sync = async () => {
          expect(await spool.ids()).toEqual([]);
          checkedDuring.push(what);
          return sync();
        };
        return handle;
      });
    }
    await spool.add(a);
    expect(checkedDuring).toEqual(['file', 'folder']);
    expect(await spool.ids()).toEqual([a.id]);
  });

  it('takes only files named exactly <uuid>.json for alerts', async () => {
    const [a] = presses(1);
    await spool.add(a);
    writeFileSync(join(dir, `copy-of-${uuidv7()}.json`), '{}');
    writeFileSync(join(dir, `${uuidv7().toUpperCase()}.json`), '{}');
    expect(await spool.ids()).toEqual([a.id]);
    expect(setAside).toEqual([]);
  });

  it('closes every file it opens', async () => {
    const openFiles = () => readdirSync('/proc/self/fd').length;
    await spool.add(presses(1)[0]);
    const before = openFiles();
    for (const press of presses(20)) await spool.add(press);
    expect(openFiles()).toBe(before);
  });

  it('sweeps only temp files older than a minute, not alerts nor other files', async () => {
    const [a] = presses(1);
    await spool.add(a);
    const temp = `${uuidv7()}.json.tmp`;
    writeFileSync(join(dir, temp), '{"vers');
    writeFileSync(join(dir, 'notes.txt'), 'kept');
    const written = statSync(join(dir, temp)).mtimeMs;
    await spool.sweepTemporaryFiles(written + 60_000);
    expect(spoolFiles().sort()).toEqual([`${a.id}.json`, 'notes.txt', temp].sort());
    await spool.sweepTemporaryFiles(written + 60_001);
    expect(spoolFiles().sort()).toEqual([`${a.id}.json`, 'notes.txt'].sort());
    expect(setAside).toEqual([{ file: temp, reason: 'left half-written by a crash' }]);
    expect(await spool.oldest()).toEqual(a);
  });

  it('wakes its watchers for an alert file, not for other files, and stops when told', async () => {
    const wakes: string[] = [];
    const stop = spool.watch(() => wakes.push('wake'));
    const [a, b] = presses(2);
    await spool.add(a); // told once durable (and by the folder's watch)
    expect(wakes.length).toBeGreaterThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    wakes.length = 0;
    writeFileSync(join(dir, 'notes.txt'), 'not an alert');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(wakes).toEqual([]);
    writeFileSync(join(dir, `${b.id}.json`), 'by hand');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(wakes.length).toBeGreaterThanOrEqual(1);
    stop();
    wakes.length = 0;
    await spool.add(presses(1)[0]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(wakes).toEqual([]);
  });
});
