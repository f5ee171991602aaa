// Loaded first: the contract's DTO decorators, imported through the server, need it.
import 'reflect-metadata';
import { createHash, randomBytes } from 'node:crypto';
import type { Alert, Device } from '@app/contracts';
import { OperatorAuthService } from '../src/auth/operator-auth.service';
import { stopAndRemove } from './support/lifecycle';
import {
  Answer,
  bearer,
  cookieAttributes,
  expectError,
  freshAddress,
  head,
  provisionDevice,
  provisionOperator,
  query,
  revokeDeviceToken,
  send,
  sessionPair,
  setCookies,
  signIn,
  snapshot,
  writeStore,
} from './support/security';
import { TestServer, startTestServer } from './support/test-server';
import { alertBody } from './support/vigie-api';

/**
 * Who may call what, and issue 5's acceptance, against the real server with VIGIE_AUTH=required: every
 * protected route refuses a caller without the right credentials (the right status, the NestJS
 * error shape, and nothing stored or changed, read from the SQLite file), accepts the right
 * ones, and the signed-in operator, not the body, says who handled an alert.
 */

const PASSWORD = 'correct horse battery';
const METRICS_TOKEN = 'metrics-token-0123456789';

/** The SHA-256 the store keeps of a session cookie's value (contract: only a hash is stored). */
function sessionHash(pair: string): string {
  return createHash('sha256')
    .update(pair.slice(pair.indexOf('=') + 1))
    .digest('hex');
}

function unknownButWellFormedToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

