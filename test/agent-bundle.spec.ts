import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, parse } from 'node:path';
import Database from 'better-sqlite3';
import { addDevice } from './support/admin-cli';
import { AgentProcess, AgentStartOptions, cleanupAgentProcesses } from './support/agent-process';
import {
  REPO_ROOT,
  SERVER_MAIN,
  ServerProcess,
  cleanupServerProcesses,
  makeTempDir,
  request,
} from './support/server-process';
import { assertBuilt } from './support/watched-process';

/**
 * The agent as a Pi gets it (issue 16): downloaded from the built alert server, unpacked
 * where no node_modules can be reached, and run with nothing but Node.js, against a server
 * that asks for device tokens. Build first: `npm run build`.
 */

const BUILT_BUNDLE = join(REPO_ROOT, 'dist/agent/vigie-agent.tgz');
const ROUTE = '/agent/vigie-agent.tgz';
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

/** The archive's bytes, as a Pi's curl gets them. */
async function download(server: ServerProcess): Promise<Buffer> {
  const answer = await fetch(`${server.url}${ROUTE}`);
  expect(answer.status).toBe(200);
  return Buffer.from(await answer.arrayBuffer());
}

/** What `tar -xzf` makes of the archive in a fresh temp folder (as the Pi's tar does), and its names. */
function unpack(archive: Buffer): { folder: string; names: string[] } {
  // A server temp folder: removed with the server after all tests, not with each test's agents.
  const folder = makeTempDir('vigie-bundle-');
  writeFileSync(join(folder, 'download.tgz'), archive);
  const names = execFileSync('tar', ['-tzf', 'download.tgz'], { cwd: folder, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  execFileSync('tar', ['-xzf', 'download.tgz'], { cwd: folder });
  return { folder: join(folder, 'vigie-agent'), names };
}

/** The flags of `ExecStart=/usr/bin/node [flags] /opt/vigie-agent/vigie-agent.js run`. */
function unitNodeFlags(unit: string): string[] {
  const execStart = /^ExecStart=\/usr\/bin\/node ((?:-\S+ )*)\/opt\/vigie-agent\/vigie-agent\.js run$/m.exec(
    unit,
  );
  if (!execStart)
    throw new Error(`no ExecStart=/usr/bin/node [flags] /opt/vigie-agent/vigie-agent.js run in:\n${unit}`);
  return execStart[1].split(' ').filter(Boolean);
}

/** The alerts the server stored for `deviceId`, read from its SQLite file. */
function storedAlerts(server: ServerProcess, deviceId: string): Array<{ id: string; type: string }> {
  const db = new Database(server.sqlitePath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT id, type FROM alerts WHERE device_id = ?').all(deviceId) as never;
  } finally {
    db.close();
  }
}

describe('the agent bundle, served by the alert server', () => {
  let server: ServerProcess;
  let archive: Buffer;
  let names: string[];
  let folder: string;
  let script: string;

  beforeAll(async () => {
    assertBuilt(BUILT_BUNDLE, 'apps/button-agent/src');
    server = await ServerProcess.start({ env: { VIGIE_AUTH: 'required' } });
    archive = await download(server);
    ({ folder, names } = unpack(archive));
    script = join(folder, 'vigie-agent.js');
  });

  afterEach(() => cleanupAgentProcesses());

  /** The node flags the unit runs the agent with, as systemd would pass them. */
  const unitFlags = () => unitNodeFlags(readFileSync(join(folder, 'vigie-button-agent.service'), 'utf8'));
  afterAll(async () => {
    await cleanupAgentProcesses();
    await cleanupServerProcesses();
  });

  /**
   * The unpacked agent, run from its folder with the keyboard driver and a token of `device add`;
   * no NODE_PATH either, so nothing outside the folder can lend it a package.
   */
  async function bundled(deviceId: string, env: Record<string, string> = {}): Promise<AgentStartOptions> {
    const token = await addDevice(server.sqlitePath, deviceId);
    return {
      serverUrl: server.url,
      deviceId,
      env: { VIGIE_DEVICE_TOKEN: token, NODE_PATH: undefined, ...env },
      main: script,
      cwd: folder,
    };
  }

  it('GET /agent/vigie-agent.tgz: the built archive, gzip, without credentials and revalidated by its ETag', async () => {
    const answer = await request(server.url, 'HEAD', ROUTE);

    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/gzip');
    expect(answer.headers.etag).toBeDefined();
    expect(answer.headers['last-modified']).toBeDefined();
    expect(archive.equals(readFileSync(BUILT_BUNDLE))).toBe(true);
    const revalidated = await request(server.url, 'GET', ROUTE, undefined, {
      headers: { 'if-none-match': answer.headers.etag },
    });
    expect(revalidated.status).toBe(304);
  });

  it('is not rate-limited: more downloads in 10 s than a device may post alerts', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 130; i++) statuses.add((await request(server.url, 'HEAD', ROUTE)).status);

    expect([...statuses]).toEqual([200]);
  });

  it('holds one folder: the script under 2 MB, its systemd unit, VERSION; no native code, no node_modules', () => {
    expect(names).toEqual(
      expect.arrayContaining([
        'vigie-agent/',
        'vigie-agent/vigie-agent.js',
        'vigie-agent/vigie-button-agent.service',
        'vigie-agent/doctor.sh',
        'vigie-agent/VERSION',
      ]),
    );
    // `sudo /opt/vigie-agent/doctor.sh`: runnable, and runs the unpacked script.
    expect(statSync(join(folder, 'doctor.sh')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(folder, 'doctor.sh'), 'utf8')).toContain(
      '/opt/vigie-agent/vigie-agent.js doctor',
    );
    expect(names.filter((name) => !name.startsWith('vigie-agent/'))).toEqual([]);
    expect(names.filter((name) => name.endsWith('.node') || name.includes('node_modules'))).toEqual([]);
    expect(statSync(script).size).toBeLessThan(2 * 1024 * 1024);
    expect(readFileSync(join(folder, 'VERSION'), 'utf8')).toBe(`${VERSION}\n`);
  });

  it('leaves the rpi-gpio package out: required by name at run time, found only if installed beside it', () => {
    const text = readFileSync(script, 'utf8');
    const licences = readFileSync(join(folder, 'THIRD-PARTY-LICENSES.txt'), 'utf8');

    expect(text.match(/require\("rpi-gpio"\)/g)).toHaveLength(1);
    expect(text).not.toContain('Unable to match Revision in /proc/cpuinfo'); // the package's own words
    expect(licences).not.toMatch(/^(rpi-gpio|epoll|bindings|async-retry) /m);
  });

  it("its unit is the repository's, run from /opt/vigie-agent", () => {
    const unit = readFileSync(join(folder, 'vigie-button-agent.service'), 'utf8');
    const repository = readFileSync(join(REPO_ROOT, 'deploy/systemd/vigie-button-agent.service'), 'utf8');

    expect(unit).toBe(repository);
    expect(unit).toMatch(/^WorkingDirectory=\/opt\/vigie-agent$/m);
    expect(unitNodeFlags(unit)).toEqual(['--max-semi-space-size=1', '--no-opt']);
  });

  it('is unpacked where no node_modules can be reached', () => {
    const ancestors: string[] = [];
    for (let dir = folder; dir !== parse(dir).root; dir = dirname(dir)) ancestors.push(dir);
    const resolveFromFolder = () =>
      execFileSync(process.execPath, ['-e', "require.resolve('@nestjs/core')"], {
        cwd: folder,
        env: { ...process.env, NODE_PATH: '' },
        stdio: 'pipe',
      });

    expect(ancestors.filter((dir) => existsSync(join(dir, 'node_modules')))).toEqual([]);
    expect(resolveFromFolder).toThrow(/Cannot find module '@nestjs\/core'/);
  });

  it('run, with the node flags of its unit: a press on the keyboard becomes an alert stored under its device id, with its token', async () => {
    const agent = await AgentProcess.start({ ...(await bundled('pi-bundle-run')), nodeArgs: unitFlags() });
    expect(agent.events('agent.ready')[0]).toMatchObject({ version: VERSION });

    agent.press();
    const [pressed] = await agent.waitForEvent('button.pressed');
    await agent.waitForEvent('alert.delivered', { match: (entry) => entry.alertId === pressed.alertId });

    expect(storedAlerts(server, 'pi-bundle-run')).toEqual([{ id: pressed.alertId, type: 'panic' }]);
    expect(await agent.stop()).toEqual({ code: 0, signal: null });
  });

  it('holds in memory nothing it does not use: no fetch implementation, no date formatter, no form-data', async () => {
    const agent = await AgentProcess.start({
      ...(await bundled('pi-bundle-memory')),
      nodeArgs: [...unitFlags(), '-r', join(__dirname, 'support/load-probe.js')],
    });
    agent.press();
    await agent.waitForEvent('alert.delivered');

    agent.child.kill('SIGUSR2');
    const [loaded] = await agent.waitForEvent('probe.loaded');
    // axios reads the fetch API's globals when it loads, which makes Node load undici (~12 MB);
    // Nest makes two date formatters when it loads, which page in Intl's locale data (~6 MB).
    expect(loaded.modules).toEqual(expect.arrayContaining(['http', 'internal/fs/promises']));
    expect((loaded.modules as string[]).filter((name) => name.includes('undici'))).toEqual([]);
    expect(loaded.dateTimeFormats).toBe(0);
    // form-data brings mime-db's table of every MIME type; its licence would be listed if it were bundled.
    const licences = readFileSync(join(folder, 'THIRD-PARTY-LICENSES.txt'), 'utf8');
    expect(licences).toMatch(/^axios /m);
    expect(licences).not.toMatch(/^(form-data|mime-db|mime-types) /m);
    expect(await agent.stop()).toEqual({ code: 0, signal: null });
  });

  it('send and doctor run from the bundle too', async () => {
    const options = await bundled('pi-bundle-send');

    const send = await AgentProcess.runToExit({
      ...options,
      command: 'send',
      args: ['fire', '--wait', '10'],
    });
    expect({ exit: send.exitResult, output: send.output() }).toMatchObject({ exit: { code: 0 } });
    expect(storedAlerts(server, 'pi-bundle-send')).toMatchObject([{ type: 'fire' }]);

    const doctor = await AgentProcess.runToExit({ ...options, command: 'doctor' });
    expect({ exit: doctor.exitResult, output: doctor.output() }).toMatchObject({ exit: { code: 0 } });
    expect(doctor.stdoutLines.filter((line) => line.startsWith('FAIL'))).toEqual([]);
  });

  it('LOG_FORMAT=pretty works without node_modules (no worker loading pino-pretty by path)', async () => {
    const agent = AgentProcess.spawn(await bundled('pi-bundle-pretty', { LOG_FORMAT: 'pretty' }));

    const ready = await agent.waitForLine((line) => line.includes('button agent ready'), 15_000);
    expect(() => JSON.parse(ready) as unknown).toThrow();
    expect(await agent.stop()).toEqual({ code: 0, signal: null });
  });
});

describe('a server without the agent bundle', () => {
  afterAll(() => cleanupServerProcesses());

  it('answers 404 in the NestJS error shape, saying to run npm run build', async () => {
    // The built server, copied where no dist/agent/ lies beside it; its packages still found
    // through NODE_PATH.
    const copy = join(makeTempDir('vigie-no-bundle-'), 'apps/alert-server');
    mkdirSync(copy, { recursive: true });
    for (const file of ['main.js', 'store-writer.worker.js'])
      copyFileSync(join(dirname(SERVER_MAIN), file), join(copy, file));
    const server = await ServerProcess.start({
      main: join(copy, 'main.js'),
      env: { NODE_PATH: join(REPO_ROOT, 'node_modules') },
    });

    const answer = await request(server.url, 'GET', ROUTE);

    expect(answer.status).toBe(404);
    expect(answer.json).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: expect.stringContaining('npm run build') as string,
    });
  });
});
