// Loaded first: the contract's DTO decorators, imported through the server, need it.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { stopAndRemove } from './support/lifecycle';
import {
  freshAddress,
  provisionDevice,
  provisionOperator,
  query,
  send,
  sendRawBytes,
  signIn,
} from './support/security';
import { TestServer, startTestServer } from './support/test-server';

// A fixed seed keeps CI reproducible; set VIGIE_FC_SEED to explore other inputs.
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(process.env.VIGIE_FC_SEED ?? 20261124) });

/**
 * Property tests of the three doors (devices, operators, metrics), judged by an oracle written from HTTP and
 * the contract: whatever a client puts in `Authorization`, `Cookie` or a sign-in body, the
 * answer is never a 5xx and never a pass unless the request carries the real credential.
 * Headers go out as raw bytes on a socket, so nothing on the client side cleans them up.
 */

const PASSWORD = 'correct horse battery';
/** Characters of our tokens (base64url, the `vg?_` prefix), to make near misses of them. */
const TOKEN_ALPHABET = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];
const HEADER_LIMIT_BYTES = 16 * 1024;

let server: TestServer;
let port: number;
let deviceToken: string;
let otherDeviceToken: string;
let sessionValue: string;

beforeAll(async () => {
  server = await startTestServer({ VIGIE_AUTH: 'required' });
  port = Number(new URL(server.url).port);
  deviceToken = await provisionDevice(server, 'pi-fuzz');
  otherDeviceToken = await provisionDevice(server, 'pi-other');
  await provisionOperator(server, 'Marie', PASSWORD);
  sessionValue = (await signIn(server.url, 'Marie', PASSWORD)).split('=')[1];
});

afterAll(() => stopAndRemove(server));

/* ------------------------------------------------------------------------------------------ */
/* Near misses of a secret                                                                     */
/* ------------------------------------------------------------------------------------------ */

/** `secret` changed a little: one character replaced, cut short, lengthened, spaced or re-cased. */
function nearMissArb(secret: () => string): fc.Arbitrary<string> {
  return fc.oneof(
    fc
      .record({ at: fc.nat(), char: fc.constantFrom(...TOKEN_ALPHABET, ' ', '.', '=', '+', '/') })
      .map(({ at, char }) => {
        const value = secret();
        const i = at % value.length;
        const replacement = value[i] === char ? (char === 'A' ? 'B' : 'A') : char;
        return value.slice(0, i) + replacement + value.slice(i + 1);
      }),
    fc.nat().map((cut) => secret().slice(0, cut % secret().length)),
    fc
      .string({ unit: fc.constantFrom(...TOKEN_ALPHABET), minLength: 1, maxLength: 8 })
      .map((tail) => secret() + tail),
    fc.nat().map((at) => {
      const value = secret();
      const i = 1 + (at % (value.length - 1));
      return `${value.slice(0, i)} ${value.slice(i)}`;
    }),
    fc.constant(null).map(() => secret().toUpperCase()),
    fc.constant(null).map(() => secret().toLowerCase()),
    fc.constant(null).map(() => secret().slice(4)),
    fc.constant(null).map(() => `${secret()}=`),
    fc.constant(null).map(() => `"${secret()}"`),
  );
}

/** Arbitrary bytes for a header value, CR and LF aside (they would end the header). */
const headerBytesArb = fc
  .uint8Array({ maxLength: 200 })
  .map((bytes) => Buffer.from(bytes.filter((byte) => byte !== 0x0d && byte !== 0x0a)));

