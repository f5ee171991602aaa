import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A small file system of its own (tmpfs) for the tests of a full disk: filling it fills no
 * real disk, and its size makes "full" quick to reach. Mounting needs root (or CAP_SYS_ADMIN);
 * where it fails, `mounted` is false and `reason` says why, so a suite can skip itself with a
 * clear message, decided before its tests run.
 */
export type SmallDisk =
  { mounted: true; dir: string; fill(): string; unmount(): void } | { mounted: false; reason: string };

export function mountSmallDisk(sizeMiB: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmdirSync(dir);
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return {
      mounted: false,
      reason: `cannot mount a tmpfs (needs root): ${stderr || (error as Error).message}`,
    };
  }
  return {
    mounted: true,
    dir,
    fill: () => fillUp(join(dir, 'filler')),
    unmount() {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        // A file still open keeps it busy: detach it now, the kernel frees it once closed.
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes `path` until the file system has no byte left (ENOSPC); returns its path. */
function fillUp(path: string): string {
  const fd = openSync(path, 'w');
  try {
    // Large writes for speed, then page-sized ones for the last partial chunk.
    for (const size of [1 << 16, 4096, 1]) {
      const chunk = Buffer.alloc(size, 0x55);
      for (;;) {
        try {
          if (writeSync(fd, chunk) < size) break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}
