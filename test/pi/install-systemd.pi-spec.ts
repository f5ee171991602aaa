import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAdmin } from '../support/admin-cli';
import { REPO_ROOT, ServerProcess, cleanupServerProcesses } from '../support/server-process';
import { assertBuilt } from '../support/watched-process';

/**
 * Issue 16, install.sh's branch for a Pi where systemd runs (/run/systemd/system exists):
 * daemon-reload, enable, restart, then doctor through `systemd-run` as the unit's user.
 *
 * A real systemd, not stand-ins. The arm64 root of install.pi-spec.ts cannot give one: its
 * systemd 257 boots as PID 1 under qemu-user but starts no service ("Failed to spawn executor:
 * Invalid argument", the clone qemu-user does not emulate). So this machine's own systemd boots
 * instead, as PID 1 of new PID, mount, UTS and IPC namespaces, on an overlay of this machine's
 * root whose writable layer is a tmpfs: users, /etc, /opt and apt are changed there only, and it
 * all goes with the namespaces. /proc/sys and /sys are read-only there, `container` is set and
 * only the asked-for units start, so nothing reaches the kernel's settings. The network is this
 * machine's (the server listens on loopback; `apt-get` fetches gpiod). The install runs for real
 * from the served command; `systemctl` and `systemd-run` are the real ones behind a wrapper
 * that writes down how install.sh called them. Needs root, a Debian with systemd, D-Bus and
 * Node.js 20 or newer (as Raspberry Pi OS has), and `npm run build` first.
 */

const DEVICE = 'pi-systemd';
const UNIT = 'vigie-button-agent.service';
const CALLS = '/var/log/vigie-test-calls.log';
const ENV_FILE = '/etc/vigie/button-agent.env';

/** Run by `unshare`: the overlay, the read-only kernel views, then systemd as PID 1 in it. */
const BOOT = String.raw`set -eu
top=$1
mount --make-rprivate /
mount -t tmpfs tmpfs "$top"
mkdir "$top/upper" "$top/work" "$top/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$top/upper,workdir=$top/work" "$top/root"
r=$top/root
mount -t proc proc "$r/proc"
mount --bind "$r/proc/sys" "$r/proc/sys"
mount -o remount,bind,ro "$r/proc/sys"
mount -t sysfs -o ro sysfs "$r/sys"
mount --rbind /dev "$r/dev"
mount -t tmpfs tmpfs "$r/run"
mount -t tmpfs tmpfs "$r/tmp"
# Nothing that loads modules, sets the clock, replays hardware events or manages seats, even if asked.
for unit in systemd-modules-load systemd-timesyncd systemd-pstore systemd-binfmt systemd-udevd \
  systemd-udev-trigger systemd-hwdb-update systemd-sysctl systemd-logind packagekit; do
  ln -sf /dev/null "$r/etc/systemd/system/$unit.service"
done
printf '[Unit]\nDescription=Vigie test: only the units asked for\nDefaultDependencies=no\n' \
  > "$r/etc/systemd/system/vigie-test.target"
# systemctl and systemd-run, first in PATH: each call written down, then the real one.
for tool in systemctl systemd-run; do
  printf '#!/bin/sh\necho "%s $*" >> %s\nexec /usr/bin/%s "$@"\n' "$tool" "${CALLS}" "$tool" \
    > "$r/usr/local/sbin/$tool"
  chmod 0755 "$r/usr/local/sbin/$tool"
done
export container=vigie-test
exec chroot "$r" /lib/systemd/systemd --system --unit=vigie-test.target`;

let top: string;
let boot: ChildProcess;
let init = 0;
const bootOutput: string[] = [];
let server: ServerProcess;

/** This machine's own install, if any: the booted one must leave it as it is. */
function hostInstall() {
  const paths = ['/opt/vigie-agent', '/etc/vigie', '/var/lib/vigie-agent', `/etc/systemd/system/${UNIT}`];
  const user = spawnSync('getent', ['passwd', 'vigie'], { encoding: 'utf8' }).stdout;
  return { paths: paths.filter((path) => existsSync(path)), user };
}
const hostBefore = hostInstall();