function latin1(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/* ------------------------------------------------------------------------------------------ */
/* Authorization                                                                                */
/* ------------------------------------------------------------------------------------------ */

/** One Authorization header value, as bytes. */
const authorizationValueArb: fc.Arbitrary<Buffer> = fc.oneof(
  // Exact, in the forms HTTP allows: scheme in any case, one or more spaces, trailing space.
  fc
    .record({
      scheme: fc.constantFrom('Bearer', 'bearer', 'BEARER', 'bEaReR'),
      spaces: fc.integer({ min: 1, max: 3 }),
      trailing: fc.constantFrom('', ' ', '  '),
    })
    .map(({ scheme, spaces, trailing }) => latin1(`${scheme}${' '.repeat(spaces)}${deviceToken}${trailing}`)),
  { weight: 6, arbitrary: nearMissArb(() => deviceToken).map((token) => latin1(`Bearer ${token}`)) },
  fc.constant(null).map(() => latin1(`Bearer ${otherDeviceToken}`)),
  fc
    .constantFrom('Basic', 'Token', 'Digest', 'Bearer:', 'Bearerr', 'Beare', 'MAC', '')
    .map((scheme) => latin1(`${scheme} ${deviceToken}`)),
  fc.constant(null).map(() => latin1(deviceToken)),
  fc.constant(null).map(() => latin1(`Bearer\t${deviceToken}`)),
  fc.constant(null).map(() => latin1(`Bearer ${deviceToken}, Bearer ${deviceToken}`)),
  fc.constant(null).map(() => latin1(`Bearer ${deviceToken} ${deviceToken}`)),
  fc.constant(null).map(() => latin1(`Bearer ${otherDeviceToken}${deviceToken}`)),
  fc.constantFrom('Bearer', 'Bearer ', '', ' ', 'null', 'undefined', 'Bearer null').map(latin1),
  // Huge: up to past the server's header limit (a 431, still a refusal).
  fc
    .integer({ min: 300, max: HEADER_LIMIT_BYTES + 2000 })
    .map((length) => latin1(`Bearer ${deviceToken}${'A'.repeat(length)}`)),
  fc.integer({ min: 300, max: 12_000 }).map((length) => latin1(`Bearer ${'x'.repeat(length)}`)),
  // Not ASCII: UTF-8 text, latin1 bytes, control bytes.
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((text) => Buffer.from(`Bearer ${text}`, 'utf8')),
  fc.constant(null).map(() => Buffer.concat([latin1(`Bearer ${deviceToken}`), Buffer.from([0xe9])])),
  fc.constant(null).map(() => Buffer.concat([latin1(`Bearer ${deviceToken}`), Buffer.from([0x00])])),
  fc
    .constant(null)
    .map(() => Buffer.concat([latin1('Bearer '), Buffer.from([0xff, 0xfe]), latin1(deviceToken)])),
  headerBytesArb.map((bytes) => Buffer.concat([latin1('Bearer '), bytes])),
  headerBytesArb,
);

/** Zero, one or two Authorization headers. */
const authorizationHeadersArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant([] as Buffer[]) },
  { weight: 8, arbitrary: authorizationValueArb.map((value) => [value]) },
  { weight: 1, arbitrary: fc.tuple(authorizationValueArb, authorizationValueArb) },
);

/** HTTP's reading of a header value: optional whitespace around it is not part of it. */
function trimOws(value: string): string {
  return value.replace(/^[ \t]+|[ \t]+$/g, '');
}

/** Whether this value is, in HTTP terms, exactly `Bearer <token>` (scheme case-insensitive, 1*SP). */
function carriesExactly(value: Buffer, token: string): boolean {
  const text = trimOws(value.toString('latin1'));
  const match = /^bearer( +)(.*)$/i.exec(text);
  return match !== null && match[2] === token;
}

