import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { runAdmin } from '../support/admin-cli';
import { REPO_ROOT, ServerProcess, cleanupServerProcesses } from '../support/server-process';
import { assertBuilt } from '../support/watched-process';

/**
 * Issue 16: a Pi installed by the command the dashboard shows, for real, on an arm64 Debian
 * trixie root (scripts/pi-root.sh; qemu-user-static runs it) against the built alert server on
 * loopback, which a chroot shares. No systemd runs in a chroot: the unit is enabled for the next
 * boot and the agent is run here by hand, as its unit would run it, with the keyboard driver.
 * The branch where systemd runs is install-systemd.pi-spec.ts (this root's systemd cannot).
 * Needs root and, the first time, Debian's mirror. `npm run build` first.
 */

const DEVICE = 'pi-lab';
const LOCATION = 'Accueil, rez-de-chaussée';
const ENV_FILE = '/etc/vigie/button-agent.env';
const UNIT_FILE = '/etc/systemd/system/vigie-button-agent.service';
const APT_CACHE = join(process.env.VIGIE_PI_CACHE ?? '/var/cache/vigie-pi-root', 'apt-archives');

let root: string;
let work: string;
const mounts: string[] = [];
let server: ServerProcess;
let code: string;
const agents: ChildProcess[] = [];

function bind(source: string, target: string): void {
  mkdirSync(target, { recursive: true });
  execFileSync('mount', ['--bind', source, target]);
  mounts.push(target);
}

/** `command` run by the chroot's sh as root; its output, status and last line. */
function inPi(command: string) {
  const run = spawnSync('chroot', [root, '/bin/sh', '-c', command], {
    encoding: 'utf8',
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
    timeout: 10 * 60_000,
  });
  const output = `${run.stdout}${run.stderr}`;
  return { status: run.status, output, lastLine: run.stdout.trimEnd().split('\n').at(-1) };
}

/** The command of `POST /devices/enrollments`, piped into sh as root as on a Pi (no sudo in a minbase root). */
function install(withCode: string | null) {
  return inPi(`curl -fsSL ${server.url}/agent/install.sh | sh -s --${withCode ? ` ${withCode}` : ''}`);
}

function file(path: string): string {
  return readFileSync(join(root, path), 'utf8');
}

