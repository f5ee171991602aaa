import { request as httpRequest, IncomingMessage } from 'node:http';
import { Socket, connect } from 'node:net';
import type { Alert } from '@app/contracts';
import { OperatorAuthService } from '../src/auth/operator-auth.service';
import { MAX_STREAMS_PER_SESSION } from '../src/live/stream-quota';
import { startTestServer, TestServer } from './support/test-server';

/** One `GET /events` reader: parses the stream into events and comments as they arrive. */
class EventStream {
  readonly events: Array<{ event: string; data: unknown; at: number }> = [];
  comments: string[] = [];
  response!: IncomingMessage;
  private buffer = '';
  private readonly request: ReturnType<typeof httpRequest>;

  ended = false;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.request = httpRequest(`${url}/events`, { headers });
  }

  open(): Promise<this> {
    return new Promise((resolve, reject) => {
      this.request.on('response', (response) => {
        this.response = response;
        response.setEncoding('utf8');
        response.on('end', () => (this.ended = true));
        if (response.statusCode !== 200) resolve(this);
        response.on('data', (chunk: string) => {
          this.buffer += chunk;
          this.parse();
          if (this.comments.includes('connected')) resolve(this);
        });
      });
      this.request.on('error', reject);
      this.request.end();
    });
  }

  close(): void {
    this.request.destroy();
  }

  private parse(): void {
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = '';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith(': ')) this.comments.push(line.slice(2));
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data = line.slice(6);
      }
      if (event) this.events.push({ event, data: JSON.parse(data), at: Date.now() });
    }
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function post(
  url: string,
  path: string,
  body: unknown,
  method = 'POST',
): Promise<{ status: number; body: Alert }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as Alert };
}

describe('GET /events (live stream)', () => {
  let server: TestServer;
  const streams: EventStream[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    server = await startTestServer({ VIGIE_DEVICE_OFFLINE_AFTER_S: '1', VIGIE_LIVE_KEEPALIVE_S: '1' });
  });

  afterEach(() => {
    streams.splice(0).forEach((stream) => stream.close());
    sockets.splice(0).forEach((socket) => socket.destroy());
  });

  afterAll(async () => {
    await server.close();
    server.remove();
  });

  const openStream = async () => {
    const stream = await new EventStream(server.url).open();
    streams.push(stream);
    return stream;
  };

  it('is an event stream that says it is connected and keeps itself alive', async () => {
    const stream = await openStream();
    expect(stream.response.statusCode).toBe(200);
    expect(stream.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.response.headers['cache-control']).toContain('no-cache');
    await until(() => stream.comments.includes('keep-alive'), 'a keep-alive comment');
  });

  it('streams alert.created, alert.acknowledged and alert.resolved with the alert as data', async () => {
    const stream = await openStream();
    const created = await post(server.url, '/alerts', {
      deviceId: 'pi-live',
      type: 'fire',
      message: '<b>Fumée</b>',
    });
    const id = created.body.id;
    await post(server.url, `/alerts/${id}/acknowledge`, { by: 'Marie' });
    await post(server.url, `/alerts/${id}/resolve`, { by: 'Marie', note: 'Fausse alerte' });
    await until(
      () => stream.events.filter((e) => (e.data as { id?: string }).id === id).length === 3,
      'three events',
    );
    const mine = stream.events.filter((e) => (e.data as { id?: string }).id === id);
    expect(mine.map((e) => e.event)).toEqual(['alert.created', 'alert.acknowledged', 'alert.resolved']);
    expect(mine[0].data).toEqual(created.body);
    expect(mine[2].data).toMatchObject({
      status: 'resolved',
      resolvedBy: 'Marie',
      resolutionNote: 'Fausse alerte',
    });
  });

  it('streams device.online and, when the device goes silent, device.offline', async () => {
    const stream = await openStream();
    await post(server.url, '/devices/pi-silent/heartbeat', { location: 'Labo' }, 'PUT');
    const about = (event: string) =>
      stream.events.find((e) => e.event === event && (e.data as { id?: string }).id === 'pi-silent');
    await until(() => about('device.offline') !== undefined, 'device.offline', 10_000);
    const online = about('device.online');
    const offline = about('device.offline');
    expect(online?.data).toMatchObject({ id: 'pi-silent', status: 'online', location: 'Labo' });
    expect(offline?.data).toMatchObject({ id: 'pi-silent', status: 'offline' });
  });

  it('delivers an alert to 200 concurrent clients', async () => {
    const clients = await Promise.all(Array.from({ length: 200 }, () => openStream()));
    const created = await post(server.url, '/alerts', { deviceId: 'pi-many', type: 'medical' });
    await until(
      () =>
        clients.every((client) =>
          client.events.some((e) => (e.data as { id?: string }).id === created.body.id),
        ),
      'the alert at all 200 clients',
    );
  });

  it('does not let a client that never reads delay the others', async () => {
    // A raw connection that asks for the stream and never reads a byte of it.
    const stalled = connect(Number(new URL(server.url).port), '127.0.0.1');
    sockets.push(stalled);
    await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
    stalled.write('GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n');
    stalled.pause();
    const reader = await openStream();
    const message = 'x'.repeat(500);
    const sentAt: number[] = [];
    for (let i = 0; i < 300; i++) {
      sentAt.push(Date.now());
      // Spread over devices: one device posting this fast would meet its rate limit.
      const deviceId = `pi-flood-${i % 20}`;
      const created = await post(server.url, '/alerts', { deviceId, type: 'test', message });
      expect(created.status).toBe(201);
    }
    await until(
      () => reader.events.filter((e) => e.event === 'alert.created').length >= 300,
      'all 300 at the reader',
    );
    const delays = reader.events.filter((e) => e.event === 'alert.created').map((e, i) => e.at - sentAt[i]);
    expect(Math.max(...delays)).toBeLessThan(1000);
    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(200);
  });
});

