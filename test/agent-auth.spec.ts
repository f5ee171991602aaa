import { lookup } from 'node:dns/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { addDevice, addOperator, revokeDevice } from './support/admin-cli';
import {
  AgentProcess,
  LogEntry,
  cleanupAgentProcesses,
  listSpoolFiles,
  makeAgentTempDir,
  waitUntil,
} from './support/agent-process';
import { ServerProcess, cleanupServerProcesses, makeTempDir, request } from './support/server-process';
import { HttpsProxy, makeTestCertificates, startHttpsProxy } from './support/tls-proxy';

/**
 * The button agent against a server that enforces device tokens (issue 5),
 * real processes only; tokens are made and revoked with the server binary's `device` commands,
 * as an administrator would. What the server stored is read from its SQLite file.
 * Build first: `npm run build`.
 */

const startServer = () => ServerProcess.start({ env: { VIGIE_AUTH: 'required' } });

/** A token of the server's shape that it never issued. */
const WRONG_TOKEN = `vgd_${'x'.repeat(43)}`;

/** The ids of the alerts stored for `deviceId`, sorted (read from the store, not through the API). */
function storedAlertIds(server: ServerProcess, deviceId: string): string[] {
  return withStore(server, (db) =>
    (
      db.prepare('SELECT id FROM alerts WHERE device_id = ? ORDER BY id').all(deviceId) as Array<{
        id: string;
      }>
    ).map((row) => row.id),
  );
}

/** The row of `deviceId` in the devices table (made by its first accepted heartbeat or alert). */
function storedDevice(server: ServerProcess, deviceId: string): Record<string, unknown> | undefined {
  return withStore(
    server,
    (db) => db.prepare('SELECT * FROM devices WHERE id = ?').get(deviceId) as Record<string, unknown>,
  );
}

