import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  REPO_ROOT,
  ServerProcess,
  cleanupServerProcesses,
  makeTempDir,
  request,
} from './support/server-process';
import { assertBuilt } from './support/watched-process';

/**
 * `curl -fsSL <server>/agent/install.sh | sudo sh -s -- <code>` (issue 16): the script as the
 * built server serves it, told to install from that server, and its refusals run for real. Its
 * whole run on an arm64 Debian is `npm run test:pi` (test/pi/install.pi-spec.ts).
 */

const SOURCE = readFileSync(join(REPO_ROOT, 'deploy/install.sh'), 'utf8');
const ROUTE = '/agent/install.sh';

/** The served script, run by `sh -s -- <code>` as the command does, under `wrapper` (e.g. setpriv). */
function runScript(script: string, env: NodeJS.ProcessEnv, wrapper: string[] = []) {
  const [command, ...args] = [...wrapper, '/bin/sh', '-s', '--', 'vge_notacodebutshapedlikeone'];
  const run = spawnSync(command, args, { input: script, env, encoding: 'utf8', timeout: 20_000 });
  const lines = run.stdout.trimEnd().split('\n');
  return { status: run.status, lastLine: lines.at(-1), stdout: run.stdout, stderr: run.stderr };
}

/** Where `tool` is on this machine's PATH. */
function which(tool: string): string {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
}

/** A PATH holding only the tools the checks use, so apt-get, systemctl and the rest are absent. */
function pathWithout(): string {
  const bin = makeTempDir('vigie-path-');
  for (const tool of ['id', 'sed', 'tail', 'rm']) symlinkSync(which(tool), join(bin, tool));
  return bin;
}

/**
 * An executable `name` in `bin` that appends its arguments to `bin/calls.log`, then runs `body`.
 * The refusals below run as root on this machine: whatever the script reaches before refusing is
 * either a read or one of these, so a wrong turn is seen in the log instead of done for real.
 */