describe('security: who may call what (VIGIE_AUTH=required)', () => {
  let server: TestServer;
  let url: string;
  /** Devices: `pi-a` posts, `pi-b` lends its token, `pi-quiet` never speaks, `pi-revoked` was revoked. */
  const tokens: Record<string, string> = {};
  let marie: string;
  let paul: string;
  /** An open alert the refused operator requests try to read, acknowledge and resolve. */
  let target: Alert;

  beforeAll(async () => {
    server = await startTestServer({ VIGIE_AUTH: 'required', VIGIE_METRICS_TOKEN: METRICS_TOKEN });
    url = server.url;
    for (const id of ['pi-a', 'pi-b', 'pi-quiet', 'pi-revoked'])
      tokens[id] = await provisionDevice(server, id);
    await revokeDeviceToken(server, 'pi-revoked');
    await provisionOperator(server, 'Marie', PASSWORD);
    await provisionOperator(server, 'Paul', PASSWORD);
    marie = await signIn(url, 'Marie', PASSWORD);
    paul = await signIn(url, 'paul', PASSWORD);
    const created = await send(url, 'POST', '/alerts', {
      body: alertBody({ deviceId: 'pi-a', message: 'target' }),
      headers: bearer(tokens['pi-a']),
    });
    expect(created.status).toBe(201);
    target = created.json as Alert;
  });

  afterAll(() => stopAndRemove(server));

  function expectDevice401(res: Answer): void {
    expectError(res, 401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+"$/);
  }

  /* ---------------------------------------------------------------------------------------- */

  describe('device routes refuse a caller without its own valid token, and store nothing', () => {
    interface DeviceCase {
      what: string;
      /** The device the request speaks for (body deviceId or path). */
      deviceId: string;
      headers: () => Record<string, string>;
      status: 401 | 403;
    }
    const cases: DeviceCase[] = [
      { what: 'no Authorization header', deviceId: 'pi-quiet', headers: () => ({}), status: 401 },
      {
        what: 'a garbage token',
        deviceId: 'pi-quiet',
        headers: () => bearer('garbage'),
        status: 401,
      },
      {
        what: 'a well-formed token no device has',
        deviceId: 'pi-quiet',
        headers: () => bearer(unknownButWellFormedToken('vgd_')),
        status: 401,
      },
      {
        what: 'its own token one character off',
        deviceId: 'pi-quiet',
        headers: () =>
          bearer(tokens['pi-quiet'].slice(0, -1) + (tokens['pi-quiet'].endsWith('A') ? 'B' : 'A')),
        status: 401,
      },
      {
        what: 'an empty Bearer',
        deviceId: 'pi-quiet',
        headers: () => ({ Authorization: 'Bearer ' }),
        status: 401,
      },
      {
        what: 'its token under another scheme (Basic)',
        deviceId: 'pi-quiet',
        headers: () => ({ Authorization: `Basic ${tokens['pi-quiet']}` }),
        status: 401,
      },
      {
        what: 'its token without a scheme',
        deviceId: 'pi-quiet',
        headers: () => ({ Authorization: tokens['pi-quiet'] }),
        status: 401,
      },
      {
        what: "an operator's session cookie instead of a token",
        deviceId: 'pi-quiet',
        headers: () => ({ Cookie: marie }),
        status: 401,
      },
      {
        what: 'its own revoked token',
        deviceId: 'pi-revoked',
        headers: () => bearer(tokens['pi-revoked']),
        status: 401,
      },
      {
        what: "another device's revoked token",
        deviceId: 'pi-quiet',
        headers: () => bearer(tokens['pi-revoked']),
        status: 401,
      },
      {
        what: "another device's valid token",
        deviceId: 'pi-quiet',
        headers: () => bearer(tokens['pi-b']),
        status: 403,
      },
    ];

    async function expectRefused(status: 401 | 403, request: () => Promise<Answer>): Promise<void> {
      const before = snapshot(server);
      const res = await request();
      if (status === 401) expectDevice401(res);
      else expectError(res, 403);
      expect(snapshot(server)).toEqual(before);
    }

    it.each(cases)('POST /alerts with $what: $status', async ({ deviceId, headers, status }) => {
      const body = alertBody({ deviceId, message: 'must not be stored' });
      await expectRefused(status, () => send(url, 'POST', '/alerts', { body, headers: headers() }));
      expect(query(server, 'SELECT id FROM alerts WHERE id = ?', body.id)).toEqual([]);
      const read = await send(url, 'GET', `/alerts/${body.id as string}`, { headers: { Cookie: marie } });
      expect(read.status).toBe(404);
    });

    it.each(cases)(
      'PUT /devices/{id}/heartbeat with $what: $status',
      async ({ deviceId, headers, status }) => {
        await expectRefused(status, () =>
          send(url, 'PUT', `/devices/${deviceId}/heartbeat`, {
            body: { location: 'must not be stored', agentVersion: '9.9.9' },
            headers: headers(),
          }),
        );
        expect(query(server, 'SELECT id FROM devices WHERE id = ?', deviceId)).toEqual([]);
        const devices = await send(url, 'GET', '/devices', { headers: { Cookie: marie } });
        expect(devices.status).toBe(200);
        // A device with a token is listed from the start, never seen: the refused request
        // must leave it so, with nothing of what it sent.
        const listed = (devices.json as Device[]).filter((device) => device.id === deviceId);
        for (const device of listed) {
          expect(device).toMatchObject({ status: 'offline', lastSeenAt: null, agentVersion: null });
          expect(device.location).not.toBe('must not be stored');
        }
      },
    );

    it('refuses a token before reading the body: no token and an invalid body is 401, not 400', async () => {
      const res = await send(url, 'POST', '/alerts', { body: { deviceId: 'pi-quiet', type: 'nonsense' } });
      expectDevice401(res);
    });

    it('answers 403 without WWW-Authenticate: the token is valid, only not for this device', async () => {
      const res = await send(url, 'POST', '/alerts', {
        body: alertBody({ deviceId: 'pi-a' }),
        headers: bearer(tokens['pi-b']),
      });
      expectError(res, 403);
      expect(res.headers['www-authenticate']).toBeUndefined();
    });
  });

  describe('device routes accept the device with its own token', () => {
    it('POST /alerts: 201, stored for that device', async () => {
      const body = alertBody({ deviceId: 'pi-b', location: 'Hall B' });
      const res = await send(url, 'POST', '/alerts', { body, headers: bearer(tokens['pi-b']) });
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({ id: body.id, deviceId: 'pi-b', location: 'Hall B' });
      expect(query(server, 'SELECT device_id FROM alerts WHERE id = ?', body.id)).toEqual([
        { device_id: 'pi-b' },
      ]);
    });

    it('PUT /devices/{id}/heartbeat: 204, recorded', async () => {
      const res = await send(url, 'PUT', '/devices/pi-a/heartbeat', {
        body: { agentVersion: '1.2.3' },
        headers: bearer(tokens['pi-a']),
      });
      expect(res.status).toBe(204);
      expect(query(server, 'SELECT agent_version FROM devices WHERE id = ?', 'pi-a')).toEqual([
        { agent_version: '1.2.3' },
      ]);
    });

    it('takes the scheme name in any case, as HTTP says (bearer, BEARER)', async () => {
      for (const scheme of ['bearer', 'BEARER']) {
        const res = await send(url, 'POST', '/alerts', {
          body: alertBody({ deviceId: 'pi-a' }),
          headers: { Authorization: `${scheme} ${tokens['pi-a']}` },
        });
        expect(res.status).toBe(201);
      }
    });
  });

  describe('revocation', () => {
    it('takes effect on the very next request, and a new token for the device works while the old stays refused', async () => {
      const old = await provisionDevice(server, 'pi-stolen');
      const first = await send(url, 'POST', '/alerts', {
        body: alertBody({ deviceId: 'pi-stolen' }),
        headers: bearer(old),
      });
      expect(first.status).toBe(201);

      await revokeDeviceToken(server, 'pi-stolen');
      const before = snapshot(server);
      const refused = await send(url, 'POST', '/alerts', {
        body: alertBody({ deviceId: 'pi-stolen' }),
        headers: bearer(old),
      });
      expectDevice401(refused);
      const heartbeat = await send(url, 'PUT', '/devices/pi-stolen/heartbeat', {
        body: {},
        headers: bearer(old),
      });
      expectDevice401(heartbeat);
      expect(snapshot(server)).toEqual(before);

      const renewed = await provisionDevice(server, 'pi-stolen');
      expect(renewed).not.toBe(old);
      const withOld = await send(url, 'POST', '/alerts', {
        body: alertBody({ deviceId: 'pi-stolen' }),
        headers: bearer(old),
      });
      expectDevice401(withOld);
      const withNew = await send(url, 'POST', '/alerts', {
        body: alertBody({ deviceId: 'pi-stolen' }),
        headers: bearer(renewed),
      });
      expect(withNew.status).toBe(201);
    });
  });

  /* ---------------------------------------------------------------------------------------- */

  describe('operator routes refuse a caller without a live session, and change nothing', () => {
    const credentials: Array<[string, () => Record<string, string>]> = [
      ['no cookie', () => ({})],
      ['a garbage session cookie', () => ({ Cookie: 'vigie_session=garbage' })],
      [
        'a well-formed session no one signed in with',
        () => ({ Cookie: `vigie_session=${unknownButWellFormedToken('vgs_')}` }),
      ],
      ['an empty session cookie', () => ({ Cookie: 'vigie_session=' })],
      ['a cookie header without a value', () => ({ Cookie: 'vigie_session' })],
      [
        "Marie's session value under another cookie name",
        () => ({ Cookie: `session=${marie.split('=')[1]}` }),
      ],
      [
        "Marie's session value one character off",
        () => ({ Cookie: `${marie.slice(0, -1)}${marie.endsWith('A') ? 'B' : 'A'}` }),
      ],
      ["Marie's session value as a Bearer token", () => bearer(marie.split('=')[1])],
      ["a device's valid token", () => bearer(tokens['pi-a'])],
    ];
    const routes: Array<[string, string, (id: string) => string, unknown]> = [
      ['GET', '/alerts', () => '/alerts', undefined],
      ['GET', '/alerts/{id}', (id) => `/alerts/${id}`, undefined],
      ['GET', '/alerts/{id}/timeline', (id) => `/alerts/${id}/timeline`, undefined],
      ['POST', '/alerts/{id}/acknowledge', (id) => `/alerts/${id}/acknowledge`, { by: 'Mallory', note: 'x' }],
      ['POST', '/alerts/{id}/resolve', (id) => `/alerts/${id}/resolve`, { by: 'Mallory', note: 'x' }],
      ['GET', '/devices', () => '/devices', undefined],
      ['GET', '/events', () => '/events', undefined],
    ];
    const matrix = routes.flatMap(([method, route, path, body]) =>
      credentials.map(([what, headers]) => ({ method, route, path, body, what, headers })),
    );

    it.each(matrix)('$method $route with $what: 401', async ({ method, path, body, headers }) => {
      const before = snapshot(server);
      const res =
        path(target.id) === '/events'
          ? await head(url, '/events', headers())
          : await send(url, method, path(target.id), { body, headers: headers() });
      expectError(res, 401);
      expect(res.text).not.toContain('target');
      expect(snapshot(server)).toEqual(before);
      expect(
        query(server, 'SELECT status, acknowledged_by, resolved_by FROM alerts WHERE id = ?', target.id),
      ).toEqual([{ status: 'open', acknowledged_by: null, resolved_by: null }]);
    });

    it('GET /auth/session without a session: 401', async () => {
      expectError(await send(url, 'GET', '/auth/session'), 401);
    });
  });

  describe('operator routes with a session', () => {
    it('read alerts, one alert, devices and the live events', async () => {
      const headers = { Cookie: marie };
      const list = await send(url, 'GET', '/alerts', { headers });
      expect(list.status).toBe(200);
      expect((list.json as { items: Alert[] }).items.map((alert) => alert.id)).toContain(target.id);
      const one = await send(url, 'GET', `/alerts/${target.id}`, { headers });
      expect(one.status).toBe(200);
      expect(one.json).toMatchObject({ id: target.id, message: 'target' });
      const devices = await send(url, 'GET', '/devices', { headers });
      expect(devices.status).toBe(200);
      expect((devices.json as Device[]).map((device) => device.id)).toContain('pi-a');
      const events = await head(url, '/events', headers);
      expect(events.status).toBe(200);
      expect(events.headers['content-type']).toMatch(/^text\/event-stream/);
      const session = await send(url, 'GET', '/auth/session', { headers });
      expect(session.status).toBe(200);
      expect(session.json).toEqual({ name: 'Marie', expiresAt: expect.any(String) });
    });

    it('acknowledge and resolve record the signed-in operator, whatever the body says', async () => {
      const created = await send(url, 'POST', '/alerts', {
        body: alertBody({ deviceId: 'pi-a' }),
        headers: bearer(tokens['pi-a']),
      });
      const id = (created.json as Alert).id;

      const acknowledged = await send(url, 'POST', `/alerts/${id}/acknowledge`, {
        body: { by: 'Mallory', note: 'on my way' },
        headers: { Cookie: marie },
      });
      expect(acknowledged.status).toBe(200);
      expect(acknowledged.json).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'Marie' });

      // No `by` at all: the session says who.
      const resolved = await send(url, 'POST', `/alerts/${id}/resolve`, {
        body: { note: 'false alarm' },
        headers: { Cookie: paul },
      });
      expect(resolved.status).toBe(200);
      expect(resolved.json).toMatchObject({
        status: 'resolved',
        resolvedBy: 'Paul',
        resolutionNote: 'false alarm',
      });

      expect(query(server, 'SELECT acknowledged_by, resolved_by FROM alerts WHERE id = ?', id)).toEqual([
        { acknowledged_by: 'Marie', resolved_by: 'Paul' },
      ]);
    });
  });

  /* ---------------------------------------------------------------------------------------- */

  describe('sessions', () => {
    it('sign-in sets an HttpOnly, SameSite=Strict cookie for the whole site, not Secure over plain http', async () => {
      const res = await send(url, 'POST', '/auth/login', {
        body: { name: 'Marie', password: PASSWORD },
        headers: { 'X-Forwarded-For': freshAddress() },
      });
      expect(res.status).toBe(204);
      const cookies = setCookies(res);
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toMatch(/^vigie_session=[A-Za-z0-9_-]{40,}; /);
      const attributes = cookieAttributes(cookies[0]);
      expect(attributes).toMatchObject({ httponly: '', samesite: 'Strict', path: '/' });
      expect(Number(attributes['max-age'])).toBe(12 * 3600);
      expect(attributes).not.toHaveProperty('secure');
      expect(attributes).not.toHaveProperty('domain');
    });

    it('the cookie is Secure when the request came over https through a proxy on this host', async () => {
      const res = await send(url, 'POST', '/auth/login', {
        body: { name: 'Marie', password: PASSWORD },
        headers: { 'X-Forwarded-For': freshAddress(), 'X-Forwarded-Proto': 'https' },
      });
      expect(res.status).toBe(204);
      expect(cookieAttributes(setCookies(res)[0])).toMatchObject({
        secure: '',
        httponly: '',
        samesite: 'Strict',
        path: '/',
      });
      const logout = await send(url, 'POST', '/auth/logout', {
        body: {},
        headers: { Cookie: sessionPair(res), 'X-Forwarded-Proto': 'https' },
      });
      expect(logout.status).toBe(204);
      expect(cookieAttributes(setCookies(logout)[0])).toHaveProperty('secure');
    });

    it('stores only a hash of the session', async () => {
      const pair = await signIn(url, 'Marie', PASSWORD);
      const value = pair.split('=')[1];
      const rows = query<{ id_hash: string }>(server, 'SELECT id_hash FROM sessions');
      expect(rows.map((row) => row.id_hash)).toContain(sessionHash(pair));
      expect(JSON.stringify(snapshot(server))).not.toContain(value);
    });

    it('logout ends the session and clears the cookie', async () => {
      const pair = await signIn(url, 'Marie', PASSWORD);
      expect((await send(url, 'GET', '/alerts', { headers: { Cookie: pair } })).status).toBe(200);

      const logout = await send(url, 'POST', '/auth/logout', { body: {}, headers: { Cookie: pair } });
      expect(logout.status).toBe(204);
      const cleared = setCookies(logout);
      expect(cleared).toHaveLength(1);
      expect(cleared[0]).toMatch(/^vigie_session=;/);
      expect(cookieAttributes(cleared[0])).toMatchObject({ 'max-age': '0', path: '/', httponly: '' });

      expectError(await send(url, 'GET', '/alerts', { headers: { Cookie: pair } }), 401);
      expectError(await send(url, 'GET', '/auth/session', { headers: { Cookie: pair } }), 401);
      expect(query(server, 'SELECT 1 FROM sessions WHERE id_hash = ?', sessionHash(pair))).toEqual([]);
      // Another browser's session is untouched.
      expect((await send(url, 'GET', '/alerts', { headers: { Cookie: marie } })).status).toBe(200);
    });

    it('logout without a session is a harmless 204', async () => {
      const res = await send(url, 'POST', '/auth/logout', {
        body: {},
        headers: { Cookie: 'vigie_session=garbage' },
      });
      expect(res.status).toBe(204);
    });

    it('a session ends at its expiry', async () => {
      const pair = await signIn(url, 'Marie', PASSWORD);
      const hash = sessionHash(pair);
      const [row] = query<{ expires_at: string; created_at: string }>(
        server,
        'SELECT created_at, expires_at FROM sessions WHERE id_hash = ?',
        hash,
      );
      expect(Date.parse(row.expires_at) - Date.parse(row.created_at)).toBe(12 * 3600_000);

      // A minute before its end it still works...
      writeStore(
        server,
        'UPDATE sessions SET expires_at = ? WHERE id_hash = ?',
        new Date(Date.now() + 60_000).toISOString(),
        hash,
      );
      expect((await send(url, 'GET', '/alerts', { headers: { Cookie: pair } })).status).toBe(200);
      // ...and once past it, it does not.
      writeStore(
        server,
        'UPDATE sessions SET expires_at = ? WHERE id_hash = ?',
        new Date(Date.now() - 1000).toISOString(),
        hash,
      );
      expectError(await send(url, 'GET', '/alerts', { headers: { Cookie: pair } }), 401);
      expectError(await send(url, 'GET', '/auth/session', { headers: { Cookie: pair } }), 401);
      const ack = await send(url, 'POST', `/alerts/${target.id}/acknowledge`, {
        body: {},
        headers: { Cookie: pair },
      });
      expectError(ack, 401);
      expect(query(server, 'SELECT status FROM alerts WHERE id = ?', target.id)).toEqual([
        { status: 'open' },
      ]);
    });

    it('removing an operator ends their sessions at once', async () => {
      await provisionOperator(server, 'Temp', PASSWORD);
      const pair = await signIn(url, 'Temp', PASSWORD);
      expect((await send(url, 'GET', '/alerts', { headers: { Cookie: pair } })).status).toBe(200);

      expect(await server.app.get(OperatorAuthService).remove('temp')).toBe(true);
      expectError(await send(url, 'GET', '/alerts', { headers: { Cookie: pair } }), 401);
      expect(query(server, 'SELECT 1 FROM sessions WHERE id_hash = ?', sessionHash(pair))).toEqual([]);
      // And the name no longer signs in.
      const login = await send(url, 'POST', '/auth/login', {
        body: { name: 'Temp', password: PASSWORD },
        headers: { 'X-Forwarded-For': freshAddress() },
      });
      expectError(login, 401);
    });

    it('answers a wrong password and an unknown name alike (401, same body, no cookie)', async () => {
      const wrongPassword = await send(url, 'POST', '/auth/login', {
        body: { name: 'Marie', password: 'not the password' },
        headers: { 'X-Forwarded-For': freshAddress() },
      });
      const unknownName = await send(url, 'POST', '/auth/login', {
        body: { name: 'Nobody', password: 'not the password' },
        headers: { 'X-Forwarded-For': freshAddress() },
      });
      expectError(wrongPassword, 401);
      expect(unknownName.status).toBe(wrongPassword.status);
      expect(unknownName.text).toBe(wrongPassword.text);
      expect(setCookies(wrongPassword)).toEqual([]);
      expect(setCookies(unknownName)).toEqual([]);
      expect(unknownName.headers['www-authenticate']).toBe(wrongPassword.headers['www-authenticate']);
    });

    it('a name signs in however it is capitalised; the password is exact', async () => {
      await signIn(url, '  MARIE ', PASSWORD);
      const wrongCase = await send(url, 'POST', '/auth/login', {
        body: { name: 'Marie', password: PASSWORD.toUpperCase() },
        headers: { 'X-Forwarded-For': freshAddress() },
      });
      expectError(wrongCase, 401);
    });
  });

  /* ---------------------------------------------------------------------------------------- */

  describe('GET /metrics with VIGIE_METRICS_TOKEN set', () => {
    it.each([
      ['no Authorization header', {}],
      ['a wrong token', bearer('metrics-token-0123456780')],
      ['the token under another scheme', { Authorization: `Basic ${METRICS_TOKEN}` }],
      ["a device's token", bearer('vgd_x')],
      ["an operator's session", { Cookie: 'vigie_session=x' }],
    ])('%s: 401 with WWW-Authenticate', async (_what, headers: Record<string, string>) => {
      const res = await send(url, 'GET', '/metrics', { headers });
      expectError(res, 401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(res.text).not.toContain('vigie_');
    });

    it('the token: 200 and the metrics', async () => {
      const res = await send(url, 'GET', '/metrics', { headers: bearer(METRICS_TOKEN) });
      expect(res.status).toBe(200);
      expect(res.text).toContain('vigie_alerts_received_total');
    });
  });

  /* ---------------------------------------------------------------------------------------- */

  describe('headers', () => {
    it.each(['/', '/health/live', '/alerts', '/auth/session'])(
      'GET %s carries the security headers',
      async (path) => {
        const res = await send(url, 'GET', path);
        const csp = String(res.headers['content-security-policy'] ?? '');
        expect(csp).toContain("default-src 'self'");
        expect(csp).toContain("script-src 'self'");
        expect(csp).toContain("object-src 'none'");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['x-frame-options']).toMatch(/^(DENY|SAMEORIGIN)$/);
        expect(res.headers['x-powered-by']).toBeUndefined();
      },
    );

    it('JSON answers carry no ETag (live state, never revalidated); the page keeps its own', async () => {
      const created = await send(url, 'POST', '/alerts', {
        body: alertBody({ deviceId: 'pi-a', message: 'no etag' }),
        headers: bearer(tokens['pi-a']),
      });
      expect(created.status).toBe(201);
      const answers = [
        created,
        await send(url, 'GET', '/alerts', { headers: { Cookie: marie } }),
        await send(url, 'GET', '/health/live'),
        await send(url, 'GET', '/alerts'),
      ];
      expect(answers.map((res) => [res.status, res.headers.etag])).toEqual([
        [201, undefined],
        [200, undefined],
        [200, undefined],
        [401, undefined],
      ]);
      const page = await send(url, 'GET', '/');
      expect(page.status).toBe(200);
      expect(page.headers.etag).toEqual(expect.any(String));
    });

    it('never opens CORS: no Access-Control-Allow-* for a cross-origin request, signed in or not', async () => {
      const origin = { Origin: 'http://evil.example' };
      const answers = [
        await send(url, 'GET', '/alerts', { headers: origin }),
        await send(url, 'GET', '/alerts', { headers: { ...origin, Cookie: marie } }),
        await send(url, 'POST', '/alerts', {
          body: alertBody({ deviceId: 'pi-a' }),
          headers: { ...origin, ...bearer(tokens['pi-a']) },
        }),
        await send(url, 'POST', '/auth/login', {
          body: { name: 'Marie', password: PASSWORD },
          headers: { ...origin, 'X-Forwarded-For': freshAddress() },
        }),
        await send(url, 'OPTIONS', '/alerts', {
          headers: {
            ...origin,
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'authorization, content-type',
          },
        }),
        await send(url, 'OPTIONS', `/alerts/${target.id}/acknowledge`, {
          headers: { ...origin, 'Access-Control-Request-Method': 'POST' },
        }),
      ];
      for (const res of answers) {
        const cors = Object.keys(res.headers).filter((name) => name.startsWith('access-control-'));
        expect(cors).toEqual([]);
      }
      // The preflight grants nothing: not a 2xx.
      expect(answers[4].status).toBeGreaterThanOrEqual(400);
    });
  });
});