function withStore<T>(server: ServerProcess, read: (db: Database.Database) => T): T {
  const db = new Database(server.sqlitePath, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** An operator session cookie, for the routes that need one (GET /devices). */
async function signIn(server: ServerProcess): Promise<string> {
  const password = 'correct horse battery';
  await addOperator(server.sqlitePath, 'chef-de-poste', password);
  const answer = await request(server.url, 'POST', '/auth/login', { name: 'chef-de-poste', password });
  expect(answer.status).toBe(204);
  const cookie = ([] as string[]).concat(answer.headers['set-cookie'] ?? [])[0];
  expect(cookie).toMatch(/^vigie_session=/);
  return cookie.split(';')[0];
}

/** The server's audit lines for the tokens it refused on `route` for `deviceId`. */
function refusals(server: ServerProcess, deviceId: string, route: string): Array<Record<string, unknown>> {
  return server
    .logs()
    .filter(
      (entry) =>
        entry.code === 'DEVICE_TOKEN_REFUSED' && entry.deviceId === deviceId && entry.route === route,
    );
}

/** A device token is a secret: no line of the agent or of the server may carry it. */
function expectNotLogged(token: string, ...processes: Array<AgentProcess | ServerProcess>): void {
  for (const child of processes) {
    expect([...child.stdoutLines, ...child.stderrLines].filter((line) => line.includes(token))).toEqual([]);
  }
}

const ids = (entries: LogEntry[]) => entries.map((entry) => entry.alertId as string);
const spoolNames = (alertIds: string[]) => alertIds.map((id) => `${id}.json`).sort();

/** Presses `count` times, one at a time, and returns the alert ids in press order. */
async function press(agent: AgentProcess, count: number): Promise<string[]> {
  const before = agent.events('alert.spooled').length;
  for (let n = 1; n <= count; n++) {
    agent.press();
    await agent.waitForEvent('alert.spooled', { count: before + n });
  }
  return ids(agent.events('alert.spooled').slice(before));
}

/**
 * Every delivery attempt the agent made is an error line with the code, its meaning and what to
 * do, numbered without a gap (the same alert, oldest first, at every retry).
 */
function expectErrorAtEveryAttempt(agent: AgentProcess, status: 401 | 403, firstAlertId: string): LogEntry[] {
  const failed = agent.events('alert.delivery_failed');
  expect(failed.length).toBeGreaterThanOrEqual(3);
  for (const entry of failed) {
    expect(entry).toMatchObject({
      level: 'error',
      code: `HTTP_${status}`,
      status,
      alertId: firstAlertId,
      meaning: expect.any(String),
      check: expect.any(String),
    });
    expect(entry.msg).toContain(`HTTP_${status}`);
  }
  expect(failed.map((entry) => entry.attempt)).toEqual(failed.map((_, index) => index + 1));
  expect(agent.events('alert.delivered')).toEqual([]);
  return failed;
}

afterEach(async () => {
  await cleanupAgentProcesses();
  await cleanupServerProcesses();
});

describe('button agent against a server enforcing device tokens', () => {
  it('with a valid token: a press arrives once and heartbeats keep the device online', async () => {
    const server = await startServer();
    const token = await addDevice(server.sqlitePath, 'pi-hall-01', 'Hall');
    expect(token).toMatch(/^vgd_[A-Za-z0-9_-]{43,}$/);
    const agent = await AgentProcess.start({
      serverUrl: server.url,
      deviceId: 'pi-hall-01',
      env: { VIGIE_DEVICE_TOKEN: token, VIGIE_LOCATION: 'Hall' },
    });

    const [id] = await press(agent, 1);
    await agent.waitForEvent('alert.delivered', { match: (entry) => entry.alertId === id });
    expect(storedAlertIds(server, 'pi-hall-01')).toEqual([id]);
    expect(agent.spoolFiles()).toEqual([]);

    // Heartbeats accepted: the device is online for the security post, with an empty spool.
    const cookie = await signIn(server);
    const device = await waitUntil(async () => {
      const answer = await request(server.url, 'GET', '/devices', undefined, { headers: { cookie } });
      expect(answer.status).toBe(200);
      const found = (answer.json as Array<Record<string, unknown>>).find((d) => d.id === 'pi-hall-01');
      return found?.spoolDepth === 0 ? found : undefined;
    }, 'pi-hall-01 in GET /devices with an empty spool');
    expect(device).toMatchObject({ status: 'online', location: 'Hall' });
    expect(agent.events('heartbeat.failed')).toEqual([]);
    expect(agent.events('alert.delivery_failed')).toEqual([]);
    expect(refusals(server, 'pi-hall-01', 'POST /alerts')).toEqual([]);

    expect(await agent.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(storedAlertIds(server, 'pi-hall-01')).toEqual([id]);
    expectNotLogged(token, agent, server);
  });

  it('with a wrong or a revoked token: alerts wait in the spool, an error at every attempt, then go out once after a restart with a valid token', async () => {
    const server = await startServer();
    // pi-wrong has a token, but its agent was given another string.
    const rightToken = await addDevice(server.sqlitePath, 'pi-wrong');
    // pi-stolen's token was revoked (a stolen Pi); a new one is made for the replacement.
    const revokedToken = await addDevice(server.sqlitePath, 'pi-stolen');
    await revokeDevice(server.sqlitePath, 'pi-stolen');

    const spools = { wrong: join(makeAgentTempDir(), 'spool'), stolen: join(makeAgentTempDir(), 'spool') };
    const common = { serverUrl: server.url, env: { VIGIE_RETRY_BASE_MS: '50', VIGIE_RETRY_MAX_MS: '200' } };
    const wrong = await AgentProcess.start({
      ...common,
      deviceId: 'pi-wrong',
      spoolDir: spools.wrong,
      env: { ...common.env, VIGIE_DEVICE_TOKEN: WRONG_TOKEN },
    });
    const stolen = await AgentProcess.start({
      ...common,
      deviceId: 'pi-stolen',
      spoolDir: spools.stolen,
      env: { ...common.env, VIGIE_DEVICE_TOKEN: revokedToken },
    });
    const pressed = { wrong: await press(wrong, 2), stolen: await press(stolen, 2) };
    for (const agent of [wrong, stolen]) {
      await agent.waitForEvent('alert.delivery_failed', { count: 4 });
      await agent.waitForEvent('heartbeat.failed');
    }

    for (const [name, agent] of [
      ['wrong', wrong],
      ['stolen', stolen],
    ] as const) {
      const failed = expectErrorAtEveryAttempt(agent, 401, pressed[name][0]);
      // The meaning and the remedy, from the shared table, in every line.
      for (const entry of failed) {
        expect(entry.meaning).toMatch(/missing, wrong or revoked/);
        expect(entry.check).toMatch(/device add.*VIGIE_DEVICE_TOKEN/);
        expect(entry.detail).toBe('unknown or revoked device token');
      }
      expect(agent.events('heartbeat.failed')[0]).toMatchObject({ level: 'warn', code: 'HTTP_401' });
      expect(agent.spoolFiles()).toEqual(spoolNames(pressed[name]));
    }
    // Nothing stored: no alert, not even the device (its heartbeats were refused too).
    for (const deviceId of ['pi-wrong', 'pi-stolen']) {
      expect(storedAlertIds(server, deviceId)).toEqual([]);
      expect(storedDevice(server, deviceId)).toBeUndefined();
    }

    // Every refusal the server logged is one the agent reported: no attempt went unsaid.
    for (const agent of [wrong, stolen])
      expect(await agent.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    for (const [name, agent, reason] of [
      ['wrong', wrong, 'unknown'],
      ['stolen', stolen, 'revoked'],
    ] as const) {
      const deviceId = `pi-${name}`;
      const attempts = agent.events('alert.delivery_failed').length;
      await waitUntil(
        () => refusals(server, deviceId, 'POST /alerts').length === attempts,
        `${attempts} DEVICE_TOKEN_REFUSED lines for ${deviceId}`,
      );
      for (const line of refusals(server, deviceId, 'POST /alerts')) expect(line).toMatchObject({ reason });
      expect(listSpoolFiles(spools[name])).toEqual(spoolNames(pressed[name]));
    }

    // The token put right, the agents restarted: what waited goes out, oldest first, once.
    const newToken = await addDevice(server.sqlitePath, 'pi-stolen');
    expect(newToken).not.toBe(revokedToken);
    const restarted = {
      wrong: await AgentProcess.start({
        ...common,
        deviceId: 'pi-wrong',
        spoolDir: spools.wrong,
        env: { ...common.env, VIGIE_DEVICE_TOKEN: rightToken },
      }),
      stolen: await AgentProcess.start({
        ...common,
        deviceId: 'pi-stolen',
        spoolDir: spools.stolen,
        env: { ...common.env, VIGIE_DEVICE_TOKEN: newToken },
      }),
    };
    for (const name of ['wrong', 'stolen'] as const) {
      const agent = restarted[name];
      expect(agent.events('agent.ready')[0]).toMatchObject({ spoolDepth: 2 });
      const delivered = await agent.waitForEvent('alert.delivered', { count: 2 });
      expect(ids(delivered)).toEqual(pressed[name]);
      for (const entry of delivered) expect(entry).toMatchObject({ status: 201, duplicate: false });
      await waitUntil(() => storedDevice(server, `pi-${name}`), `pi-${name} known from its heartbeat`);
      expect(await agent.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(agent.events('alert.delivery_failed')).toEqual([]);
      expect(agent.events('alert.delivered')).toHaveLength(2);
      expect(listSpoolFiles(spools[name])).toEqual([]);
      expect(storedAlertIds(server, `pi-${name}`)).toEqual([...pressed[name]].sort());
    }
    for (const token of [WRONG_TOKEN, revokedToken, rightToken, newToken]) {
      expectNotLogged(token, wrong, stolen, restarted.wrong, restarted.stolen, server);
    }
  });

  it("with another device's token (403): alerts wait in the spool with a distinct error, then go out with its own", async () => {
    const server = await startServer();
    const ownToken = await addDevice(server.sqlitePath, 'pi-cuisine');
    const otherToken = await addDevice(server.sqlitePath, 'pi-garage');
    const spoolDir = join(makeAgentTempDir(), 'spool');
    const options = { serverUrl: server.url, deviceId: 'pi-cuisine', spoolDir };
    const retry = { VIGIE_RETRY_BASE_MS: '50', VIGIE_RETRY_MAX_MS: '200' };

    const mixedUp = await AgentProcess.start({
      ...options,
      env: { ...retry, VIGIE_DEVICE_TOKEN: otherToken },
    });
    const pressed = await press(mixedUp, 2);
    await mixedUp.waitForEvent('alert.delivery_failed', { count: 3 });
    await mixedUp.waitForEvent('heartbeat.failed');
    const failed = expectErrorAtEveryAttempt(mixedUp, 403, pressed[0]);
    for (const entry of failed) {
      expect(entry.meaning).toMatch(/belongs to another device/);
      expect(entry.check).toMatch(/VIGIE_DEVICE_ID/);
      expect(entry.meaning).not.toMatch(/revoked/);
    }
    expect(mixedUp.events('heartbeat.failed')[0]).toMatchObject({ code: 'HTTP_403' });
    expect(mixedUp.spoolFiles()).toEqual(spoolNames(pressed));
    expect(await mixedUp.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    // Stored under neither device.
    expect(storedAlertIds(server, 'pi-cuisine')).toEqual([]);
    expect(storedAlertIds(server, 'pi-garage')).toEqual([]);
    expect(storedDevice(server, 'pi-cuisine')).toBeUndefined();
    await waitUntil(
      () =>
        refusals(server, 'pi-cuisine', 'POST /alerts').length ===
        mixedUp.events('alert.delivery_failed').length,
      'one server refusal per attempt',
    );
    for (const line of refusals(server, 'pi-cuisine', 'POST /alerts')) {
      expect(line).toMatchObject({ reason: 'other_device', tokenDeviceId: 'pi-garage' });
    }

    const fixed = await AgentProcess.start({ ...options, env: { ...retry, VIGIE_DEVICE_TOKEN: ownToken } });
    expect(ids(await fixed.waitForEvent('alert.delivered', { count: 2 }))).toEqual(pressed);
    expect(await fixed.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(fixed.events('alert.delivered')).toHaveLength(2);
    expect(fixed.events('alert.delivery_failed')).toEqual([]);
    expect(listSpoolFiles(spoolDir)).toEqual([]);
    expect(storedAlertIds(server, 'pi-cuisine')).toEqual([...pressed].sort());
    expect(storedAlertIds(server, 'pi-garage')).toEqual([]);
    for (const token of [ownToken, otherToken]) expectNotLogged(token, mixedUp, fixed, server);
  });

  it('doctor tells a missing, wrong or revoked token (401) from the token of another device (403)', async () => {
    const server = await startServer();
    const token = await addDevice(server.sqlitePath, 'pi-doc');
    const otherToken = await addDevice(server.sqlitePath, 'pi-doc-other');
    const revokedToken = await addDevice(server.sqlitePath, 'pi-doc-old');
    await revokeDevice(server.sqlitePath, 'pi-doc-old');
    const doctor = (deviceId: string, deviceToken: string | undefined) =>
      AgentProcess.runToExit({
        command: 'doctor',
        serverUrl: server.url,
        deviceId,
        env: { VIGIE_DEVICE_TOKEN: deviceToken },
      });
    const lines = (agent: AgentProcess) => agent.stdoutLines.filter((line) => line.trim() !== '');
    const step = (agent: AgentProcess, name: string) =>
      lines(agent).find((line) => new RegExp(`^(OK|FAIL)\\s+${name}\\s`).test(line));

    const runs = {
      none: await doctor('pi-doc', undefined),
      revoked: await doctor('pi-doc-old', revokedToken),
      wrong: await doctor('pi-doc', WRONG_TOKEN),
      other: await doctor('pi-doc', otherToken),
      right: await doctor('pi-doc', token),
    };

    for (const name of ['none', 'revoked', 'wrong'] as const) {
      const agent = runs[name];
      expect(agent.exitResult).toEqual({ code: 1, signal: null });
      // Everything up to HTTP works: only the credentials step fails, with what it means and what to do.
      for (const ok of ['config', 'dns', 'tcp', 'http', 'spool']) expect(step(agent, ok)).toMatch(/^OK\s/);
      const credentials = step(agent, 'credentials');
      expect(credentials).toMatch(/^FAIL\s+credentials\s+HTTP_401\b/);
      expect(credentials).toMatch(/missing, wrong or revoked/);
      expect(credentials).toMatch(/Try: .*device add.*VIGIE_DEVICE_TOKEN/);
    }
    expect(step(runs.none, 'config')).toMatch(/no token/);

    expect(runs.other.exitResult).toEqual({ code: 1, signal: null });
    const other = step(runs.other, 'credentials');
    expect(other).toMatch(/^FAIL\s+credentials\s+HTTP_403\b/);
    expect(other).toMatch(/belongs to another device than VIGIE_DEVICE_ID/);
    expect(other).toMatch(/Try: .*token made for this device id/);
    expect(other).not.toMatch(/revoked/);

    expect(lines(runs.right).map((line) => line.split(/\s+/)[1])).toEqual(
      expect.arrayContaining(['config', 'gpio', 'dns', 'tcp', 'http', 'credentials', 'spool']),
    );
    for (const line of lines(runs.right)) expect(line).toMatch(/^OK\s/);
    expect(step(runs.right, 'credentials')).toMatch(/accepts device pi-doc with VIGIE_DEVICE_TOKEN/);
    expect(runs.right.exitResult).toEqual({ code: 0, signal: null });
    // The doctor's heartbeat with the right token is the only one that made the device known.
    expect(storedDevice(server, 'pi-doc')).toBeDefined();
    expect(storedDevice(server, 'pi-doc-old')).toBeUndefined();
  });

  describe('https through a reverse proxy with a private CA', () => {
    let proxy: HttpsProxy | null = null;
    afterEach(async () => {
      await proxy?.close();
      proxy = null;
    });

    it('delivers with VIGIE_CA_FILE; without it the alert waits in the spool with a certificate error and doctor says what to do', async () => {
      const server = await startServer();
      const token = await addDevice(server.sqlitePath, 'pi-tls');
      const certificates = makeTestCertificates(makeTempDir('vigie-tls-'));
      // Where the agent will connect for "localhost" (the same resolver).
      proxy = await startHttpsProxy(certificates, server.port, (await lookup('localhost')).address);
      const serverUrl = `https://localhost:${proxy.port}`;
      const spoolDir = join(makeAgentTempDir(), 'spool');
      const options = { serverUrl, deviceId: 'pi-tls', spoolDir };
      const env = { VIGIE_DEVICE_TOKEN: token, VIGIE_RETRY_BASE_MS: '50', VIGIE_RETRY_MAX_MS: '200' };

      // Without the CA: the certificate is not trusted, nothing reaches the server.
      const untrusting = await AgentProcess.start({ ...options, env });
      const [waiting] = await press(untrusting, 1);
      const failed = await untrusting.waitForEvent('alert.delivery_failed', { count: 2 });
      for (const entry of failed) {
        expect(entry).toMatchObject({
          alertId: waiting,
          code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
          status: null,
        });
        expect(entry.check).toMatch(/VIGIE_CA_FILE/);
      }
      await untrusting.waitForEvent('heartbeat.failed', {
        match: (entry) => entry.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      });
      expect(await untrusting.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(listSpoolFiles(spoolDir)).toEqual([`${waiting}.json`]);
      expect(proxy.forwarded).toEqual([]);
      expect(storedAlertIds(server, 'pi-tls')).toEqual([]);

      const untrustingDoctor = await AgentProcess.runToExit({ command: 'doctor', ...options, env });
      expect(untrustingDoctor.exitResult).toEqual({ code: 1, signal: null });
      const httpLine = untrustingDoctor.stdoutLines.find((line) => /^(OK|FAIL)\s+http\s/.test(line));
      expect(httpLine).toMatch(/^FAIL\s+http\s+UNABLE_TO_VERIFY_LEAF_SIGNATURE\b.*Try: set VIGIE_CA_FILE/);

      // With the CA: the waiting alert and a new press go out, through the proxy.
      const withCa = { ...env, VIGIE_CA_FILE: certificates.caFile };
      const doctor = await AgentProcess.runToExit({ command: 'doctor', ...options, env: withCa });
      for (const line of doctor.stdoutLines.filter((text) => text.trim() !== ''))
        expect(line).toMatch(/^OK\s/);
      expect(doctor.exitResult).toEqual({ code: 0, signal: null });

      const trusting = await AgentProcess.start({ ...options, env: withCa });
      await trusting.waitForEvent('alert.delivered', { match: (entry) => entry.alertId === waiting });
      const [fresh] = await press(trusting, 1);
      await trusting.waitForEvent('alert.delivered', { match: (entry) => entry.alertId === fresh });
      expect(await trusting.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(trusting.events('alert.delivery_failed')).toEqual([]);
      expect(listSpoolFiles(spoolDir)).toEqual([]);
      expect(storedAlertIds(server, 'pi-tls')).toEqual([waiting, fresh].sort());
      expect(proxy.forwarded.filter((line) => line === 'POST /alerts')).toHaveLength(2);
    });

    it("VIGIE_CA_FILE adds a CA to the system's trust, it does not replace it", async () => {
      const server = await startServer();
      const token = await addDevice(server.sqlitePath, 'pi-tls-2');
      // The proxy's certificate comes from a CA the system trusts (NODE_EXTRA_CA_CERTS, Node's
      // own way to extend it); VIGIE_CA_FILE names another one (e.g. the site's former CA).
      const systemTrusted = makeTestCertificates(makeTempDir('vigie-tls-'));
      const privateCa = makeTestCertificates(makeTempDir('vigie-tls-'));
      proxy = await startHttpsProxy(systemTrusted, server.port, (await lookup('localhost')).address);
      const send = await AgentProcess.runToExit({
        command: 'send',
        args: ['test', '--wait', '5'],
        serverUrl: `https://localhost:${proxy.port}`,
        deviceId: 'pi-tls-2',
        env: {
          VIGIE_DEVICE_TOKEN: token,
          VIGIE_CA_FILE: privateCa.caFile,
          NODE_EXTRA_CA_CERTS: systemTrusted.caFile,
        },
      });
      expect(send.events('alert.delivery_failed')).toEqual([]);
      expect(send.exitResult).toEqual({ code: 0, signal: null });
      expect(storedAlertIds(server, 'pi-tls-2')).toEqual(ids(send.events('alert.spooled')));

      // A damaged CA file would be skipped silently by TLS: a configuration error instead.
      const damaged = join(makeTempDir('vigie-tls-'), 'damaged.pem');
      writeFileSync(damaged, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
      const refused = await AgentProcess.runToExit({
        serverUrl: `https://localhost:${proxy.port}`,
        deviceId: 'pi-tls-2',
        env: { VIGIE_DEVICE_TOKEN: token, VIGIE_CA_FILE: damaged },
      });
      expect(refused.exitResult).toEqual({ code: 78, signal: null });
      expect(refused.stderrLines.join('\n')).toMatch(/VIGIE_CA_FILE=.*damaged\.pem.*not a PEM certificate/);
    });
  });
});
