import type { Alert, DeviceAlertEvent } from '@app/contracts';
import { EventStream } from './support/event-stream';
import { eventually } from './support/eventually';
import { stopAndRemove } from './support/lifecycle';
import {
  bearer,
  expectError,
  provisionDevice,
  provisionOperator,
  revokeDeviceToken,
  send,
  signIn,
} from './support/security';
import { startTestServer, TestServer } from './support/test-server';
import { sampleValue } from './support/prometheus-text';
import { alertBody, scrapeMetrics } from './support/vigie-api';

/**
 * `GET /devices/{id}/events` (contract §8): what the agent of a device learns about the alerts
 * it raised, so the person who pressed sees that help is coming. A real server, device tokens
 * and signed-in operators, as in production.
 */

type Received = { id: string | null; event: string; data: DeviceAlertEvent };

const KEEP_ALIVE_S = 1;

describe('GET /devices/{id}/events: the device stream', () => {
  let server: TestServer;
  let url: string;
  let marie: string;
  const tokens: Record<string, string> = {};
  const streams: EventStream[] = [];

  beforeAll(async () => {
    server = await startTestServer({ VIGIE_AUTH: 'required', VIGIE_LIVE_KEEPALIVE_S: String(KEEP_ALIVE_S) });
    url = server.url;
    for (const deviceId of ['pi-a', 'pi-b', 'pi-revoked', 'pi-many']) {
      tokens[deviceId] = await provisionDevice(server, deviceId);
    }
    await provisionOperator(server, 'Marie', 'correct horse battery staple');
    marie = await signIn(url, 'Marie', 'correct horse battery staple');
  });

  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close();
  });
  afterAll(() => stopAndRemove(server));

  /** The device's stream, as its agent opens it; closed after the test. */
  async function follow(deviceId: string, lastEventId?: string): Promise<EventStream> {
    const headers = { ...bearer(tokens[deviceId]), ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) };
    const stream = await new EventStream(url, headers, `/devices/${deviceId}/events`).open();
    streams.push(stream);
    expect(stream.response.statusCode).toBe(200);
    return stream;
  }

  async function press(deviceId: string, type = 'fire'): Promise<Alert> {
    const res = await send(url, 'POST', '/alerts', {
      body: alertBody({ deviceId, type }),
      headers: bearer(tokens[deviceId]),
    });
    expect(res.status).toBe(201);
    return res.json as Alert;
  }

  async function handle(alert: Alert, action: 'acknowledge' | 'resolve'): Promise<Alert> {
    const res = await send(url, 'POST', `/alerts/${alert.id}/${action}`, {
      body: { note: 'on my way' },
      headers: { Cookie: marie },
    });
    expect(res.status).toBe(200);
    return res.json as Alert;
  }

  /** The stream's events about `alert`, once `count` of them came. */
  function eventsOf(stream: EventStream, alert: Alert, count: number): Promise<Received[]> {
    return eventually(() => {
      const received = (stream.events as Received[]).filter((entry) => entry.data.alertId === alert.id);
      expect(received).toHaveLength(count);
      return received;
    });
  }

  it('refuses no token (401) and another device’s token (403), starting no stream', async () => {
    expectError(await send(url, 'GET', '/devices/pi-a/events'), 401);
    expectError(await send(url, 'GET', '/devices/pi-a/events', { headers: bearer(tokens['pi-b']) }), 403);
    expectError(await send(url, 'GET', '/devices/pi-a/events', { headers: { Cookie: marie } }), 401);
  });

  it('tells the device its alert was stored, acknowledged by whom, and resolved, each with an id', async () => {
    const stream = await follow('pi-a');
    expect(stream.response.headers['content-type']).toMatch(/^text\/event-stream/);

    const alert = await press('pi-a');
    const [stored] = await eventsOf(stream, alert, 1);
    expect(stored).toMatchObject({
      event: 'alert.stored',
      data: { alertId: alert.id, type: 'fire', at: alert.receivedAt },
    });

    const acknowledged = await handle(alert, 'acknowledge');
    const resolved = await handle(alert, 'resolve');
    const events = await eventsOf(stream, alert, 3);
    expect(events.map(({ event, data }) => ({ event, data }))).toEqual([
      { event: 'alert.stored', data: { alertId: alert.id, type: 'fire', at: alert.receivedAt } },
      {
        event: 'alert.acknowledged',
        data: { alertId: alert.id, type: 'fire', at: acknowledged.acknowledgedAt, by: 'Marie' },
      },
      {
        event: 'alert.resolved',
        data: { alertId: alert.id, type: 'fire', at: resolved.resolvedAt, by: 'Marie' },
      },
    ]);
    const ids = events.map((event) => event.id);
    expect(new Set(ids).size).toBe(3);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
  });

  it("never carries another device's alerts", async () => {
    const streamA = await follow('pi-a');
    const other = await press('pi-b');
    const own = await press('pi-a');

    await eventsOf(streamA, own, 1);
    expect((streamA.events as Received[]).filter((entry) => entry.data.alertId === other.id)).toEqual([]);
  });

  it('starts with where the open alerts stand: stored, or stored and acknowledged; nothing of resolved ones', async () => {
    const waiting = await press('pi-b', 'medical');
    const coming = await press('pi-b', 'intrusion');
    await handle(coming, 'acknowledge');
    const over = await press('pi-b', 'panic');
    await handle(over, 'resolve');

    const stream = await follow('pi-b');
    await eventsOf(stream, coming, 2);
    await eventsOf(stream, waiting, 1);
    const about = (alert: Alert) =>
      (stream.events as Received[])
        .filter((entry) => entry.data.alertId === alert.id)
        .map((entry) => entry.event);
    expect(about(waiting)).toEqual(['alert.stored']);
    expect(about(coming)).toEqual(['alert.stored', 'alert.acknowledged']);
    expect(about(over)).toEqual([]);
    await handle(waiting, 'resolve');
    await handle(coming, 'resolve');
  });

  it('resumes after Last-Event-ID: what happened while away comes once, nothing before it again', async () => {
    const first = await follow('pi-a');
    const alert = await press('pi-a');
    const [stored] = await eventsOf(first, alert, 1);
    first.close();

    const acknowledged = await handle(alert, 'acknowledge');
    const later = await press('pi-a', 'medical');
    const resumed = await follow('pi-a', stored.id!);

    const [missed] = await eventsOf(resumed, alert, 1);
    expect(missed).toMatchObject({ event: 'alert.acknowledged', data: { at: acknowledged.acknowledgedAt } });
    await eventsOf(resumed, later, 1);
    // Live again: the resolution comes on the resumed stream.
    await handle(alert, 'resolve');
    const events = await eventsOf(resumed, alert, 2);
    expect(events.map((event) => event.event)).toEqual(['alert.acknowledged', 'alert.resolved']);
    await handle(later, 'resolve');
  });

  it('resumes from the store: an id sent before a server restart still resumes after it', async () => {
    const dir = server.dir;
    const before = await follow('pi-a');
    const alert = await press('pi-a');
    const [stored] = await eventsOf(before, alert, 1);
    await handle(alert, 'acknowledge');
    await eventsOf(before, alert, 2);
    before.close();

    await server.close();
    server = await startTestServer(
      { VIGIE_AUTH: 'required', VIGIE_LIVE_KEEPALIVE_S: String(KEEP_ALIVE_S) },
      dir,
    );
    url = server.url;
    marie = await signIn(url, 'Marie', 'correct horse battery staple');

    const after = await follow('pi-a', stored.id!);
    const [acknowledged] = await eventsOf(after, alert, 1);
    expect(acknowledged.event).toBe('alert.acknowledged');
    await handle(alert, 'resolve');
  });

  it('a Last-Event-ID it did not send: a comment says so, and the stream starts from the open alerts', async () => {
    const open = await press('pi-b');
    const stream = await follow('pi-b', 'not-an-id');

    await eventsOf(stream, open, 1);
    expect(stream.comments).toContain(
      'Last-Event-ID is not an id of this stream: starting from the open alerts',
    );
    await handle(open, 'resolve');
  });

  it('writes a comment at least every keep-alive period', async () => {
    const stream = await follow('pi-b');
    await eventually(() => expect(stream.comments).toContain('keep-alive'), {
      timeoutMs: KEEP_ALIVE_S * 1000 * 3,
    });
  });

  it('a device opening a third stream ends its oldest: a reconnecting agent is never refused', async () => {
    const oldest = await follow('pi-many');
    const second = await follow('pi-many');
    const third = await follow('pi-many');

    await eventually(() => expect(oldest.ended).toBe(true));
    const alert = await press('pi-many');
    await eventsOf(second, alert, 1);
    await eventsOf(third, alert, 1);
    // Two streams of one device count once among the devices connected.
    const connected = () =>
      scrapeMetrics(url).then((samples) => sampleValue(samples, 'vigie_device_feedback_streams', {}));
    expect(await connected()).toBe(1);
    second.close();
    third.close();
    await eventually(async () => expect(await connected()).toBe(0));
  });

  describe("what the button showed, reported with a heartbeat, in the alert's timeline", () => {
    async function beat(deviceId: string, feedback: unknown) {
      return send(url, 'PUT', `/devices/${deviceId}/heartbeat`, {
        body: { feedback },
        headers: bearer(tokens[deviceId]),
      });
    }
    async function timeline(alert: Alert) {
      const res = await send(url, 'GET', `/alerts/${alert.id}/timeline`, { headers: { Cookie: marie } });
      expect(res.status).toBe(200);
      return res.json as Array<{ at: string; kind: string; detail?: string }>;
    }

    it('records stored and acknowledged once each, at the device time, for its own alert only', async () => {
      const alert = await press('pi-a');
      const other = await press('pi-b');
      const storedAt = new Date(Date.parse(alert.receivedAt) + 5).toISOString();
      const acknowledgedAt = new Date(Date.parse(alert.receivedAt) + 2000).toISOString();

      expect((await beat('pi-a', [{ alertId: alert.id, state: 'stored', at: storedAt }])).status).toBe(204);
      // The answer lost, the agent reports both again with the next heartbeat; and pi-a claims pi-b's alert.
      const again = await beat('pi-a', [
        { alertId: alert.id.toUpperCase(), state: 'stored', at: storedAt },
        { alertId: alert.id, state: 'acknowledged', at: acknowledgedAt },
        { alertId: other.id, state: 'stored', at: storedAt },
      ]);
      expect(again.status).toBe(204);

      const entries = (await timeline(alert)).filter((entry) => entry.kind === 'device.feedback');
      expect(entries).toEqual([
        { at: storedAt, kind: 'device.feedback', detail: 'stored' },
        { at: acknowledgedAt, kind: 'device.feedback', detail: 'acknowledged' },
      ]);
      expect((await timeline(other)).filter((entry) => entry.kind === 'device.feedback')).toEqual([]);
      await handle(alert, 'resolve');
      await handle(other, 'resolve');
    });

    it.each([
      // Nest reports the fields of an object where a list is expected.
      ['an object instead of a list', { alertId: 'x' }, 'feedback.alertId must be a UUID'],
      ['a list of strings', ['stored'], 'nested property feedback must be either object or array'],
      [
        'a bad alert id',
        [{ alertId: 'nope', state: 'stored', at: '2026-12-03T08:00:00Z' }],
        'alertId must be a UUID',
      ],
      [
        'an unknown state',
        [{ alertId: '0190a5b0-0000-7000-8000-000000000000', state: 'resolved', at: '2026-12-03T08:00:00Z' }],
        'state must be one of stored, acknowledged',
      ],
      [
        'a time without its zone',
        [{ alertId: '0190a5b0-0000-7000-8000-000000000000', state: 'stored', at: '2026-12-03T08:00:00' }],
        'at must be an ISO 8601 date-time with a zone',
      ],
      [
        'more than 20 reports',
        Array.from({ length: 21 }, () => ({
          alertId: '0190a5b0-0000-7000-8000-000000000000',
          state: 'stored',
          at: '2026-12-03T08:00:00Z',
        })),
        'feedback must contain no more than 20 elements',
      ],
    ])('refuses %s with a 400 that says what is wrong', async (_what, feedback, message) => {
      const res = await beat('pi-a', feedback);
      expectError(res, 400);
      expect(res.text).toContain(message);
    });
  });

  it('ends the stream once its token is revoked', async () => {
    const stream = await follow('pi-revoked');
    await revokeDeviceToken(server, 'pi-revoked');

    await eventually(() => expect(stream.ended).toBe(true), { timeoutMs: KEEP_ALIVE_S * 1000 * 3 });
  });
});

describe('GET /devices/{id}/events on a lab bench (VIGIE_AUTH=off)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => stopAndRemove(server));

  it('answers 400 for a path that names no valid device id', async () => {
    const res = await send(server.url, 'GET', '/devices/pi%20a/events');
    expectError(res, 400);
    expect(res.text).toContain('deviceId must be 1 to 64 of A-Z a-z 0-9 . _ -');
  });
});