/* ------------------------------------------------------------------------------------------ */

describe('security: a lab bench (VIGIE_AUTH=off)', () => {
  let server: TestServer;
  let url: string;

  beforeAll(async () => {
    server = await startTestServer({ VIGIE_AUTH: 'off' });
    url = server.url;
  });

  afterAll(() => stopAndRemove(server));

  it('devices post and beat without a token', async () => {
    const body = alertBody({ deviceId: 'pi-bench' });
    expect((await send(url, 'POST', '/alerts', { body })).status).toBe(201);
    expect((await send(url, 'PUT', '/devices/pi-bench/heartbeat', { body: {} })).status).toBe(204);
    expect(query(server, 'SELECT id FROM alerts WHERE id = ?', body.id)).toHaveLength(1);
  });

  it('operator routes are open; `by` comes from the body and is required', async () => {
    expect((await send(url, 'GET', '/alerts')).status).toBe(200);
    expect((await send(url, 'GET', '/devices')).status).toBe(200);
    expect((await head(url, '/events')).status).toBe(200);
    const created = await send(url, 'POST', '/alerts', { body: alertBody({ deviceId: 'pi-bench' }) });
    const id = (created.json as Alert).id;

    const noBy = await send(url, 'POST', `/alerts/${id}/acknowledge`, { body: { note: 'who?' } });
    expectError(noBy, 400);
    expect((noBy.json as { message: string | string[] }).message.toString()).toContain('by');
    expect(query(server, 'SELECT status FROM alerts WHERE id = ?', id)).toEqual([{ status: 'open' }]);
    expectError(await send(url, 'POST', `/alerts/${id}/resolve`, { body: {} }), 400);

    const acknowledged = await send(url, 'POST', `/alerts/${id}/acknowledge`, { body: { by: 'Bob' } });
    expect(acknowledged.json).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'Bob' });
    const resolved = await send(url, 'POST', `/alerts/${id}/resolve`, { body: { by: 'Eve' } });
    expect(resolved.json).toMatchObject({ status: 'resolved', resolvedBy: 'Eve' });
  });

  it('/metrics is open when VIGIE_METRICS_TOKEN is unset', async () => {
    const res = await send(url, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toContain('vigie_alerts_received_total');
  });
});

describe('security: /metrics token and VIGIE_AUTH=required are independent', () => {
  let open: TestServer | undefined;
  let passphrase: TestServer | undefined;
  const PASSPHRASE = 'correct horse battery staple! #42';

  afterAll(() => stopAndRemove(open, passphrase));

  it('with auth required and no metrics token, /metrics is open', async () => {
    open = await startTestServer({ VIGIE_AUTH: 'required' });
    expect((await send(open.url, 'GET', '/metrics')).status).toBe(200);
    expectError(await send(open.url, 'GET', '/alerts'), 401);
  });

  it('a metrics token with spaces and symbols works as Prometheus sends it (Bearer <token>)', async () => {
    passphrase = await startTestServer({ VIGIE_AUTH: 'required', VIGIE_METRICS_TOKEN: PASSPHRASE });
    const res = await send(passphrase.url, 'GET', '/metrics', { headers: bearer(PASSPHRASE) });
    expect(res.status).toBe(200);
    expectError(await send(passphrase.url, 'GET', '/metrics', { headers: bearer('correct') }), 401);
    expectError(
      await send(passphrase.url, 'GET', '/metrics', { headers: bearer(PASSPHRASE.slice(0, -1)) }),
      401,
    );
  });
});
