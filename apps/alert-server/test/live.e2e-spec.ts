import { ChildProcess, spawn } from 'node:child_process';
import type { Alert } from '@app/contracts';
import { OperatorAuthService } from '../src/auth/operator-auth.service';
import { LiveHub, MAX_UNREAD_BYTES } from '../src/live/live-hub';
import { MAX_STREAMS_PER_SESSION } from '../src/live/stream-quota';
import { EventStream } from './support/event-stream';
import { startTestServer, TestServer } from './support/test-server';

/**
 * A client that asks for the stream and never reads, with a receive buffer of 4 KiB: Node
 * cannot shrink a socket's buffer, and the kernel's default grows to megabytes on loopback,
 * which would absorb what the hub's limit is about.
 */
async function stalledReader(port: number): Promise<ChildProcess> {
  const script = [
    'import socket, sys',
    's = socket.socket()',
    's.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)',
    `s.connect(('127.0.0.1', ${port}))`,
    "s.sendall(b'GET /events HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n')",
    "print('asked', flush=True)",
    'sys.stdin.read()',
  ].join('\n');
  const child = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', () => resolve());
  });
  return child;
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
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    server = await startTestServer({ VIGIE_DEVICE_OFFLINE_AFTER_S: '1', VIGIE_LIVE_KEEPALIVE_S: '1' });
  });

  afterEach(() => {
    streams.splice(0).forEach((stream) => stream.close());
    children.splice(0).forEach((child) => child.kill());
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

  it('drops a client that leaves more than the limit unread, while the others get every event at once', async () => {
    const hub = server.app.get(LiveHub);
    const stalled = await stalledReader(Number(new URL(server.url).port));
    children.push(stalled);
    const reader = await openStream();
    await until(() => hub.size === 2, 'both streams at the hub');

    // Each event about 1 KB. Past the kernel's buffers (megabytes on loopback, even with the
    // client's small one), the rest piles up in the server, until the hub's limit drops it.
    const message = 'x'.repeat(500);
    const location = 'L'.repeat(120);
    let bytesSent = 0;
    let posted = 0;
    while (hub.size === 2 && posted < 6000) {
      const batch = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          post(server.url, '/alerts', { deviceId: `pi-slow-${i}`, type: 'test', message, location }),
        ),
      );
      for (const created of batch) {
        expect(created.status).toBe(201);
        bytesSent += Buffer.byteLength(JSON.stringify(created.body));
      }
      posted += batch.length;
      // The reader has each batch before the next one is sent: the stalled client never holds it back.
      const ids = new Set(batch.map((created) => created.body.id));
      await until(
        () => reader.events.filter((e) => ids.has((e.data as { id: string }).id)).length === ids.size,
        `the alerts up to ${posted} at the reader`,
        5_000,
      );
    }
    expect(hub.size).toBe(1);
    expect(bytesSent).toBeGreaterThan(MAX_UNREAD_BYTES);
    expect(reader.ended).toBe(false);
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
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