function buildRequest(method: string, path: string, headers: Array<[string, Buffer]>, body: string): Buffer {
  const payload = Buffer.from(body, 'utf8');
  return Buffer.concat([
    latin1(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`),
    latin1(`Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n`),
    ...headers.map(([name, value]) => Buffer.concat([latin1(`${name}: `), value, latin1('\r\n')])),
    latin1('\r\n'),
    payload,
  ]);
}

function show(headers: Buffer[]): string {
  return JSON.stringify(headers.map((value) => value.toString('latin1').slice(0, 120)));
}

/* ------------------------------------------------------------------------------------------ */
/* Bodies through the device guard                                                             */
/* ------------------------------------------------------------------------------------------ */

/**
 * The devices whose tokens send the hostile bodies: several, so that 400 requests in a few
 * seconds stay under the per-device rate limit (this property is about the guard, not that limit).
 */
const BODY_DEVICES = Array.from({ length: 8 }, (_, i) => `pi-body-${i}`);
const bodyDeviceTokens = new Map<string, string>();

/** What `deviceId` may be in a hostile body: the token's own device, another, or no string at all. */
function deviceIdArb(own: string): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(own) },
    fc.constantFrom('pi-fuzz', 'pi-nobody', own.toUpperCase(), `${own} `, ` ${own}`, `${own}\u0000`, ''),
    fc.constantFrom('__proto__', 'constructor', 'toString', 'x'.repeat(65), 'x'.repeat(10_000)),
    fc.constantFrom(null, 0, 1e308, -1, true, false),
    fc.constant([own]),
    fc.constant({ toString: own }),
    fc.string({ maxLength: 80 }),
  );
}

interface DeviceBody {
  /** The device whose token is sent. */
  own: string;
  text: string;
  deviceId: unknown;
  hasDeviceId: boolean;
}

/** A body as the device guard meets it: parsed JSON of any shape, or text that is not JSON. */
function deviceBodyArb(own: string): fc.Arbitrary<DeviceBody> {
  const other = (text: string): DeviceBody => ({ own, text, deviceId: undefined, hasDeviceId: false });
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .record(
          {
            deviceId: deviceIdArb(own),
            type: fc.constantFrom<unknown>('fire', 'test', 'panic', 'FIRE', 'nope', 7, null),
            message: fc.string({ maxLength: 40 }),
            extra: fc.jsonValue({ maxDepth: 3 }),
          },
          { requiredKeys: ['type'] },
        )
        .map((fields): DeviceBody => {
          const body: Record<string, unknown> = { id: randomUUID(), ...fields };
          return {
            own,
            text: JSON.stringify(body),
            deviceId: body.deviceId,
            hasDeviceId: 'deviceId' in body,
          };
        }),
    },
    fc.jsonValue({ maxDepth: 4 }).map((value) => other(JSON.stringify(value) ?? 'null')),
    fc
      .constantFrom(
        `{"deviceId":"${own}","type":"fire"`,
        `{"deviceId":"${own}","deviceId":"pi-fuzz","type":"fire"}`,
        `{"__proto__":{"deviceId":"${own}"},"type":"fire"}`,
        `{"constructor":{"prototype":{"deviceId":"${own}"}},"type":"fire"}`,
        `${'['.repeat(5000)}${']'.repeat(5000)}`,
        '',
        'not json',
      )
      .map(other),
  );
}

describe('fuzz: hostile bodies on POST /alerts with a valid device token (the guard reads the body first)', () => {
  beforeAll(async () => {
    for (const device of BODY_DEVICES) bodyDeviceTokens.set(device, await provisionDevice(server, device));
  });

  it("never a 5xx; a 2xx only for the token's own device; 403 for a body speaking for another", async () => {
    const created = new Set<string>();
    const bodies = fc.constantFrom(...BODY_DEVICES).chain(deviceBodyArb);
    await fc.assert(
      fc.asyncProperty(bodies, async ({ own, text, deviceId, hasDeviceId }) => {
        const token = bodyDeviceTokens.get(own)!;
        const answer = await sendRawBytes(
          port,
          buildRequest(
            'POST',
            '/alerts',
            // An address of its own per request: bodies speaking for another device count as
            // refused tokens, and 60 a minute from one address would turn them into 429s.
            [
              ['X-Forwarded-For', latin1(freshAddress())],
              ['Authorization', latin1(`Bearer ${token}`)],
            ],
            text,
          ),
        );
        const label = `${answer.status} for ${own}: ${JSON.stringify(text.slice(0, 200))}`;
        expect([label, [200, 201, 400, 403, 413]]).toEqual([label, expect.arrayContaining([answer.status])]);
        if (answer.status === 201 || answer.status === 200) {
          // Stored only when the body speaks, as a plain string, for the device its token proves.
          expect([label, deviceId]).toEqual([label, own]);
          const body = answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4);
          if (answer.status === 201) created.add((JSON.parse(body) as { id: string }).id);
        }
        if (hasDeviceId && typeof deviceId === 'string' && deviceId !== own) {
          // Another device's name with this token: refused as such, whatever else the body holds.
          expect([label, answer.status]).toEqual([label, 403]);
        }
      }),
      { numRuns: 400 },
    );
    const stored = query<{ id: string; device_id: string }>(
      server,
      `SELECT id, device_id FROM alerts WHERE device_id LIKE 'pi-body-%'`,
    );
    const storedIds = new Set(stored.map((row) => row.id));
    expect(storedIds).toEqual(created);
    expect(
      query(server, "SELECT id FROM alerts WHERE device_id NOT LIKE 'pi-body-%' AND device_id <> 'pi-fuzz'"),
    ).toEqual([]);
    // The oracle must have seen passes too, not only refusals.
    expect(created.size).toBeGreaterThan(5);
    expect((await send(server.url, 'GET', '/health/ready')).status).toBe(200);
  }, 120_000);
});

describe('fuzz: Authorization on the device routes', () => {
  const created = new Set<string>();

  it('POST /alerts: never a 5xx, and a 201 only with exactly the device token', async () => {
    await fc.assert(
      fc.asyncProperty(authorizationHeadersArb, async (values) => {
        const id = randomUUID();
        const body = JSON.stringify({ id, deviceId: 'pi-fuzz', type: 'test' });
        const answer = await sendRawBytes(
          port,
          buildRequest(
            'POST',
            '/alerts',
            // An address of its own per request: past 60 bad tokens a minute, one address gets
            // 429 before its token is read; this property is about parsing, not that limit.
            [
              ['X-Forwarded-For', latin1(freshAddress())],
              ...values.map((value): [string, Buffer] => ['Authorization', value]),
            ],
            body,
          ),
        );
        const label = `${answer.status} for ${show(values)}`;
        expect([label, answer.status < 500]).toEqual([label, true]);
        const valid = values.some((value) => carriesExactly(value, deviceToken));
        if (answer.status === 201) {
          expect([label, valid]).toEqual([label, true]);
          created.add(id);
        } else {
          expect([label, [400, 401, 403, 431]]).toEqual([label, expect.arrayContaining([answer.status])]);
        }
        if (answer.status === 403) {
          expect([label, values.some((value) => carriesExactly(value, otherDeviceToken))]).toEqual([
            label,
            true,
          ]);
        }
        // The one plain exact header must pass: the oracle would be empty if nothing ever did.
        if (values.length === 1 && valid && values[0].length < HEADER_LIMIT_BYTES) {
          expect([label, answer.status]).toEqual([label, 201]);
        }
      }),
      { numRuns: 500 },
    );
    const stored = query<{ id: string }>(server, "SELECT id FROM alerts WHERE device_id = 'pi-fuzz'");
    expect(new Set(stored.map((row) => row.id))).toEqual(created);
    expect(created.size).toBeGreaterThan(5);
  });

  it('PUT /devices/{id}/heartbeat: never a 5xx, and recorded only with exactly the device token', async () => {
    let passed = 0;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(authorizationHeadersArb, async (values) => {
        // A spool depth of its own marks what this request would record.
        const mark = 1000 + run++;
        const answer = await sendRawBytes(
          port,
          buildRequest(
            'PUT',
            '/devices/pi-fuzz/heartbeat',
            // An address of its own per request: past 60 bad tokens a minute, one address gets
            // 429 before its token is read; this property is about parsing, not that limit.
            [
              ['X-Forwarded-For', latin1(freshAddress())],
              ...values.map((value): [string, Buffer] => ['Authorization', value]),
            ],
            JSON.stringify({ spoolDepth: mark }),
          ),
        );
        const label = `${answer.status} for ${show(values)}`;
        expect([label, answer.status < 500]).toEqual([label, true]);
        const valid = values.some((value) => carriesExactly(value, deviceToken));
        const recorded = query(
          server,
          "SELECT 1 FROM devices WHERE id = 'pi-fuzz' AND spool_depth = ?",
          mark,
        );
        if (answer.status === 204) {
          expect([label, valid]).toEqual([label, true]);
          expect(recorded).toHaveLength(1);
          passed++;
        } else {
          expect([label, [400, 401, 403, 431]]).toEqual([label, expect.arrayContaining([answer.status])]);
          expect(recorded).toEqual([]);
        }
        if (values.length === 1 && valid && values[0].length < HEADER_LIMIT_BYTES) {
          expect([label, answer.status]).toEqual([label, 204]);
        }
      }),
      { numRuns: 300 },
    );
    expect(passed).toBeGreaterThan(5);
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Cookies                                                                                      */
/* ------------------------------------------------------------------------------------------ */

const otherPairArb = fc
  .tuple(
    fc.constantFrom('theme', 'lang', 'session', 'vigie', 'vigie_sessions', 'VIGIE_SESSION', '_ga', 'x'),
    fc.string({ unit: fc.constantFrom(...TOKEN_ALPHABET), maxLength: 20 }),
  )
  .map(([name, value]) => `${name}=${value}`);

const sessionPairArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null).map(() => `vigie_session=${sessionValue}`) },
  { weight: 6, arbitrary: nearMissArb(() => sessionValue).map((value) => `vigie_session=${value}`) },
  fc.constant(null).map(() => `vigie_session="${sessionValue}"`),
  fc.constant(null).map(() => `VIGIE_SESSION=${sessionValue}`),
  fc.constant(null).map(() => `vigie_session=${sessionValue}; vigie_session=${sessionValue}`),
  fc.constant(null).map(() => `vigie_session=garbage; vigie_session=${sessionValue}`),
  fc.constant(null).map(() => `xvigie_session=${sessionValue}`),
  fc.constant(null).map(() => `vigie_session=${deviceToken}`),
  fc.constant(null).map(() => `vigie_session=${sessionValue}${'A'.repeat(300)}`),
  fc.constantFrom('vigie_session', 'vigie_session=', '=', ';', ';;;', 'vigie_session==', '', ' '),
);

/** A Cookie header: the session pair (or a near miss) among others, or arbitrary bytes. */
const cookieHeaderArb: fc.Arbitrary<Buffer> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.array(otherPairArb, { maxLength: 3 }),
        sessionPairArb,
        fc.array(otherPairArb, { maxLength: 3 }),
        fc.constantFrom('; ', ';', ' ; '),
      )
      .map(([before, pair, after, separator]) => latin1([...before, pair, ...after].join(separator))),
  },
  fc.string({ unit: 'grapheme', maxLength: 60 }).map((text) => Buffer.from(text, 'utf8')),
  headerBytesArb,
  fc
    .integer({ min: 1000, max: HEADER_LIMIT_BYTES + 2000 })
    .map((length) => latin1(`vigie_session=${'a'.repeat(length)}`)),
);

/** The `name=value` pairs of a Cookie header as RFC 6265 reads them (whitespace around each trimmed). */
function cookiePairs(header: string): Array<[string, string]> {
  return header.split(';').flatMap((part) => {
    const equals = part.indexOf('=');
    return equals < 0
      ? []
      : [[part.slice(0, equals).trim(), part.slice(equals + 1).trim()] as [string, string]];
  });
}

describe('fuzz: Cookie on an operator route', () => {
  it('GET /alerts: never a 5xx, and a 200 only when a vigie_session pair holds the real session', async () => {
    let passed = 0;
    await fc.assert(
      fc.asyncProperty(cookieHeaderArb, async (cookie) => {
        const answer = await sendRawBytes(port, buildRequest('GET', '/alerts', [['Cookie', cookie]], ''));
        const text = cookie.toString('latin1');
        const label = `${answer.status} for ${JSON.stringify(text.slice(0, 160))}`;
        expect([label, answer.status < 500]).toEqual([label, true]);
        const pairs = cookiePairs(trimOws(text));
        const carries = pairs.some(([name, value]) => name === 'vigie_session' && value === sessionValue);
        if (answer.status === 200) {
          expect([label, carries]).toEqual([label, true]);
          passed++;
        } else {
          expect([label, [400, 401, 431]]).toEqual([label, expect.arrayContaining([answer.status])]);
        }
        // A well-formed header whose only session pair is the real one must pass.
        const sessions = pairs.filter(([name]) => name === 'vigie_session');
        if (sessions.length === 1 && sessions[0][1] === sessionValue && /^[\x20-\x7e]*$/.test(text)) {
          expect([label, answer.status]).toEqual([label, 200]);
        }
      }),
      { numRuns: 400 },
    );
    expect(passed).toBeGreaterThan(5);
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Sign-in bodies                                                                               */
/* ------------------------------------------------------------------------------------------ */

const LONE_SURROGATES = ['\ud800', '\udfff', 'Marie\ud800', '\udc00Marie', `${PASSWORD}\ud83d`];

/** Any JSON value, and some made to hurt: huge, lone surrogates, near misses. */
function fieldArb(real: string[], nearMiss: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...real) },
    { weight: 4, arbitrary: nearMiss },
    fc.string({ maxLength: 30 }),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.constantFrom(...LONE_SURROGATES),
    fc.integer({ min: 257, max: 20_000 }).map((length) => 'x'.repeat(length)),
    fc.constantFrom('', ' ', '\u0000', 'null'),
    fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)),
    fc.array(fc.constantFrom(...real), { maxLength: 2 }),
    fc.constant(null).map(() => ({ toString: real[0] })),
  );
}

const nameArb = fieldArb(
  ['Marie', 'marie', 'MARIE', ' Marie '],
  fc.constantFrom('Mari', 'Marie2', 'Marié', 'Mar ie', 'paul', 'admin', "Marie' OR '1'='1", 'Marie\u0000'),
);
const passwordArb = fieldArb(
  [PASSWORD],
  nearMissArb(() => PASSWORD).filter((value) => value !== PASSWORD),
);

/** The body's text, with keys written literally (`__proto__` and duplicates included). */
interface LoginBody {
  text: string;
}

/**
 * The name and password a body holds as JSON reads it (a duplicated key: the last one), when it
 * is an object with exactly these two keys; null otherwise.
 */
function credentialsOf(text: string): { name: unknown; password: unknown } | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const keys = Object.keys(value).sort();
  if (keys.join() !== 'name,password') return null;
  const { name, password } = value as { name: unknown; password: unknown };
  return { name, password };
}

const extraKeyArb = fc.constantFrom(
  ['__proto__', '{"name":"Marie","password":"x","admin":true}'],
  ['constructor', '{"prototype":{"admin":true}}'],
  ['prototype', '{}'],
  ['admin', 'true'],
  ['role', '"admin"'],
  ['toString', '"x"'],
  ['hasOwnProperty', '1'],
);

const loginBodyArb: fc.Arbitrary<LoginBody> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({ name: nameArb, password: passwordArb }, { requiredKeys: [] })
      .map((fields) => ({ text: JSON.stringify(fields) })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        name: nameArb,
        password: passwordArb,
        extra: fc.array(extraKeyArb, { minLength: 1, maxLength: 2 }),
      })
      .map(({ name, password, extra }) => ({
        text: `{${[
          ...extra.map(([key, value]) => `${JSON.stringify(key)}:${value}`),
          `"name":${JSON.stringify(name)}`,
          `"password":${JSON.stringify(password)}`,
        ].join(',')}}`,
      })),
  },
  // The real password in a duplicated key (JSON's reading: the last wins), nested, or under __proto__.
  fc
    .constantFrom(
      `{"name":"Marie","password":"wrong","password":${JSON.stringify(PASSWORD)}}`,
      `{"name":"Marie","password":{"value":${JSON.stringify(PASSWORD)}}}`,
      `{"name":{"$ne":null},"password":{"$ne":null}}`,
      `{"__proto__":{"name":"Marie","password":${JSON.stringify(PASSWORD)}}}`,
    )
    .map((text) => ({ text })),
  fc
    .constantFrom('[]', 'null', '"Marie"', '42', '{}', `["Marie",${JSON.stringify(PASSWORD)}]`)
    .map((text) => ({ text })),
);

function foldsToMarie(name: unknown): boolean {
  return typeof name === 'string' && name.normalize('NFC').trim().toLowerCase() === 'marie';
}

describe('fuzz: sign-in bodies', () => {
  it('POST /auth/login: never a 5xx, and a 204 only for the real name and password', async () => {
    let signedIn = 0;
    await fc.assert(
      fc.asyncProperty(loginBodyArb, async (body) => {
        // One address each: this property is about bodies; the rate limit has its own suite.
        const answer = await send(server.url, 'POST', '/auth/login', {
          rawBody: body.text,
          headers: { 'X-Forwarded-For': freshAddress() },
        });
        const label = `${answer.status} for ${body.text.slice(0, 200)}`;
        expect([label, answer.status < 500]).toEqual([label, true]);
        const credentials = credentialsOf(body.text);
        const right =
          credentials !== null && foldsToMarie(credentials.name) && credentials.password === PASSWORD;
        if (answer.status === 204) {
          expect([label, right]).toEqual([label, true]);
          expect(answer.headers['set-cookie']?.[0]).toMatch(/^vigie_session=[A-Za-z0-9_-]+;/);
          signedIn++;
        } else {
          expect([label, [400, 401, 413]]).toEqual([label, expect.arrayContaining([answer.status])]);
          expect(answer.headers['set-cookie']).toBeUndefined();
        }
        if (right && ['Marie', 'marie', 'MARIE', ' Marie '].includes(credentials.name as string)) {
          expect([label, answer.status]).toEqual([label, 204]);
        }
      }),
      { numRuns: 300 },
    );
    expect(signedIn).toBeGreaterThan(0);
    // Nothing but sessions came of it: no operator was made or changed.
    expect(query(server, 'SELECT name FROM operators')).toEqual([{ name: 'Marie' }]);
  });
});
