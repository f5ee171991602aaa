import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uuidv7 } from '@app/contracts';
import { Spool, SpoolWriteError } from '../src/spool/spool';
import { AlertBody } from '../src/spool/spooled-alert';

/**
 * A press on a full disk, for real: the spool on a small tmpfs filled to the last byte. Mounting
 * needs root; where it is refused the test is skipped, saying why (decided before it runs).
 */
const mountPoint = mkdtempSync(join(tmpdir(), 'vigie-spool-full-'));
const mountRefused = mountSmallTmpfs(mountPoint);
const onSmallTmpfs = mountRefused ? it.skip : it;

function mountSmallTmpfs(dir: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return `cannot mount a tmpfs (needs root): ${stderr || (error as Error).message}`;
  }
}

/** Writes `path` until the file system has no byte left. */
function fillUp(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 16, 4096, 1]) {
      const chunk = Buffer.alloc(size, 0x55);
      try {
        while (writeSync(fd, chunk) === size);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
}

afterAll(() => {
  if (!mountRefused) {
    try {
      execFileSync('umount', [mountPoint], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', mountPoint], { stdio: 'pipe' }); // a handle still open
    }
  }
  rmdirSync(mountPoint);
});

describe(`spool on a full disk${mountRefused ? ` (skipped: ${mountRefused})` : ''}`, () => {
  onSmallTmpfs(
    'a press that cannot be written leaves no temp file, and the next one works once there is room',
    async () => {
      const dir = join(mountPoint, 'spool');
      const spool = new Spool(dir);
      await spool.init();
      const filler = join(mountPoint, 'filler');
      fillUp(filler);

      const alert: AlertBody = {
        id: uuidv7(),
        deviceId: 'pi-test',
        type: 'fire',
        button: '17',
        triggeredAt: new Date().toISOString(),
      };
      const failed = spool.add(alert);
      await expect(failed).rejects.toBeInstanceOf(SpoolWriteError);
      await expect(failed).rejects.toMatchObject({ cause: { code: 'ENOSPC' } });
      expect(readdirSync(dir).sort()).toEqual(['rejected', 'unreadable']);

      rmSync(filler);
      await spool.add(alert); // same id: nothing of the failed write is in the way
      expect(await spool.ids()).toEqual([alert.id]);
      expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    },
  );
});