describe('GET /events with operator sessions', () => {
  let server: TestServer;
  const streams: EventStream[] = [];

  beforeAll(async () => {
    // A check of the stream's session at each keep-alive, every second here.
    server = await startTestServer({ VIGIE_AUTH: 'required', VIGIE_LIVE_KEEPALIVE_S: '1' });
    await server.app.get(OperatorAuthService).add('Marie', 'correct horse battery');
  });

  afterAll(async () => {
    for (const stream of streams) stream.close();
    await server.close();
    server.remove();
  });

  async function signIn(): Promise<string> {
    const response = await fetch(`${server.url}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Marie', password: 'correct horse battery' }),
    });
    expect(response.status).toBe(204);
    return response.headers.get('set-cookie')!.split(';')[0];
  }

  async function open(headers: Record<string, string> = {}): Promise<EventStream> {
    const stream = new EventStream(server.url, headers);
    streams.push(stream);
    return stream.open();
  }

  it('refuses a stream without a session', async () => {
    const stream = await open();
    expect(stream.response.statusCode).toBe(401);
    expect(stream.comments).toEqual([]);
  });

  it('ends the stream once its session is signed out, and leaves the other sessions streaming', async () => {
    const cookie = await signIn();
    const otherCookie = await signIn();
    const stream = await open({ Cookie: cookie });
    const other = await open({ Cookie: otherCookie });
    expect(stream.response.statusCode).toBe(200);

    // JSON, as every state-changing request must be, even without a body.
    const logout = await fetch(`${server.url}/auth/logout`, {
      method: 'POST',
      headers: { Cookie: cookie, 'Content-Type': 'application/json' },
    });
    expect(logout.status).toBe(204);
    await until(() => stream.ended, 'the signed-out stream to end', 5_000);

    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(other.ended).toBe(false);
    expect(other.comments).toContain('keep-alive');
  });

  it('caps the streams one session holds open, with a clear error; others and freed places still get in', async () => {
    const cookie = await signIn();
    const held: EventStream[] = [];
    for (let i = 0; i < MAX_STREAMS_PER_SESSION; i++) held.push(await open({ Cookie: cookie }));
    expect(held.map((stream) => stream.response.statusCode)).toEqual(
      Array(MAX_STREAMS_PER_SESSION).fill(200),
    );

    const refused = await fetch(`${server.url}/events`, { headers: { Cookie: cookie } });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringContaining(`${MAX_STREAMS_PER_SESSION} live streams open`),
    });

    // Another operator's browser is not held back by this one.
    expect((await open({ Cookie: await signIn() })).response.statusCode).toBe(200);

    // A closed stream gives its place back, as soon as the server sees it closed.
    held[0].close();
    const deadline = Date.now() + 5_000;
    let again = await open({ Cookie: cookie });
    while (again.response.statusCode !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      again = await open({ Cookie: cookie });
    }
    expect(again.response.statusCode).toBe(200);
  });

  it('ends the stream when its operator is removed', async () => {
    const stream = await open({ Cookie: await signIn() });
    await server.app.get(OperatorAuthService).remove('marie');
    await until(() => stream.ended, 'the stream of a removed operator to end', 5_000);
  });
});