/** The env file as systemd reads it: NAME=VALUE lines, quotes around a value removed. */
function envFile(): Record<string, string> {
  const entries = file(ENV_FILE)
    .split('\n')
    .filter((line) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(line))
    .map((line) => {
      const value = line.slice(line.indexOf('=') + 1).replace(/^(['"])(.*)\1$/, '$2');
      return [line.slice(0, line.indexOf('=')), value] as const;
    });
  return Object.fromEntries(entries);
}

function storedAlerts(): Array<{ id: string; type: string }> {
  const db = new Database(server.sqlitePath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT id, type FROM alerts WHERE device_id = ? ORDER BY id').all(DEVICE) as never;
  } finally {
    db.close();
  }
}

/**
 * The installed agent as its unit runs it (user vigie, its groups, /opt/vigie-agent, the env
 * file over the unit's Environment= lines) but with the keyboard driver: one empty line on
 * stdin is one press. Resolves with the id of the alert the server acknowledged.
 */
async function pressOnce(): Promise<string> {
  const env = {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    NODE_ENV: 'production',
    VIGIE_SPOOL_DIR: '/var/lib/vigie-agent/spool',
    ...envFile(),
    VIGIE_GPIO_DRIVER: 'keyboard',
  };
  const agent = spawn(
    'chroot',
    [
      root,
      'setpriv',
      '--reuid=vigie',
      '--regid=vigie',
      '--init-groups',
      'sh',
      '-c',
      // The unit's own command line, node flags included, as systemd would run it.
      `cd /opt/vigie-agent && exec ${/^ExecStart=(.*)$/m.exec(file(UNIT_FILE))![1]}`,
    ],
    { env, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  agents.push(agent);
  const seen: string[] = [];
  agent.stderr.on('data', (chunk: Buffer) => seen.push(chunk.toString()));
  const delivered = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no delivery in 90 s:\n${seen.join('\n')}`)), 90_000);
    agent.once('exit', (exit) => reject(new Error(`the agent exited ${exit}:\n${seen.join('\n')}`)));
    createInterface({ input: agent.stdout }).on('line', (line) => {
      seen.push(line);
      let entry: { event?: string; alertId?: string } = {};
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return;
      }
      if (entry.event === 'agent.ready') agent.stdin.write('\n');
      if (entry.event === 'alert.delivered' && entry.alertId) {
        clearTimeout(timer);
        resolve(entry.alertId);
      }
    });
  });
  try {
    return await delivered;
  } finally {
    await stop(agent);
  }
}

function stop(agent: ChildProcess): Promise<void> {
  if (agent.exitCode !== null || agent.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    agent.once('exit', () => resolve());
    agent.kill('SIGTERM');
  });
}

describe('install.sh on an arm64 Debian trixie (Raspberry Pi OS stand-in)', () => {
  beforeAll(async () => {
    assertBuilt(join(REPO_ROOT, 'dist/agent/install.sh'), 'deploy');
    const pristine = execFileSync('sh', [join(REPO_ROOT, 'scripts/pi-root.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 15 * 60_000,
    }).trim();
    // Each run installs on a fresh copy; only the downloaded .deb files are kept between runs.
    work = mkdtempSync(join(tmpdir(), 'vigie-pi-'));
    root = join(work, 'root');
    execFileSync('cp', ['-a', pristine, root]);
    execFileSync('cp', ['/etc/resolv.conf', join(root, 'etc/resolv.conf')]);
    bind('/proc', join(root, 'proc'));
    bind('/dev', join(root, 'dev'));
    bind('/dev/pts', join(root, 'dev/pts'));
    mkdirSync(join(APT_CACHE, 'partial'), { recursive: true });
    bind(APT_CACHE, join(root, 'var/cache/apt/archives'));

    server = await ServerProcess.start({ env: { VIGIE_AUTH: 'required' } });
    const enroll = await runAdmin(server.sqlitePath, ['device', 'enroll', DEVICE, '--location', LOCATION]);
    expect(enroll.code).toBe(0);
    code = enroll.stdout.trimEnd().split('\n').at(-1)!.split(' ').at(-1)!;
  });

  afterAll(async () => {
    await Promise.all(agents.map(stop));
    for (const target of mounts.reverse()) spawnSync('umount', [target]);
    const left = readFileSync('/proc/self/mounts', 'utf8').includes(work ?? '//none');
    if (work && !left) rmSync(work, { recursive: true, force: true });
    await cleanupServerProcesses();
    if (left) throw new Error(`${work} still has mounts: umount them by hand`);
  });

  it('installs and enrolls from the served command, ending with the success line', () => {
    const run = install(code);

    expect({ status: run.status, lastLine: run.lastLine }).toEqual({
      status: 0,
      lastLine: `Vigie: ${DEVICE} installed and delivering to ${server.url}`,
    });
    expect(run.output).toContain('is enabled and starts at the next boot');
    expect(envFile()).toMatchObject({
      VIGIE_SERVER_URL: server.url,
      VIGIE_DEVICE_ID: DEVICE,
      VIGIE_DEVICE_TOKEN: expect.stringMatching(/^\S+$/) as string,
      VIGIE_LOCATION: LOCATION,
      VIGIE_BUTTONS: '17:panic',
    });
    const env = statSync(join(root, ENV_FILE));
    const vigieGid = /^vigie:x:(\d+):/m.exec(file('/etc/group'))![1];
    expect({ mode: (env.mode & 0o777).toString(8), uid: env.uid, gid: String(env.gid) }).toEqual({
      mode: '640',
      uid: 0,
      gid: vigieGid,
    });
    expect(file('/etc/group')).toMatch(/^gpio:x:\d+:vigie$/m);
    // The repository's unit, byte for byte: the one the bundle packs.
    expect(file(UNIT_FILE)).toBe(
      readFileSync(join(REPO_ROOT, 'deploy/systemd/vigie-button-agent.service'), 'utf8'),
    );
    // Enabled for the next boot: the link systemctl makes (absolute, so read, not followed, from here).
    expect(
      readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants/vigie-button-agent.service')),
    ).toBe('/etc/systemd/system/vigie-button-agent.service');
  });

  it('the installed agent delivers a press, stored under the enrolled device id', async () => {
    const alertId = await pressOnce();

    expect(storedAlerts()).toEqual([{ id: alertId, type: 'panic' }]);
  });

  it('run again without a code, upgrades in place: same token and settings, and still delivers', async () => {
    const before = file(ENV_FILE);

    const run = install(null);

    expect({ status: run.status, lastLine: run.lastLine }).toEqual({
      status: 0,
      lastLine: `Vigie: ${DEVICE} installed and delivering to ${server.url}`,
    });
    expect(run.output).toContain(`Already enrolled as ${DEVICE}: keeping its token and settings`);
    expect(file(ENV_FILE)).toBe(before);
    const alertId = await pressOnce();
    expect(storedAlerts().map((alert) => alert.id)).toContain(alertId);
    expect(storedAlerts()).toHaveLength(2);
  });

  it('refuses the used code clearly when this Pi has no token yet', () => {
    rmSync(join(root, ENV_FILE));

    const run = install(code);

    expect({ status: run.status, lastLine: run.lastLine }).toEqual({
      status: 1,
      lastLine: 'Vigie: FAILED at enroll: code used, unknown or expired: make a new one on the dashboard',
    });
  });
});