/** `command` run by sh as root in the booted machine; its output, status and last line. */
function inMachine(command: string, timeout = 10 * 60_000) {
  const run = spawnSync('nsenter', ['-t', String(init), '-a', '-r', '-w', '/bin/sh', '-c', command], {
    encoding: 'utf8',
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
    timeout,
  });
  const output = `${run.stdout}${run.stderr}`;
  return {
    status: run.status,
    output,
    stdout: run.stdout.trim(),
    lastLine: run.stdout.trimEnd().split('\n').at(-1),
  };
}

/** Properties of the agent's unit as the running systemd has them (the real systemctl). */
function unit(...names: string[]): Record<string, string> {
  const shown = inMachine(`/usr/bin/systemctl show ${names.map((name) => `-p ${name}`).join(' ')} ${UNIT}`);
  return Object.fromEntries(
    shown.stdout
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** Who the unit's main process runs as, read from the process itself. */
function agentProcess(): { user: string; groups: string } {
  const pid = unit('MainPID').MainPID;
  const [user, groups] = inMachine(`ps -o user=,supgrp= -p ${pid}`).stdout.split(/\s+/);
  return { user, groups };
}

/** How install.sh called systemctl and systemd-run since the last look (the log is then emptied). */
function takeCalls(): string[] {
  const log = inMachine(`cat ${CALLS} 2> /dev/null; rm -f ${CALLS}`).stdout;
  return log === '' ? [] : log.split('\n');
}

function install(code: string | null) {
  return inMachine(`curl -fsSL ${server.url}/agent/install.sh | sh -s --${code ? ` ${code}` : ''}`);
}

async function newCode(): Promise<string> {
  const enroll = await runAdmin(server.sqlitePath, ['device', 'enroll', DEVICE]);
  expect(enroll.code).toBe(0);
  return enroll.stdout.trimEnd().split('\n').at(-1)!.split(' ').at(-1)!;
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s\n${bootOutput.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** doctor as the unit would run it: its user, groups, directory and environment, env file last. */
const DOCTOR_RUN =
  'systemd-run --quiet --pipe --wait --collect --property=User=vigie --property=SupplementaryGroups=gpio ' +
  '--property=WorkingDirectory=/opt/vigie-agent --property=Environment=NODE_ENV=production ' +
  '--property=Environment=VIGIE_SPOOL_DIR=/var/lib/vigie-agent/spool ' +
  '--property=EnvironmentFile=/etc/vigie/button-agent.env /usr/bin/node /opt/vigie-agent/vigie-agent.js doctor';

const SUCCESS = () => `Vigie: ${DEVICE} installed and delivering to ${server.url}`;

describe("install.sh where systemd runs (this machine's systemd, booted on an overlay of its root)", () => {
  beforeAll(async () => {
    assertBuilt(join(REPO_ROOT, 'dist/agent/install.sh'), 'deploy');
    top = mkdtempSync(join(tmpdir(), 'vigie-systemd-'));
    boot = spawn(
      'unshare',
      ['--mount', '--pid', '--fork', '--uts', '--ipc', '/bin/sh', '-c', BOOT, 'sh', top],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    boot.stdout!.on('data', (chunk: Buffer) => bootOutput.push(chunk.toString()));
    boot.stderr!.on('data', (chunk: Buffer) => bootOutput.push(chunk.toString()));
    // systemd is unshare's only child: PID 1 inside, this number outside.
    const children = `/proc/${boot.pid}/task/${boot.pid}/children`;
    await until('unshare forks', () => {
      if (boot.exitCode !== null)
        throw new Error(`the boot ended (${boot.exitCode}):\n${bootOutput.join('')}`);
      init = Number(readFileSync(children, 'utf8').trim().split(' ')[0] || 0);
      return init > 0;
    });
    await until('systemd is up', () =>
      /^(running|degraded)$/.test(inMachine('systemctl is-system-running', 5_000).stdout),
    );
    // Raspberry Pi OS runs D-Bus, which `systemd-run --pipe --wait` talks through.
    expect(inMachine('systemctl start dbus.socket').status).toBe(0);
    takeCalls();

    server = await ServerProcess.start({ env: { VIGIE_AUTH: 'required' } });
  });

  afterAll(async () => {
    // PID 1 of a PID namespace killed: every process in it goes, then its mounts with it.
    if (init) process.kill(init, 'SIGKILL');
    if (boot && boot.exitCode === null) await new Promise((resolve) => boot.once('exit', resolve));
    await cleanupServerProcesses();
    if (top) {
      if (readFileSync('/proc/self/mounts', 'utf8').includes(top)) throw new Error(`${top} is still mounted`);
      rmSync(top, { recursive: true, force: true });
    }
  });

  it('installs, enables and starts the unit through systemd, then runs doctor through systemd-run as the unit runs', async () => {
    const run = install(await newCode());

    expect({ status: run.status, lastLine: run.lastLine }).toEqual({ status: 0, lastLine: SUCCESS() });
    expect(takeCalls()).toEqual([
      'systemctl daemon-reload',
      `systemctl enable --quiet ${UNIT}`,
      `systemctl restart ${UNIT}`,
      'systemctl is-active --quiet dbus.socket',
      DOCTOR_RUN,
    ]);
    // doctor's own lines, run by systemd as vigie with the env file: its token was accepted.
    expect(run.output).toContain(`    OK   credentials  the server accepts device ${DEVICE}`);
    expect(run.output).not.toContain('systemd is not running here');
    expect(inMachine(`/usr/bin/systemctl is-enabled ${UNIT}`).stdout).toBe('enabled');
    expect(unit('NeedDaemonReload', 'User', 'SupplementaryGroups', 'ActiveState')).toEqual({
      NeedDaemonReload: 'no',
      User: 'vigie',
      SupplementaryGroups: 'gpio',
      ActiveState: 'active',
    });
    // The agent as its unit runs it: user vigie, in the group gpio.
    expect(agentProcess()).toEqual({ user: 'vigie', groups: 'vigie,gpio' });
  });

  it('run again where the agent runs (an upgrade), keeps its settings and restarts the running agent', () => {
    const before = { env: inMachine(`cat ${ENV_FILE}`).stdout, pid: unit('MainPID').MainPID };

    const run = install(null);

    expect({ status: run.status, lastLine: run.lastLine }).toEqual({ status: 0, lastLine: SUCCESS() });
    expect(takeCalls()).toEqual([
      'systemctl daemon-reload',
      `systemctl enable --quiet ${UNIT}`,
      `systemctl restart ${UNIT}`,
      'systemctl is-active --quiet dbus.socket',
      DOCTOR_RUN,
    ]);
    expect(inMachine(`cat ${ENV_FILE}`).stdout).toBe(before.env);
    expect(unit('ActiveState').ActiveState).toBe('active');
    expect(unit('MainPID').MainPID).not.toBe(before.pid);
  });

  it('a unit that does not start ends with the service step failed, pointing at its journal', () => {
    // A real failing start: a drop-in whose ExecStartPre fails, as a broken unit would.
    inMachine(
      `mkdir -p /etc/systemd/system/${UNIT}.d && printf '[Service]\\nExecStartPre=/bin/false\\n' > /etc/systemd/system/${UNIT}.d/broken.conf`,
    );

    const run = install(null);

    expect({ status: run.status, lastLine: run.lastLine }).toEqual({
      status: 1,
      lastLine: `Vigie: FAILED at service: ${UNIT} does not start: see journalctl -u ${UNIT}`,
    });
    expect(takeCalls()).toEqual([
      'systemctl daemon-reload',
      `systemctl enable --quiet ${UNIT}`,
      `systemctl restart ${UNIT}`,
    ]);
  });

  it('where systemd runs without D-Bus (a minimal Debian), runs doctor as the unit would without systemd-run', () => {
    // systemd-run --pipe --wait cannot work without the system bus; systemctl, as root, can.
    inMachine(`rm -r /etc/systemd/system/${UNIT}.d && /usr/bin/systemctl stop dbus.socket dbus.service`);

    const run = install(null);

    expect({ status: run.status, lastLine: run.lastLine }).toEqual({ status: 0, lastLine: SUCCESS() });
    expect(takeCalls()).toEqual([
      'systemctl daemon-reload',
      `systemctl enable --quiet ${UNIT}`,
      `systemctl restart ${UNIT}`,
      'systemctl is-active --quiet dbus.socket',
    ]);
    expect(run.output).toContain(`    OK   credentials  the server accepts device ${DEVICE}`);
    expect(unit('ActiveState').ActiveState).toBe('active');
  });

  it("changed nothing on this machine: the installs went to the overlay's tmpfs", () => {
    expect(hostInstall()).toEqual(hostBefore);
  });
});
