import { spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
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

/** A PATH holding only the tools the checks use, so apt-get, systemctl and the rest are absent. */
function pathWithout(): string {
  const bin = makeTempDir('vigie-path-');
  for (const tool of ['id', 'sed', 'tail', 'rm']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(found, join(bin, tool));
  }
  return bin;
}

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

  it('a copy not served by a server says where to get it', () => {
    const run = runScript(SOURCE, { PATH: process.env.PATH });

    expect(run.status).toBe(1);
    expect(run.lastLine).toMatch(/^Vigie: FAILED at checks: .*\/agent\/install.sh \| sudo sh -s -- <code>$/);
  });
});
