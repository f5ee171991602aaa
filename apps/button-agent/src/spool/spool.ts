import { constants, watch } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AlertBody, SpoolRecord } from './spooled-alert';

/** File names are the alert ids (UUIDv7): sorting them gives the order of the presses. */
const SPOOL_FILE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.json$/;
const TEMP_SUFFIX = '.tmp';
/** A temp file older than this was left by a writer that died (a live write takes milliseconds). */
const STALE_TEMP_MS = 60_000;

export class SpoolWriteError extends Error {
  readonly code = 'SPOOL_WRITE_FAILED';
}

export interface SetAside {
  file: string;
  reason: string;
}

/**
 * The durable queue of alerts not yet accepted by the server: one file per alert, written
 * crash-safely (temp file, fsync, rename, fsync of the folder). An alert leaves it only when
 * the server answered 2xx, or into `rejected/` when the server refused the alert itself.
 * Files that cannot be read go to `unreadable/`, never stopping delivery of the others.
 */
export class Spool {
  readonly rejectedDir: string;
  readonly unreadableDir: string;
  /**
   * Alerts this process is still making durable: renamed into place, the folder not yet
   * fsynced. The folder's watch sees them at the rename; delivery must not send them before
   * they would survive a power cut, so they are not listed until `add` has finished.
   */
  private readonly adding = new Set<string>();
  /** Who `watch` wakes: told again once an alert of this process is durable. */
  private readonly watchers = new Set<() => void>();

  constructor(
    readonly dir: string,
    private readonly onSetAside: (setAside: SetAside) => void = () => undefined,
  ) {
    this.rejectedDir = join(dir, 'rejected');
    this.unreadableDir = join(dir, 'unreadable');
  }

  async init(): Promise<void> {
    await mkdir(this.rejectedDir, { recursive: true });
    await mkdir(this.unreadableDir, { recursive: true });
    await fsyncDirectory(this.dir);
  }

  /**
   * Makes the alert durable. Resolves only once it survives a power cut. A failed fsync is
   * never retried (the page cache may have dropped the data): the caller must exit and let
   * the supervisor restart from what is really on disk.
   */
  async add(alert: AlertBody, now = new Date()): Promise<void> {
    const record: SpoolRecord = { version: 1, spooledAt: now.toISOString(), alert };
    const final = join(this.dir, `${alert.id}.json`);
    const temp = `${final}${TEMP_SUFFIX}`;
    let tempCreated = false;
    this.adding.add(alert.id);
    try {
      const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o640);
      tempCreated = true;
      try {
        await handle.writeFile(JSON.stringify(record));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, final);
      tempCreated = false;
      await fsyncDirectory(this.dir);
    } catch (error) {
      // A full disk leaves an empty temp file behind: remove it now rather than leave the sweep
      // of the next start to report it as a torn alert. Only our own file: O_EXCL guarantees it.
      if (tempCreated) await unlink(temp).catch(() => undefined);
      throw new SpoolWriteError(`could not make alert ${alert.id} durable in ${this.dir}`, { cause: error });
    } finally {
      this.adding.delete(alert.id);
    }
    for (const wake of this.watchers) wake();
  }

  /** Alerts waiting, oldest press first. Unreadable files are set aside on the way. */
  async pending(): Promise<AlertBody[]> {
    const alerts: AlertBody[] = [];
    for (const file of await this.files()) {
      const alert = await this.read(file);
      if (alert) alerts.push(alert);
    }
    return alerts;
  }

  /** Ids of the alerts waiting and durable, oldest press first, without reading the files. */
  async ids(): Promise<string[]> {
    return (await this.files())
      .map((file) => file.slice(0, -'.json'.length))
      .filter((id) => !this.adding.has(id));
  }

  /** One alert waiting, or null when it is gone (delivered meanwhile) or was just set aside. */
  async load(id: string): Promise<AlertBody | null> {
    return this.read(`${id}.json`);
  }

  /** The first of these alerts that can still be read, in the order given. */
  async firstReadable(ids: string[]): Promise<AlertBody | null> {
    for (const id of ids) {
      const alert = await this.load(id);
      if (alert) return alert;
    }
    return null;
  }

  /** The oldest alert waiting, or null when the spool is empty. */
  async oldest(): Promise<AlertBody | null> {
    return this.firstReadable(await this.ids());
  }

  async depth(): Promise<number> {
    return (await this.files()).length;
  }

  async has(id: string): Promise<boolean> {
    return stat(join(this.dir, `${id}.json`)).then(
      () => true,
      () => false,
    );
  }

  /** The server accepted it. Another process may have delivered it first: that is fine. */
  async remove(id: string): Promise<void> {
    await unlink(join(this.dir, `${id}.json`)).catch(ignoreMissing);
  }

  /** The server refused the alert itself: keep it, with the answer, for a technician. */
  async reject(id: string, answer: unknown): Promise<void> {
    await writeFile(join(this.rejectedDir, `${id}.response.json`), JSON.stringify(answer, null, 2));
    await rename(join(this.dir, `${id}.json`), join(this.rejectedDir, `${id}.json`)).catch(ignoreMissing);
    await fsyncDirectory(this.dir);
  }

  /**
   * Calls `onAdded` when an alert file appears, whoever wrote it (this agent or a `send`
   * run by hand), so an idle delivery wakes without polling. Returns the way to stop watching.
   */
  watch(onAdded: () => void): () => void {
    this.watchers.add(onAdded);
    const watcher = watch(this.dir, { persistent: false }, (_event, name) => {
      if (name === null || SPOOL_FILE.test(name.toString())) onAdded();
    });
    watcher.on('error', () => watcher.close());
    return () => {
      this.watchers.delete(onAdded);
      watcher.close();
    };
  }

  /** Removes temp files that a dead writer left: their alert was never reported as spooled. */
  async sweepTemporaryFiles(now = Date.now()): Promise<void> {
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith(TEMP_SUFFIX)) continue;
      const path = join(this.dir, name);
      const info = await stat(path).catch(() => null);
      if (info && now - info.mtimeMs > STALE_TEMP_MS)
        await this.setAside(name, 'left half-written by a crash');
    }
  }

  private async files(): Promise<string[]> {
    return (await readdir(this.dir)).filter((name) => SPOOL_FILE.test(name)).sort();
  }

  private async read(file: string): Promise<AlertBody | null> {
    let text: string;
    try {
      text = await readFile(join(this.dir, file), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null; // delivered meanwhile
      await this.setAside(file, `cannot be read: ${(error as Error).message}`);
      return null;
    }
    const problem = recordProblem(text, file);
    if (problem) {
      await this.setAside(file, problem);
      return null;
    }
    return (JSON.parse(text) as SpoolRecord).alert;
  }

  private async setAside(file: string, reason: string): Promise<void> {
    await rename(join(this.dir, file), join(this.unreadableDir, file)).catch(ignoreMissing);
    this.onSetAside({ file, reason });
  }
}

/** Why a spool file cannot be delivered as it is, or null when it is sound. */
function recordProblem(text: string, file: string): string | null {
  let record: Partial<SpoolRecord>;
  try {
    record = JSON.parse(text) as Partial<SpoolRecord>;
  } catch {
    return 'torn or not JSON';
  }
  const alert = record?.alert;
  if (record?.version !== 1 || typeof alert !== 'object' || alert === null) return 'not a spool record';
  if (`${alert.id}.json` !== file) return 'its alert id does not match its file name';
  if (typeof alert.deviceId !== 'string' || typeof alert.type !== 'string') return 'incomplete alert';
  return null;
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}
