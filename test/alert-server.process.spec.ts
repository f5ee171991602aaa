import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  HttpAnswer,
  RawConnection,
  ServerProcess,
  cleanupServerProcesses,
  describeExit,
  killServerProcesses,
  makeTempDir,
  request,
} from './support/server-process';

/**
 * The built alert server as operators run it: restarts, crashes, signals, configuration and
 * logs, configuration from the environment, and "a 2xx means the alert is on disk". Build first: `npx nest build alert-server`.
 */

const TYPES = ['fire', 'intrusion', 'medical', 'panic', 'test'] as const;
const SEVERITIES = ['critical', 'warning', 'info'] as const;

interface AlertBody {
  id: string;
  deviceId: string;
  type: string;
  severity?: string;
  location?: string;
  message?: string;
  button?: string;
  triggeredAt?: string;
}

type Alert = Record<string, unknown> & { id: string };

/** A realistic alert with a client-made id; every optional field varies with `n`. */
function makeAlert(deviceId: string, n: number): AlertBody {
  const body: AlertBody = { id: randomUUID(), deviceId, type: TYPES[n % TYPES.length] };
  if (n % 2 === 0) body.severity = SEVERITIES[n % SEVERITIES.length];
  if (n % 3 !== 0) body.location = `Bâtiment ${n % 7}, étage ${n % 4} — salle « ${n} »`;
  if (n % 4 !== 0) body.message = `Appui n°${n} ${'✓'.repeat(n % 50)} 🔥`;
  if (n % 5 !== 0) body.button = String(17 + (n % 9));
  if (n % 2 === 1) body.triggeredAt = new Date(Date.now() - (n % 1000) * 1000).toISOString();
  return body;
}

/** The stored alert holds exactly what the device sent (server defaults aside). */
function expectMatchesRequest(alert: Alert, sent: AlertBody): void {
  expect(alert).toMatchObject({
    id: sent.id,
    deviceId: sent.deviceId,
    type: sent.type,
    severity: sent.severity ?? (sent.type === 'test' ? 'info' : 'critical'),
    location: sent.location ?? null,
    message: sent.message ?? null,
    button: sent.button ?? null,
    status: 'open',
  });
  if (sent.triggeredAt) expect(alert.triggeredAt).toBe(sent.triggeredAt);
  expect(typeof alert.receivedAt).toBe('string');
  expect(Number.isFinite(Date.parse(alert.receivedAt as string))).toBe(true);
}