function standIn(bin: string, name: string, body = 'exit 0'): void {
  writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${bin}/calls.log"\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

function calls(bin: string): string[] {
  const log = join(bin, 'calls.log');
  return existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n') : [];
}

/** What an install would create on this machine: none of it may appear when the script refuses. */
const INSTALLED = [
  '/opt/vigie-agent',
  '/etc/vigie',
  '/var/lib/vigie-agent',
  '/etc/systemd/system/vigie-button-agent.service',
];

function installedNow(): string[] {
  return INSTALLED.filter((path) => existsSync(path));
}

/**
 * `wrapper` running the script with an empty /run (a tmpfs in a private mount namespace, so for
 * that run only): a machine without /run/systemd/system, whether or not systemd runs here.
 */
function withoutRunSystemd(): string[] {
  return [
    which('unshare'),
    '--mount',
    '/bin/sh',
    '-c',
    `${which('mount')} -t tmpfs tmpfs /run && exec "$@"`,
    'sh',
  ];
}

const NODE_TOO_OLD = (version: string) =>
  `Vigie: FAILED at packages: Node.js ${version} is what this system offers; Vigie needs 20 or newer: ` +
  "install it from NodeSource's Debian packages or move to Raspberry Pi OS Trixie (Debian 13), then run this again";

describe('GET /agent/install.sh', () => {
  let server: ServerProcess;
  let script: string;

  beforeAll(async () => {
    assertBuilt(join(REPO_ROOT, 'dist/agent/install.sh'), 'deploy');
    server = await ServerProcess.start({ env: { VIGIE_AUTH: 'required' } });
    const answer = await request(server.url, 'GET', ROUTE);
    expect(answer.status).toBe(200);
    script = answer.text;
  });
  afterAll(() => cleanupServerProcesses());

  it('answers deploy/install.sh without credentials, as a shell script, with its own address filled in', async () => {
    const answer = await request(server.url, 'GET', ROUTE);

    expect(answer.headers['content-type']).toMatch(/^text\/x-shellscript/);
    expect(script.match(/^server=.*$/gm)).toEqual([`server='${server.url}'`]);
    expect(script.replace(/^server=.*$/m, "server=''")).toBe(SOURCE);
  });

  it('names VIGIE_PUBLIC_URL instead when it is set, quoted for sh whatever it holds', async () => {
    const publicUrl = "https://vigie.example.org/it's$(reboot)";
    const behindProxy = await ServerProcess.start({ env: { VIGIE_PUBLIC_URL: publicUrl } });

    const served = (await request(behindProxy.url, 'GET', ROUTE)).text;
    const line = served.match(/^server=.*$/m)![0];
    const value = spawnSync('sh', ['-c', `${line}; printf %s "$server"`], { encoding: 'utf8' }).stdout;

    expect(value).toBe(new URL(publicUrl).href);
  });

  it('parses as POSIX sh (sh -n)', () => {
    const result = spawnSync('sh', ['-n'], { input: script, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('refuses to run as a user other than root, saying to use sudo, in its last line', () => {
    const run = runScript(script, { PATH: process.env.PATH }, [
      'setpriv',
      '--reuid=nobody',
      '--regid=nogroup',
      '--clear-groups',
    ]);

    expect(run.status).toBe(1);
    expect(run.lastLine).toBe(
      `Vigie: FAILED at checks: run it as root: curl -fsSL ${server.url}/agent/install.sh | sudo sh -s -- <code>`,
    );
  });

  it('refuses a system without apt-get, before changing anything', () => {
    const run = runScript(script, { PATH: pathWithout() });

    expect(run.status).toBe(1);
    expect(run.lastLine).toBe(
      'Vigie: FAILED at checks: apt-get not found: this script is for Raspberry Pi OS or Debian',
    );
  });

  it('refuses a system without systemd, before changing anything', () => {
    const bin = pathWithout();
    standIn(bin, 'apt-get');
    const before = installedNow();

    const run = runScript(script, { PATH: bin }, withoutRunSystemd());

    expect({ status: run.status, lastLine: run.lastLine }).toEqual({
      status: 1,
      lastLine:
        'Vigie: FAILED at checks: systemd not found: the agent runs as a systemd service; use Raspberry Pi OS or Debian with systemd',
    });
    expect(calls(bin)).toEqual([]);
    expect(installedNow()).toEqual(before);
  });

  it("refuses an installed Node.js older than 20 (bookworm's 18), saying how to get one, before installing anything", () => {
    // node answers v18.19.0; gpiomon and curl are missing, so the package lists are read first.
    const bin = pathWithout();
    standIn(bin, 'node', 'echo v18.19.0');
    standIn(bin, 'apt-get');
    standIn(bin, 'systemctl', 'exit 1');
    const before = installedNow();

    const run = runScript(script, { PATH: bin });

    expect({ status: run.status, lastLine: run.lastLine }).toEqual({
      status: 1,
      lastLine: NODE_TOO_OLD('v18.19.0'),
    });
    expect(calls(bin)).toEqual(['apt-get update -q', 'node --version']);
    expect(run.stdout).not.toContain('Creating the service user');
    expect(installedNow()).toEqual(before);
  });

  it("refuses when the Node.js apt would install is older than 20 (bookworm's nodejs), before installing it", () => {
    const bin = pathWithout();
    standIn(bin, 'apt-get');
    standIn(
      bin,
      'apt-cache',
      "printf 'nodejs:\\n  Installed: (none)\\n  Candidate: 18.19.0+dfsg-6~deb12u2\\n'",
    );
    standIn(bin, 'systemctl', 'exit 1');
    const before = installedNow();

    const run = runScript(script, { PATH: bin });

    expect({ status: run.status, lastLine: run.lastLine }).toEqual({
      status: 1,
      lastLine: NODE_TOO_OLD('18.19.0+dfsg-6~deb12u2'),
    });
    expect(calls(bin)).toEqual(['apt-get update -q', 'apt-cache policy nodejs']);
    expect(installedNow()).toEqual(before);
  });

  it('a copy not served by a server says where to get it', () => {
    const run = runScript(SOURCE, { PATH: process.env.PATH });

    expect(run.status).toBe(1);
    expect(run.lastLine).toMatch(/^Vigie: FAILED at checks: .*\/agent\/install.sh \| sudo sh -s -- <code>$/);
  });
});
