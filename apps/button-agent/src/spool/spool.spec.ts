import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uuidv7 } from '@app/contracts';
import { Spool, SpoolWriteError } from './spool';
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
