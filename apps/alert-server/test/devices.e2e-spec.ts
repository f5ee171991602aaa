import type { Device } from '@app/contracts';
import request from 'supertest';
import { eventually } from './support/eventually';
import { expectHttpError } from './support/http-error';
import { family } from './support/prometheus-text';
import { stopAndRemove } from './support/lifecycle';
import { startTestServer, TestServer } from './support/test-server';
import {
  ISO_UTC_MS,
  createAlert,
  expectStatus,
  findDevice,
  heartbeat,
  listAlerts,
  listDevices,
  postRaw,
  scrapeMetrics,
} from './support/vigie-api';

/** Sends a heartbeat that must be accepted, and returns when it was sent (ms bounds). */
async function beat(
  url: string,
  deviceId: string,
  body: object = {},
): Promise<{ before: number; after: number }> {
  const before = Date.now();
  const res = await heartbeat(url, deviceId, body);
  const after = Date.now();
  expectStatus(res, 204);
  expect(res.text).toBe('');
  return { before, after };
}

function expectSeenWithin(device: Device | undefined, { before, after }: { before: number; after: number }) {
  expect(device?.lastSeenAt).toMatch(ISO_UTC_MS);
  expect(Date.parse(device!.lastSeenAt!)).toBeGreaterThanOrEqual(before);
  expect(Date.parse(device!.lastSeenAt!)).toBeLessThanOrEqual(after);
}

describe('devices: heartbeats and the registry', () => {
  let server: TestServer;
  let url: string;

  beforeAll(async () => {
    server = await startTestServer();
    url = server.url;
  });

  afterAll(() => stopAndRemove(server));

  it('accepts a heartbeat with every optional field (204) and lists the device', async () => {
    const window = await beat(url, 'pi-accueil-01', {
      location: 'Accueil, rez-de-chaussée',
      agentVersion: '1.4.2',
      spoolDepth: 3,
      uptimeSeconds: 86400.5,
    });

    const device = await findDevice(url, 'pi-accueil-01');
    expect(device).toEqual({
      id: 'pi-accueil-01',
      location: 'Accueil, rez-de-chaussée',
      status: 'online',
      lastSeenAt: expect.any(String),
      agentVersion: '1.4.2',
      spoolDepth: 3,
    });
    expectSeenWithin(device, window);
  });

  it('accepts a heartbeat without a body, and one with an empty object', async () => {
    const window = await beat(url, 'pi-bare');
    await beat(url, 'pi-empty', {});

    const device = await findDevice(url, 'pi-bare');
    expect(device).toEqual({
      id: 'pi-bare',
      location: null,
      status: 'online',
      lastSeenAt: expect.any(String),
      agentVersion: null,
      spoolDepth: null,
    });
    expectSeenWithin(device, window);
    expect(await findDevice(url, 'pi-empty')).toMatchObject({ id: 'pi-empty', status: 'online' });
  });

  it('keeps what a later heartbeat leaves out, updates what it sends', async () => {
    await beat(url, 'pi-update', { location: 'Lab', agentVersion: '1.0.0', spoolDepth: 5 });
    const window = await beat(url, 'pi-update', { spoolDepth: 0 });

    const device = await findDevice(url, 'pi-update');
    expect(device).toMatchObject({ location: 'Lab', agentVersion: '1.0.0', spoolDepth: 0, status: 'online' });
    expectSeenWithin(device, window);
  });

  it('knows a device from its first alert, before any heartbeat', async () => {
    const alert = await createAlert(url, { deviceId: 'pi-alert-only', location: 'Cuisine' });

    expect(await findDevice(url, 'pi-alert-only')).toEqual({
      id: 'pi-alert-only',
      location: 'Cuisine',
      status: 'online',
      lastSeenAt: alert.receivedAt,
      agentVersion: null,
      spoolDepth: null,
    });
  });

  it('lists each device once, with exactly the contract fields', async () => {
    await beat(url, 'pi-twice');
    await beat(url, 'pi-twice');
    await createAlert(url, { deviceId: 'pi-twice' });

    const devices = await listDevices(url);
    expect(devices.filter((device) => device.id === 'pi-twice')).toHaveLength(1);
    for (const device of devices) {
      expect(Object.keys(device).sort()).toEqual(
        ['agentVersion', 'id', 'lastSeenAt', 'location', 'spoolDepth', 'status'].sort(),
      );
    }
  });

  it('creates no alert from a heartbeat', async () => {
    await beat(url, 'pi-quiet', { spoolDepth: 0 });
    expect((await listAlerts(url, { deviceId: 'pi-quiet' })).items).toEqual([]);
  });

  it('accepts a device id of 64 allowed characters', async () => {
    const id = `Pi_.-${'x'.repeat(59)}`;
    await beat(url, id);
    expect(await findDevice(url, id)).toMatchObject({ id, status: 'online' });
  });

  it.each([
    ['65 characters', 'x'.repeat(65)],
    ['a space', 'pi%20accueil'],
    ['an encoded slash', 'pi%2Faccueil'],
    ['a non-ASCII letter', 'pi-%C3%A9'],
    ['punctuation', 'pi!accueil'],
  ])('refuses a device id with %s in the path: 400', async (_case, pathId) => {
    const res = await request(url).put(`/devices/${pathId}/heartbeat`).send({ spoolDepth: 1 });
    expectHttpError(res, 400, ['deviceId']);
  });

  it.each<[string, unknown, string[]]>([
    ['a negative spoolDepth', { spoolDepth: -1 }, ['spoolDepth']],
    ['a fractional spoolDepth', { spoolDepth: 1.5 }, ['spoolDepth']],
    ['a spoolDepth as a string', { spoolDepth: '3' }, ['spoolDepth']],
    ['a negative uptimeSeconds', { uptimeSeconds: -1 }, ['uptimeSeconds']],
    ['an uptimeSeconds as a string', { uptimeSeconds: '12' }, ['uptimeSeconds']],
    ['an agentVersion of 33 characters', { agentVersion: 'v'.repeat(33) }, ['agentVersion']],
    ['a location of 121 characters', { location: 'l'.repeat(121) }, ['location']],
    ['a numeric location', { location: 7 }, ['location']],
    ['an unknown field', { temperature: 40 }, ['temperature']],
    ['an array', [{ spoolDepth: 1 }], []],
  ])('refuses a heartbeat with %s: 400, device not recorded', async (_case, body, fields) => {
    const deviceId = `pi-bad-${fields[0] ?? 'array'}-${Math.random().toString(36).slice(2, 8)}`;

    expectHttpError(await heartbeat(url, deviceId, body), 400, fields);

    expect(await findDevice(url, deviceId)).toBeUndefined();
  });

  it.each([
    ['malformed JSON', '{"spoolDepth":', 'application/json', 400],
    ['JSON that is a number', '3', 'application/json', 400],
    ['a text/plain body', '{"spoolDepth":1}', 'text/plain', 415],
  ])('refuses a heartbeat with %s', async (_case, text, contentType, status) => {
    const res = await request(url)
      .put('/devices/pi-raw/heartbeat')
      .set('Content-Type', contentType)
      .send(text);
    expectHttpError(res, status);
    expect(await findDevice(url, 'pi-raw')).toBeUndefined();
  });

  it('accepts the heartbeat limits exactly (agentVersion 32, location 120)', async () => {
    await beat(url, 'pi-limits', { agentVersion: 'v'.repeat(32), location: 'l'.repeat(120) });
    expect(await findDevice(url, 'pi-limits')).toMatchObject({
      agentVersion: 'v'.repeat(32),
      location: 'l'.repeat(120),
    });
  });

  it('has no POST route for heartbeats (the contract says PUT)', async () => {
    expectHttpError(await postRaw(url, '/devices/pi-post/heartbeat', '{}'), 404);
  });
});