async function listAllAlerts(baseUrl: string): Promise<Alert[]> {
  const all: Alert[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&before=${encodeURIComponent(cursor)}` : '';
    const page = await request(baseUrl, 'GET', `/alerts?limit=500${query}`);
    expect(page.status).toBe(200);
    const { items, nextCursor } = page.json as { items: Alert[]; nextCursor: string | null };
    all.push(...items);
    cursor = nextCursor;
  } while (cursor);
  return all;
}

function integrityCheck(sqlitePath: string): string {
  const db = new Database(sqlitePath, { readonly: true });
  try {
    return (db.pragma('integrity_check', { simple: true }) as string) ?? 'no answer';
  } finally {
    db.close();
  }
}

interface Outcome {
  sent: AlertBody;
  answer?: HttpAnswer;
  error?: Error;
}

/**
 * `workers` clients posting alerts back to back until `shouldStop()` or until the server stops
 * answering (a network error ends that worker: the process is gone or refusing).
 */
function postInLoop(
  baseUrl: string,
  workers: number,
  shouldStop: () => boolean,
  agent?: http.Agent,
): { outcomes: Outcome[]; done: Promise<void> } {
  const outcomes: Outcome[] = [];
  const worker = async (w: number) => {
    for (let n = 0; !shouldStop(); n++) {
      // Many devices, as a building has: one device posting back to back would meet its rate
      // limit (120 in 10 s) and turn the load into cheap 429s.
      const sent = makeAlert(`pi-load-${w}-${n % 50}`, n);
      const outcome: Outcome = { sent };
      outcomes.push(outcome);
      try {
        outcome.answer = await request(baseUrl, 'POST', '/alerts', sent, { agent, timeoutMs: 20_000 });
      } catch (error) {
        outcome.error = error as Error;
        return;
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, w) => worker(w))).then(() => undefined);
  return { outcomes, done };
}

const is2xx = (outcome: Outcome) => outcome.answer !== undefined && outcome.answer.status < 300;

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

afterEach(killServerProcesses);
afterAll(cleanupServerProcesses);

describe('alert server process', () => {
  it('keeps alerts, acknowledgements and devices across a SIGTERM restart', async () => {
    const first = await ServerProcess.start();
    const sent = [0, 1, 2, 3, 4].map((n) => makeAlert(`pi-restart-${n % 2}`, n));
    const created: Alert[] = [];
    for (const body of sent) {
      const answer = await request(first.url, 'POST', '/alerts', body);
      expect(answer.status).toBe(201);
      created.push(answer.json as Alert);
    }
    // One alert without a client id: the server makes it.
    const serverMade = await request(first.url, 'POST', '/alerts', {
      deviceId: 'pi-restart-2',
      type: 'panic',
    });
    expect(serverMade.status).toBe(201);
    created.push(serverMade.json as Alert);

    const ack = await request(first.url, 'POST', `/alerts/${created[1].id}/acknowledge`, {
      by: 'Marie',
      note: 'en route',
    });
    expect(ack.status).toBe(200);
    const resolved = await request(first.url, 'POST', `/alerts/${created[2].id}/resolve`, { by: 'Paul' });
    expect(resolved.status).toBe(200);
    for (const [deviceId, beat] of [
      ['pi-restart-0', { location: 'Accueil', agentVersion: '1.2.3', spoolDepth: 2, uptimeSeconds: 12.5 }],
      ['pi-heartbeat-only', { location: 'Cave', agentVersion: '0.9.0', spoolDepth: 0 }],
    ] as const) {
      const answer = await request(first.url, 'PUT', `/devices/${deviceId}/heartbeat`, beat);
      expect(answer.status).toBe(204);
    }

    // An alert from a device with a known location, sending `location: null`.
    const nullLocation = await request(first.url, 'POST', '/alerts', {
      id: randomUUID(),
      deviceId: 'pi-restart-0',
      type: 'test',
      location: null,
    });
    expect(nullLocation.status).toBe(201);
    created.push(nullLocation.json as Alert);

    const before = {
      alerts: await Promise.all(created.map((a) => request(first.url, 'GET', `/alerts/${a.id}`))),
      list: await listAllAlerts(first.url),
      devices: (await request(first.url, 'GET', '/devices')).json as Array<Record<string, unknown>>,
    };
    expect(before.alerts.map((a) => a.status)).toEqual(created.map(() => 200));
    expect(before.list).toHaveLength(created.length);
    expect(before.devices.map((d) => d.id)).toEqual(
      expect.arrayContaining(['pi-restart-0', 'pi-restart-1', 'pi-restart-2', 'pi-heartbeat-only']),
    );

    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    const second = await ServerProcess.start({ sqlitePath: first.sqlitePath });
    for (const [index, alert] of created.entries()) {
      const after = await request(second.url, 'GET', `/alerts/${alert.id}`);
      expect(after.status).toBe(200);
      expect(after.json).toEqual(before.alerts[index].json);
    }
    expect((before.alerts[1].json as Alert).status).toBe('acknowledged');
    expect((before.alerts[2].json as Alert).status).toBe('resolved');
    expect(await listAllAlerts(second.url)).toEqual(before.list);
    // Read now: a retry below is device activity and moves lastSeenAt.
    const devicesAfter = (await request(second.url, 'GET', '/devices')).json as Array<
      Record<string, unknown>
    >;

    // What a restart must not change: the first acknowledgement stands, a retry is still a retry.
    const ackAgain = await request(second.url, 'POST', `/alerts/${created[1].id}/acknowledge`, { by: 'Luc' });
    expect(ackAgain.status).toBe(200);
    expect(ackAgain.json).toEqual(before.alerts[1].json);
    const retry = await request(second.url, 'POST', '/alerts', sent[0]);
    expect(retry.status).toBe(200);
    expect(retry.json).toEqual(before.alerts[0].json);
    const conflict = await request(second.url, 'POST', '/alerts', { ...sent[0], message: 'autre chose' });
    expect(conflict.status).toBe(409);

    // Last, so that a difference here does not hide the checks above.
    const withoutStatus = (devices: Array<Record<string, unknown>>) =>
      devices.map(({ status: _status, ...rest }) => rest);
    expect(withoutStatus(devicesAfter)).toEqual(withoutStatus(before.devices));

    expect(await second.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(integrityCheck(first.sqlitePath)).toBe('ok');
  });

  it('loses no acknowledged alert when killed with SIGKILL mid-traffic', async () => {
    const server = await ServerProcess.start();
    let killed = false;
    const load = postInLoop(server.url, 8, () => killed);
    // Let traffic build up, then kill while every worker has a request in flight.
    await waitUntil(() => load.outcomes.filter(is2xx).length >= 300, 20_000, '300 stored alerts');
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    const exit = await server.kill('SIGKILL');
    killed = true;
    await load.done;
    expect(exit.signal).toBe('SIGKILL');

    const acknowledged = load.outcomes.filter(is2xx);
    const unanswered = load.outcomes.filter((o) => o.answer === undefined);
    const refused = load.outcomes.filter((o) => o.answer !== undefined && o.answer.status >= 300);
    expect(refused.map((o) => `${o.answer!.status} ${o.answer!.text}`)).toEqual([]);
    for (const outcome of acknowledged) expect(outcome.answer!.status).toBe(201);

    const restarted = await ServerProcess.start({ sqlitePath: server.sqlitePath });
    for (const outcome of acknowledged) {
      const stored = await request(restarted.url, 'GET', `/alerts/${outcome.sent.id}`);
      expect(`${outcome.sent.id}: ${stored.status}`).toBe(`${outcome.sent.id}: 200`);
      expect(stored.json).toEqual(outcome.answer!.json);
    }
    let unansweredPresent = 0;
    for (const outcome of unanswered) {
      const stored = await request(restarted.url, 'GET', `/alerts/${outcome.sent.id}`);
      expect([200, 404]).toContain(stored.status);
      if (stored.status === 200) {
        unansweredPresent++;
        expectMatchesRequest(stored.json as Alert, outcome.sent);
      }
    }
    const all = await listAllAlerts(restarted.url);
    const sentIds = new Set(load.outcomes.map((o) => o.sent.id));
    expect(all.filter((alert) => !sentIds.has(alert.id))).toEqual([]);
    expect(all).toHaveLength(acknowledged.length + unansweredPresent);
    for (const alert of all) {
      const sent = load.outcomes.find((o) => o.sent.id === alert.id)!.sent;
      expectMatchesRequest(alert, sent);
    }
    console.log(
      `crash test: ${acknowledged.length} alerts acknowledged (2xx) before SIGKILL; ` +
        `${unanswered.length} in flight without an answer, ${unansweredPresent} of them stored anyway`,
    );

    expect(await restarted.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(integrityCheck(server.sqlitePath)).toBe('ok');
  });

  it('finishes in-flight requests on SIGTERM, exits 0 and keeps every acknowledged alert', async () => {
    const server = await ServerProcess.start();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    let stopSending = false;
    const load = postInLoop(server.url, 8, () => stopSending, agent);
    await waitUntil(() => load.outcomes.filter(is2xx).length >= 100, 20_000, '100 stored alerts');

    // A request whose body is still on its way when the signal arrives must still be served.
    const slow = makeAlert('pi-slow', 1);
    const slowBody = Buffer.from(JSON.stringify(slow));
    const slowConnection = await RawConnection.connect(server.port);
    await slowConnection.send('POST', '/alerts', slowBody, slowBody.length >> 1);
    await new Promise((r) => setTimeout(r, 100));

    server.child.kill('SIGTERM');
    await server.waitForLine((line) => line.includes('"server.stopping"'), 5_000, 'the stopping line');
    await slowConnection.write(slowBody.subarray(slowBody.length >> 1));
    const slowResult = await slowConnection.readResponse();
    slowConnection.destroy();
    // Clients keep trying for a while; the server must still stop on its own.
    const stopTrying = setTimeout(() => (stopSending = true), 3_000);
    const exit = await server.waitForExit(15_000);
    clearTimeout(stopTrying);
    stopSending = true;
    await load.done;
    agent.destroy();
    expect(exit ? describeExit(exit) : 'still running 15 s after SIGTERM').toBe('code 0');

    const stopping = server.logs().find((line) => line.event === 'server.stopping');
    expect(stopping).toMatchObject({ level: 'info', signal: 'SIGTERM', msg: expect.any(String) });

    expect(slowResult.status).toBe(201);

    const answered = load.outcomes.filter((o) => o.answer !== undefined);
    const serverFaults = answered.filter((o) => o.answer!.status >= 500);
    expect(serverFaults.map((o) => `${o.answer!.status} ${o.answer!.text}`)).toEqual([]);
    const acknowledged = load.outcomes.filter(is2xx);

    const restarted = await ServerProcess.start({ sqlitePath: server.sqlitePath });
    for (const outcome of acknowledged) {
      const stored = await request(restarted.url, 'GET', `/alerts/${outcome.sent.id}`);
      expect(`${outcome.sent.id}: ${stored.status}`).toBe(`${outcome.sent.id}: 200`);
      expect(stored.json).toEqual(outcome.answer!.json);
    }
    const storedSlow = await request(restarted.url, 'GET', `/alerts/${slow.id}`);
    expect(storedSlow.status).toBe(200);
    expect(storedSlow.json).toEqual(slowResult.json);
    expect(await restarted.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('stops within 10 s of SIGTERM even when a kept-alive connection keeps sending', async () => {
    // A connection busy when the signal comes (here: a body still on its way), which its client
    // then keeps using, as an agent flushing its spool or a polling page would.
    const server = await ServerProcess.start();
    const connection = await RawConnection.connect(server.port);
    const first = Buffer.from(JSON.stringify(makeAlert('pi-keepalive', 0)));
    await connection.send('POST', '/alerts', first, first.length >> 1);
    await new Promise((r) => setTimeout(r, 100));
    server.child.kill('SIGTERM');
    const signalledAt = Date.now();
    await server.waitForLine((line) => line.includes('"server.stopping"'), 5_000, 'the stopping line');
    await connection.write(first.subarray(first.length >> 1));
    const firstAnswer = await connection.readResponse();
    expect(firstAnswer.status).toBe(201);

    let answeredAfterSignal = 0;
    for (let n = 1; !server.exitResult && !connection.closed && Date.now() - signalledAt < 12_000; n++) {
      await new Promise((r) => setTimeout(r, 250));
      try {
        await connection.send('POST', '/alerts', Buffer.from(JSON.stringify(makeAlert('pi-keepalive', n))));
        if ((await connection.readResponse(2_000)).status < 300) answeredAfterSignal++;
      } catch {
        break; // the server closed the connection: what it should do
      }
    }
    connection.destroy();
    const exit = await server.waitForExit(Math.max(0, signalledAt + 10_000 - Date.now()));
    expect(
      exit
        ? describeExit(exit)
        : `still running 10 s after SIGTERM, having answered ${answeredAfterSignal} new requests on the kept-alive connection`,
    ).toBe('code 0');
  });

  describe('configuration', () => {
    it('refuses PORT=abc with exit code 78 and one line naming PORT', async () => {
      const started = Date.now();
      const server = await ServerProcess.start({ env: { PORT: 'abc' }, waitForReady: false });
      const exit = await server.waitForExit(10_000);
      expect(exit).toEqual({ code: 78, signal: null });
      expect(Date.now() - started).toBeLessThan(10_000);
      const lines = server.stderrLines.filter((line) => line.trim() !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('PORT');
      expect(lines[0]).toContain('abc');
      expect(server.stdoutLines.some((line) => line.includes('server.ready'))).toBe(false);
    });

    it('names each bad variable on its own line', async () => {
      const server = await ServerProcess.start({
        env: { PORT: 'abc', LOG_LEVEL: 'loud' },
        waitForReady: false,
      });
      expect(await server.waitForExit(10_000)).toEqual({ code: 78, signal: null });
      const lines = server.stderrLines.filter((line) => line.trim() !== '');
      expect(lines).toHaveLength(2);
      expect(lines.filter((line) => line.includes('PORT='))).toHaveLength(1);
      expect(lines.filter((line) => line.includes('LOG_LEVEL='))).toHaveLength(1);
    });

    it.each([
      ['PORT', '70000'],
      ['PORT', '-1'],
      ['PORT', '80.5'],
      ['LOG_LEVEL', 'INFO'],
      ['LOG_FORMAT', 'xml'],
      ['VIGIE_DEVICE_OFFLINE_AFTER_S', '0'],
      ['VIGIE_DEVICE_OFFLINE_AFTER_S', 'ten'],
      ['VIGIE_AUTH', 'maybe'],
    ])('refuses %s=%s with exit code 78 and one line naming it', async (name, value) => {
      const server = await ServerProcess.start({ env: { [name]: value }, waitForReady: false });
      expect(await server.waitForExit(10_000)).toEqual({ code: 78, signal: null });
      const lines = server.stderrLines.filter((line) => line.trim() !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${name}=`);
    });

    it('creates the store and its missing folders', async () => {
      const dir = makeTempDir();
      const sqlitePath = join(dir, 'not', 'yet', 'there', 'vigie.db');
      expect(existsSync(join(dir, 'not'))).toBe(false);
      const server = await ServerProcess.start({ sqlitePath });
      expect(existsSync(sqlitePath)).toBe(true);
      const answer = await request(server.url, 'POST', '/alerts', makeAlert('pi-folder', 1));
      expect(answer.status).toBe(201);
      expect((await request(server.url, 'GET', '/health/ready')).status).toBe(200);
      expect(await server.stop('SIGINT')).toEqual({ code: 0, signal: null });
    });
  });

  describe('structured logs', () => {
    it('writes one JSON object per line, with domain events and their identifiers', async () => {
      const server = await ServerProcess.start();
      const alert = makeAlert('pi-logs', 3);
      expect((await request(server.url, 'POST', '/alerts', alert)).status).toBe(201);
      expect((await request(server.url, 'POST', '/alerts', alert)).status).toBe(200);
      const rejectedId = randomUUID();
      const rejected = await request(server.url, 'POST', '/alerts', {
        id: rejectedId,
        deviceId: 'pi-logs',
        type: 'flood',
      });
      expect(rejected.status).toBe(400);
      expect(
        (await request(server.url, 'POST', `/alerts/${alert.id}/acknowledge`, { by: 'Marie' })).status,
      ).toBe(200);
      // Events are logged by listeners after the answer: wait for the last one.
      await server.waitForLine((line) => line.includes('"alert.acknowledged"'), 5_000, 'alert.acknowledged');
      expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });

      const lines = server.stdoutLines.filter((line) => line.trim() !== '');
      expect(lines.length).toBeGreaterThan(5);
      for (const line of lines) {
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          throw new Error(`stdout line is not JSON: ${line}`);
        }
        expect(['debug', 'info', 'warn', 'error']).toContain(entry.level);
        expect(typeof entry.time).toBe('string');
        expect(Number.isFinite(Date.parse(entry.time as string))).toBe(true);
        expect(typeof entry.msg).toBe('string');
      }

      const events = server.logs().filter((entry) => typeof entry.event === 'string');
      const find = (name: string) => events.filter((entry) => entry.event === name);
      expect(find('alert.created')).toEqual([
        expect.objectContaining({ level: 'info', alertId: alert.id, deviceId: 'pi-logs' }),
      ]);
      expect(find('alert.duplicate')).toEqual([
        expect.objectContaining({ alertId: alert.id, deviceId: 'pi-logs' }),
      ]);
      const rejections = find('alert.rejected');
      expect(rejections).toHaveLength(1);
      expect(rejections[0]).toMatchObject({
        level: 'warn',
        alertId: rejectedId,
        deviceId: 'pi-logs',
        code: expect.any(String),
      });
      expect(rejections[0].code).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(find('alert.acknowledged')).toEqual([
        expect.objectContaining({ alertId: alert.id, deviceId: 'pi-logs', by: 'Marie' }),
      ]);
      expect(find('server.ready')).toHaveLength(1);
      expect(find('server.stopping')).toHaveLength(1);
      // Every error or warning that names a problem carries a stable code (the rejection above
      // is one, so the check has something to check).
      const problems = server.logs().filter((e) => e.level === 'error' || e.level === 'warn');
      expect(problems.length).toBeGreaterThanOrEqual(1);
      expect(problems.filter((entry) => typeof entry.code !== 'string')).toEqual([]);
    });

    it('logs each request to the API except the buttons’ alerts and heartbeats', async () => {
      const server = await ServerProcess.start({ env: { LOG_LEVEL: 'debug' } });
      const alert = makeAlert('pi-access', 1);
      expect((await request(server.url, 'POST', '/alerts', alert)).status).toBe(201);
      expect((await request(server.url, 'PUT', '/devices/pi-access/heartbeat', {})).status).toBe(204);
      expect((await request(server.url, 'GET', `/alerts/${alert.id}`)).status).toBe(200);
      expect((await request(server.url, 'GET', '/no-such-route')).status).toBe(404);
      expect((await request(server.url, 'GET', '/health/ready')).status).toBe(200);
      await server.waitForLine((line) => line.includes('/no-such-route'), 5_000, 'the 404 access line');
      expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });

      const accessLines = server.logs().filter((entry) => entry.msg === 'request completed');
      expect(accessLines).toEqual([
        expect.objectContaining({
          level: 'debug',
          req: expect.objectContaining({ method: 'GET', url: `/alerts/${alert.id}` }),
          res: { statusCode: 200 },
          responseTime: expect.any(Number),
        }),
        expect.objectContaining({
          level: 'warn',
          req: expect.objectContaining({ method: 'GET', url: '/no-such-route' }),
          res: { statusCode: 404 },
        }),
      ]);
      // The alert itself is reported by its domain event, not by an access line.
      expect(server.logs().filter((entry) => entry.event === 'alert.created')).toHaveLength(1);
    });

    it('writes human lines with LOG_FORMAT=pretty', async () => {
      const server = await ServerProcess.start({ env: { LOG_FORMAT: 'pretty' } });
      expect((await request(server.url, 'POST', '/alerts', makeAlert('pi-pretty', 2))).status).toBe(201);
      await server.waitForLine((line) => line.includes('alert stored'), 5_000, 'the alert stored line');
      expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      const lines = server.stdoutLines.filter((line) => line.trim() !== '');
      expect(lines.length).toBeGreaterThan(3);
      expect(server.logs()).toEqual([]);
      expect(lines.some((line) => line.includes('alert server ready'))).toBe(true);
      expect(lines.some((line) => /INFO/.test(line) && line.includes('alert stored'))).toBe(true);
    });
  });
});
