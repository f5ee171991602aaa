import { Logger } from '@nestjs/common';
import type { Device, EnrolledDevice, Enrollment } from '@app/contracts';
import { EnrollmentService } from '../src/enrollment/enrollment.service';
import { alertBody } from './support/vigie-api';
import {
  bearer,
  expectError,
  freshAddress,
  provisionDevice,
  provisionOperator,
  query,
  send,
  signIn,
  snapshot,
} from './support/security';
import { TestServer, startTestServer } from './support/test-server';

/**
 * Enrollment (contract §9) on the real server with sign-in required: an operator makes a
 * one-time code, a Pi exchanges it once for its device token, and that token posts alerts.
 */
const PASSWORD = 'correct horse battery staple';
const CODE = /^vge_[A-Za-z0-9_-]{43}$/;

describe('enrollment (VIGIE_AUTH=required)', () => {
  let server: TestServer;
  let marie: string;

  beforeAll(async () => {
    server = await startTestServer({ VIGIE_AUTH: 'required' });
    await provisionOperator(server, 'Marie', PASSWORD);
    marie = await signIn(server.url, 'Marie', PASSWORD);
  });

  afterAll(async () => {
    await server.close();
    server.remove();
  });

  const makeCode = async (body: Record<string, unknown>, cookie = marie) => {
    const res = await send(server.url, 'POST', '/devices/enrollments', { body, headers: { Cookie: cookie } });
    return res;
  };
  const enroll = (code: unknown, address = freshAddress()) =>
    send(server.url, 'POST', '/devices/enroll', { body: { code }, headers: { 'X-Forwarded-For': address } });

  it('makes a code whose command installs the Pi; the code gives the token once, and the token posts alerts', async () => {
    const made = await makeCode({ deviceId: 'pi-labo-07', location: 'Labo 7, 2e étage' });
    expect(made.status).toBe(201);
    const enrollment = made.json as Enrollment;
    expect(enrollment.code).toMatch(CODE);
    expect(enrollment.command).toBe(
      `curl -fsSL ${server.url}/agent/install.sh | sudo sh -s -- ${enrollment.code}`,
    );
    const ttl = Date.parse(enrollment.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(59 * 60_000);
    expect(ttl).toBeLessThanOrEqual(60 * 60_000);

    const used = await enroll(enrollment.code);
    expect(used.status).toBe(201);
    const device = used.json as EnrolledDevice;
    expect(device).toEqual({
      deviceId: 'pi-labo-07',
      token: expect.stringMatching(/^vgd_/),
      location: 'Labo 7, 2e étage',
      serverUrl: server.url,
    });
    const posted = await send(server.url, 'POST', '/alerts', {
      body: alertBody({ deviceId: 'pi-labo-07' }),
      headers: bearer(device.token),
    });
    expect(posted.status).toBe(201);

    // Audit: who made it, when it was used, from where; the code itself is not stored.
    const [row] = query<Record<string, string | null>>(
      server,
      'select * from device_enrollments where device_id = ?',
      'pi-labo-07',
    );
    expect(row).toMatchObject({ created_by: 'Marie', location: 'Labo 7, 2e étage' });
    expect(row.used_at).not.toBeNull();
    expect(row.used_from).toMatch(/^10\./);
    expect(JSON.stringify(snapshot(server))).not.toContain(enrollment.code);
  });

  it('refuses a used, unknown, malformed or expired code with one 401, and changes nothing', async () => {
    const enrollment = (await makeCode({ deviceId: 'pi-hall-03' })).json as Enrollment;
    const first = await enroll(enrollment.code);
    expect(first.status).toBe(201);
    const token = (first.json as EnrolledDevice).token;

    const before = snapshot(server);
    const again = await enroll(enrollment.code);
    expectError(again, 401);
    expect((again.json as { message: string }).message).toBe(
      'enrollment code unknown, used or expired: make a new one',
    );
    for (const code of [`vge_${'A'.repeat(43)}`, 'not-a-code', `${enrollment.code}x`]) {
      const res = await enroll(code);
      expectError(res, 401);
      expect(res.json).toEqual(again.json);
    }
    expect(snapshot(server)).toEqual(before);
    // The first token still works: a second use does not touch it.
    const posted = await send(server.url, 'POST', '/alerts', {
      body: alertBody({ deviceId: 'pi-hall-03' }),
      headers: bearer(token),
    });
    expect(posted.status).toBe(201);

    // An hour and a second later, as the store sees it.
    const late = await server.app
      .get(EnrollmentService)
      .create('pi-cave-01', null, 'Marie', server.url, new Date(Date.now() - 60 * 60_000 - 1000));
    expectError(await enroll(late.code), 401);
    expect(query(server, "select * from device_credentials where device_id = 'pi-cave-01'")).toEqual([]);
  });

  it('lets one request win when the same code is used twice at once', async () => {
    const { code } = (await makeCode({ deviceId: 'pi-quai-02' })).json as Enrollment;
    const answers = await Promise.all([enroll(code), enroll(code), enroll(code)]);
    expect(answers.map((res) => res.status).sort()).toEqual([201, 401, 401]);
  });

  it('gives a re-enrolled device a new token in place of the one it had', async () => {
    const old = await provisionDevice(server, 'pi-accueil-01');
    const { code } = (await makeCode({ deviceId: 'pi-accueil-01' })).json as Enrollment;
    const fresh = ((await enroll(code)).json as EnrolledDevice).token;
    const post = (token: string) =>
      send(server.url, 'POST', '/alerts', {
        body: alertBody({ deviceId: 'pi-accueil-01' }),
        headers: bearer(token),
      });
    expect((await post(old)).status).toBe(401);
    expect((await post(fresh)).status).toBe(201);
  });

  it('makes codes for operators only, and validates what they send', async () => {
    expectError(await makeCode({ deviceId: 'pi-x' }, ''), 401);
    for (const body of [
      {},
      { deviceId: 'pi x' },
      { deviceId: 'pi-x', extra: 1 },
      { deviceId: 'pi-x', location: 'é'.repeat(121) },
    ]) {
      const res = await makeCode(body);
      expectError(res, 400);
    }
    for (const body of [{}, { code: 42 }, { code: 'x'.repeat(129) }, { code: 'a', more: true }]) {
      const res = await send(server.url, 'POST', '/devices/enroll', {
        body,
        headers: { 'X-Forwarded-For': freshAddress() },
      });
      expectError(res, 400);
    }
    expect(query(server, "select * from device_enrollments where device_id = 'pi-x'")).toEqual([]);
  });

  it('rate-limits enrollment attempts per address', async () => {
    const address = freshAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await enroll(`vge_${'B'.repeat(43)}`, address)).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
    // Another address is not held back.
    expect((await enroll(`vge_${'B'.repeat(43)}`)).status).toBe(401);
  });

  it('lists every device with a token from the start: offline and never seen until it speaks', async () => {
    const { code } = (await makeCode({ deviceId: 'pi-new-01', location: 'Salle 12' })).json as Enrollment;
    const { token } = (await enroll(code)).json as EnrolledDevice;
    await provisionDevice(server, 'pi-added-02');
    const listed = async () => {
      const res = await send(server.url, 'GET', '/devices', { headers: { Cookie: marie } });
      expect(res.status).toBe(200);
      return res.json as Device[];
    };
    const metrics = async () => (await send(server.url, 'GET', '/metrics')).text;

    const before = await listed();
    expect(before.find((device) => device.id === 'pi-new-01')).toEqual({
      id: 'pi-new-01',
      location: 'Salle 12',
      status: 'offline',
      lastSeenAt: null,
      agentVersion: null,
      spoolDepth: null,
    });
    expect(before.find((device) => device.id === 'pi-added-02')).toMatchObject({
      status: 'offline',
      lastSeenAt: null,
    });
    const offline = before.filter((device) => device.status === 'offline').length;
    expect(await metrics()).toContain(`vigie_devices{status="offline"} ${offline}`);
    expect(await metrics()).not.toContain('vigie_device_last_seen_timestamp_seconds{device="pi-new-01"}');

    const beat = await send(server.url, 'PUT', '/devices/pi-new-01/heartbeat', {
      body: { agentVersion: '1.2.0' },
      headers: bearer(token),
    });
    expect(beat.status).toBe(204);
    const after = (await listed()).find((device) => device.id === 'pi-new-01');
    expect(after).toMatchObject({ status: 'online', agentVersion: '1.2.0', location: 'Salle 12' });
    expect(after?.lastSeenAt).not.toBeNull();
    expect((await listed()).filter((device) => device.id === 'pi-new-01')).toHaveLength(1);
  });

  it('logs who made a code, the enrollment, and each refusal with a stable code', async () => {
    const logged: unknown[] = [];
    const log = jest
      .spyOn(Logger.prototype, 'log')
      .mockImplementation((entry: unknown) => void logged.push(entry));
    const warn = jest
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation((entry: unknown) => void logged.push(entry));
    try {
      const { code } = (await makeCode({ deviceId: 'pi-log-01' })).json as Enrollment;
      await enroll(code);
      await enroll(code);
    } finally {
      log.mockRestore();
      warn.mockRestore();
    }
    expect(logged).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: 'enrollment.created', deviceId: 'pi-log-01', by: 'Marie' }),
        expect.objectContaining({ event: 'device.enrolled', deviceId: 'pi-log-01', replacedToken: false }),
        expect.objectContaining({ code: 'ENROLLMENT_REFUSED', reason: 'used', deviceId: 'pi-log-01' }),
      ]),
    );
  });
});
