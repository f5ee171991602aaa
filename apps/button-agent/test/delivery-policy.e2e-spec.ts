import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { AgentConfig, loadAgentConfig } from '../src/config/agent-config';
import { AlertSender } from '../src/delivery/alert-sender';
import { Delivery, FRESH_PRESS_BOUND_MS, HANG_MS, MAX_BESIDE } from '../src/delivery/delivery';
import { ALERT_RESPONSE_TIMEOUT_MS, createServerClient } from '../src/delivery/http-client';
import { Spool } from '../src/spool/spool';
import { AlertBody } from '../src/spool/spooled-alert';
import { uuidv7 } from '@app/contracts';

type Script = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A real HTTP server on loopback whose answers the test scripts, one per request. */
class ScriptedServer {
  readonly requests: Array<{
    method: string;
    url: string;
    body: string;
    authorization?: string;
    at: number;
  }> = [];
  /** Alert ids of the requests not yet answered nor given up by the agent. */
  readonly open: string[] = [];
  /** Most requests open at once, and whether one alert ever had two. */
  maxOpen = 0;
  sameAlertTwice = false;
  private script: Script[] = [];
  private readonly sockets = new Set<Socket>();
  private server!: Server;
  url = '';

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        this.requests.push({
          method: req.method!,
          url: req.url!,
          body,
          authorization: req.headers.authorization,
          at: Date.now(),
        });
        const alertId = req.url === '/alerts' ? (JSON.parse(body) as AlertBody).id : '';
        this.sameAlertTwice ||= this.open.includes(alertId);
        this.open.push(alertId);
        this.maxOpen = Math.max(this.maxOpen, this.open.length);
        res.once('close', () => this.open.splice(this.open.indexOf(alertId), 1));
        const next = this.script.shift() ?? answer(201, {});
        next(req, res, body);
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  then(...answers: Script[]): void {
    this.script.push(...answers);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const answer =
  (status: number, body: unknown, headers: Record<string, string> = {}): Script =>
  (_req, res) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
const reset: Script = (req) => req.socket.destroy();
const silence: Script = () => undefined; // never answers: the agent's response timeout must fire

describe('delivery policy against a scripted HTTP server', () => {
  let server: ScriptedServer;
  let dir: string;
  let spool: Spool;
  let delivery: Delivery;
  let logLines: Array<Record<string, unknown>>;
  let config: AgentConfig;

  beforeEach(async () => {
    server = new ScriptedServer();
    await server.start();
    dir = mkdtempSync(join(tmpdir(), 'vigie-delivery-'));
    config = loadAgentConfig({
      VIGIE_SERVER_URL: server.url,
      VIGIE_DEVICE_ID: 'pi-test',
      VIGIE_DEVICE_TOKEN: 'device-token-1234',
      VIGIE_SPOOL_DIR: dir,
    });
    spool = new Spool(dir);
    await spool.init();
    logLines = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => logLines.push(JSON.parse(line)) });
    delivery = new Delivery(spool, new AlertSender(createServerClient(config)), logger, {
      retryBaseMs: 5,
      retryMaxMs: 20,
    });
  });

  afterEach(async () => {
    await delivery.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const spoolAlert = async (): Promise<AlertBody> => {
    const alert: AlertBody = {
      id: uuidv7(),
      deviceId: 'pi-test',
      type: 'fire',
      button: '17',
      triggeredAt: new Date().toISOString(),
    };
    await spool.add(alert);
    return alert;
  };

  const until = async (condition: () => boolean, what: string, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const spooled = () => readdirSync(dir).filter((name) => name.endsWith('.json'));
  const rejected = () => readdirSync(join(dir, 'rejected'));

  it.each([201, 200])('removes the alert from the spool on %i', async (status) => {
    server.then(answer(status, {}));
    const alert = await spoolAlert();
    delivery.start();
    await until(() => spooled().length === 0, 'the spool to empty');
    expect(server.requests).toHaveLength(1);
    expect(JSON.parse(server.requests[0].body)).toEqual(alert);
    expect(server.requests[0].authorization).toBe('Bearer device-token-1234');
  });

  it.each([400, 409, 413, 415, 422])('moves the alert to rejected/ with the answer on %i', async (status) => {
    server.then(answer(status, { statusCode: status, message: ['type must be one of ...'] }));
    const alert = await spoolAlert();
    delivery.start();
    await until(() => logLines.some((entry) => entry.event === 'alert.rejected'), 'the refusal logged');
    expect(spooled()).toEqual([]);
    expect(server.requests).toHaveLength(1);
    const kept = JSON.parse(readFileSync(join(dir, 'rejected', `${alert.id}.json`), 'utf8'));
    expect(kept.alert).toEqual(alert);
    const response = JSON.parse(readFileSync(join(dir, 'rejected', `${alert.id}.response.json`), 'utf8'));
    expect(response).toEqual({ status, body: { statusCode: status, message: ['type must be one of ...'] } });
    const line = logLines.find((entry) => entry.event === 'alert.rejected');
    expect(line).toMatchObject({ level: 50, code: `HTTP_${status}`, alertId: alert.id });
  });

  it.each([
    ['401', answer(401, { message: 'unknown token' }), 'HTTP_401', 50],
    ['403', answer(403, { message: 'another device' }), 'HTTP_403', 50],
    ['408', answer(408, {}), 'HTTP_408', 40],
    ['500', answer(500, {}), 'HTTP_500', 40],
    ['503', answer(503, {}), 'HTTP_503', 40],
    ['a connection reset', reset, 'ECONNRESET', 40],
  ])('retries after %s, keeping the same id, until a 2xx', async (_name, failure, code, level) => {
    server.then(failure, failure, answer(201, {}));
    const alert = await spoolAlert();
    delivery.start();
    await until(() => spooled().length === 0, 'delivery after two failures');
    expect(server.requests).toHaveLength(3);
    expect(new Set(server.requests.map((request) => (JSON.parse(request.body) as AlertBody).id))).toEqual(
      new Set([alert.id]),
    );
    const failures = logLines.filter((entry) => entry.event === 'alert.delivery_failed');
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({ code, level, alertId: alert.id });
    expect(rejected()).toEqual([]);
  });

  it('honours Retry-After on 429', async () => {
    server.then(answer(429, { message: 'slow down' }, { 'Retry-After': '1' }), answer(201, {}));
    await spoolAlert();
    delivery.start();
    await until(() => server.requests.length === 1, 'the first attempt');
    const firstAt = Date.now();
    await until(() => spooled().length === 0, 'delivery after Retry-After');
    expect(Date.now() - firstAt).toBeGreaterThanOrEqual(900);
    expect(logLines.find((entry) => entry.code === 'HTTP_429')).toMatchObject({ retryInMs: 1000 });
  });

  it('retries when the server accepts the connection but never answers', async () => {
    server.then(silence, answer(201, {}));
    await spoolAlert();
    delivery.start();
    await until(() => spooled().length === 0, 'delivery after a response timeout', 20_000);
    expect(logLines.find((entry) => entry.event === 'alert.delivery_failed')).toMatchObject({
      code: 'ETIMEDOUT',
    });
    // The alert's own answer timeout, 3 s, not the 10 s of heartbeats.
    const waited = server.requests[1].at - server.requests[0].at;
    expect(waited).toBeGreaterThanOrEqual(2900);
    expect(waited).toBeLessThan(5000);
  }, 30_000);

  it('sends a new press beside an older request that hangs, instead of after its timeout', async () => {
    server.then(silence); // the first request, the older alert's, never gets an answer
    const older = await spoolAlert();
    delivery.start();
    await until(() => server.requests.length === 1, "the older alert's request");
    const fresh = await spoolAlert();
    const pressedAt = Date.now();
    delivery.wake();
    await until(() => !spooled().includes(`${fresh.id}.json`), 'the new press delivered', 10_000);
    const waited = Date.now() - pressedAt;
    expect(waited).toBeLessThan(FRESH_PRESS_BOUND_MS);
    expect(spooled()).toEqual([`${older.id}.json`]); // its request still hangs
    expect(server.open).toEqual([older.id]);

    // The older one goes out again after its timeout, with its id, and only then.
    await until(() => spooled().length === 0, 'the older alert delivered after its timeout', 10_000);
    const ids = server.requests.map((request) => (JSON.parse(request.body) as AlertBody).id);
    expect(ids).toEqual([older.id, fresh.id, older.id]);
    expect(server.sameAlertTwice).toBe(false);
  }, 30_000);

  it('while every answer hangs: newest presses first, MAX_BESIDE beside the oldest, one request per alert; stop waits for them', async () => {
    server.then(...Array<Script>(20).fill(silence));
    const older = await spoolAlert();
    delivery.start();
    await until(() => server.requests.length === 1, "the older alert's request");
    const burst: AlertBody[] = [];
    for (let n = 0; n <= MAX_BESIDE; n++) burst.push(await spoolAlert());
    delivery.wake();
    await until(() => server.requests.length === 1 + MAX_BESIDE, 'requests beside the hanging one');
    const sent = () => server.requests.map((request) => (JSON.parse(request.body) as AlertBody).id);
    expect(sent()).toEqual([
      older.id,
      ...burst
        .slice(1)
        .map((alert) => alert.id)
        .reverse(),
    ]);
    // Nothing more until one of them times out; the press left over then takes a place beside.
    await new Promise((resolve) => setTimeout(resolve, HANG_MS + 500));
    expect(server.requests).toHaveLength(1 + MAX_BESIDE);
    await until(() => sent().includes(burst[0].id), 'the last press sent', ALERT_RESPONSE_TIMEOUT_MS + 3000);
    const presses = sent().filter((id) => id !== older.id);
    expect(presses).toEqual([...burst].reverse().map((alert) => alert.id));

    await delivery.stop();
    expect(server.maxOpen).toBe(1 + MAX_BESIDE);
    expect(server.sameAlertTwice).toBe(false);
    // stop waited for the end of every request sent: each has its outcome logged.
    const failed = logLines.filter((entry) => entry.event === 'alert.delivery_failed');
    expect(failed).toHaveLength(server.requests.length);
    for (const entry of failed) expect(entry).toMatchObject({ code: 'ETIMEDOUT' });
    // Nothing delivered, nothing lost: the spool still holds every press, and no temp file.
    expect(readdirSync(dir).sort()).toEqual(
      [...[older, ...burst].map((alert) => `${alert.id}.json`), 'rejected', 'unreadable'].sort(),
    );
  }, 30_000);

  it('retries while nothing listens (ECONNREFUSED), then delivers when the server is back', async () => {
    await server.stop();
    const port = new URL(server.url).port;
    await spoolAlert();
    delivery.start();
    await until(
      () => logLines.filter((entry) => entry.code === 'ECONNREFUSED').length >= 3,
      'refused attempts',
    );
    server = new ScriptedServer();
    await server.start(Number(port)); // the same address, as a real server coming back
    await until(() => spooled().length === 0, 'delivery once the server is back');
  });

  it('delivers oldest first', async () => {
    const first = await spoolAlert();
    const second = await spoolAlert();
    delivery.start();
    await until(() => spooled().length === 0, 'both delivered');
    expect(server.requests.map((request) => (JSON.parse(request.body) as AlertBody).id)).toEqual([
      first.id,
      second.id,
    ]);
  });

  it('tries at once when woken by a new press, instead of finishing a long backoff sleep', async () => {
    const slow = new Delivery(spool, new AlertSender(createServerClient(config)), pino({ level: 'silent' }), {
      retryBaseMs: 60_000,
      retryMaxMs: 60_000,
      random: () => 1, // every backoff sleep is a full minute
    });
    server.then(answer(503, {}));
    await spoolAlert();
    slow.start();
    await until(() => server.requests.length === 1, 'the first, failed attempt');
    await spoolAlert();
    slow.wake();
    await until(() => spooled().length === 0, 'both delivered long before the minute is up', 5000);
    await slow.stop();
  });

  it('wakes when another process (a `send` run by hand) spools an alert while it is idle', async () => {
    delivery.start();
    await new Promise((resolve) => setTimeout(resolve, 100)); // idle: nothing to deliver
    const other = new Spool(dir); // a second writer, as `send` would be
    const alert: AlertBody = {
      id: uuidv7(),
      deviceId: 'pi-test',
      type: 'test',
      triggeredAt: new Date().toISOString(),
    };
    await other.add(alert);
    await until(() => spooled().length === 0, 'delivery without a press in this process', 5000);
    expect((JSON.parse(server.requests[0].body) as AlertBody).id).toBe(alert.id);
  });
});
