import { FSWatcher, constants, watch } from 'node:fs';
import { access, readFile, readdir, stat, writeFile } from 'node:fs/promises';

/**
 * The file operations the rpi-gpio driver does on /sys/class/gpio, behind one object so that
 * tests can record them and play the kernel's part (as rpi-gpio's own tests stub `fs`).
 */
export interface SysfsFiles {
  read(path: string): Promise<string>;
  write(path: string, data: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  writable(path: string): Promise<boolean>;
  list(dir: string): Promise<string[]>;
  /** Calls back on every change notification of the file ('change'), or 'rename' when it goes away. */
  watch(path: string, onEvent: (event: string) => void): Pick<FSWatcher, 'close'>;
}

export const nodeSysfsFiles: SysfsFiles = {
  read: (path) => readFile(path, 'utf8'),
  write: (path, data) => writeFile(path, data),
  exists: (path) =>
    stat(path).then(
      () => true,
      () => false,
    ),
  writable: (path) =>
    access(path, constants.W_OK).then(
      () => true,
      () => false,
    ),
  list: (dir) => readdir(dir),
  watch: (path, onEvent) => watch(path, { persistent: true }, (event) => onEvent(event)),
};