describe('devices: liveness with VIGIE_DEVICE_OFFLINE_AFTER_S=1', () => {
  let server: TestServer;
  let url: string;

  beforeEach(async () => {
    server = await startTestServer({ VIGIE_DEVICE_OFFLINE_AFTER_S: '1' });
    url = server.url;
  });

  afterEach(() => stopAndRemove(server));

  it('reports a silent device offline within seconds, and online again at its next heartbeat', async () => {
    const lastBeat = await beat(url, 'pi-silent', { spoolDepth: 2 });
    expect(await findDevice(url, 'pi-silent')).toMatchObject({ status: 'online' });

    // A neighbour keeps beating: liveness is judged per device, not for the whole server.
    const offline = await eventually(
      async () => {
        await beat(url, 'pi-chatty');
        const devices = await listDevices(url);
        const silent = devices.find((device) => device.id === 'pi-silent');
        expect(silent?.status).toBe('offline');
        expect(devices.find((device) => device.id === 'pi-chatty')?.status).toBe('online');
        return { silent: silent!, at: Date.now() };
      },
      { timeoutMs: 5000, intervalMs: 100 },
    );
    // Not before its window ran out: silence of at least 1 s, as configured.
    expect(offline.at - lastBeat.before).toBeGreaterThanOrEqual(1000);
    // Offline keeps what the device last said about itself.
    expect(offline.silent).toMatchObject({ id: 'pi-silent', spoolDepth: 2 });
    expectSeenWithin(offline.silent, lastBeat);

    const samples = await scrapeMetrics(url);
    expect(family(samples, 'vigie_devices')).toEqual({ 'status=online': 1, 'status=offline': 1 });

    const comeback = await beat(url, 'pi-silent');
    const back = await findDevice(url, 'pi-silent');
    expect(back?.status).toBe('online');
    expectSeenWithin(back, comeback);
  });

  it('brings an offline device back online with an alert too', async () => {
    await beat(url, 'pi-back');
    await eventually(async () => expect((await findDevice(url, 'pi-back'))?.status).toBe('offline'), {
      timeoutMs: 5000,
      intervalMs: 100,
    });

    const alert = await createAlert(url, { deviceId: 'pi-back' });

    expect(await findDevice(url, 'pi-back')).toMatchObject({
      status: 'online',
      lastSeenAt: alert.receivedAt,
    });
  });
});
