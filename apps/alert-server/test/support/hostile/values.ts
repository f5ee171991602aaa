import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { SEVERITIES, STATUSES, TYPES } from './contract';

/**
 * Hostile values: JSON texts written by hand (any key, any order, duplicates, numbers and nests
 * JSON.stringify cannot make), and the arbitraries that make request bodies and path segments
 * valid, one field away from valid, or hostile all over.
 */

/** Names an object inherits: a whitelist that looks them up on an instance can miss them. */
export const INHERITED_NAMES = [
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
];
export const POISON_KEYS = ['__proto__', 'constructor', 'prototype'];
/** A few fixed ids, reused on purpose: retries and conflicts. */
export const ID_POOL = Array.from({ length: 6 }, () => randomUUID());
/**
 * Odd but valid device ids, and enough plain ones that no device meets its rate limit
 * (120 requests in 10 s, counted before validation): limits are not this suite's subject.
 */
export const DEVICE_POOL = [
  'pi-accueil-01',
  'pi-2',
  'PI_3',
  'a',
  'Z.z',
  '..',
  '-',
  'x'.repeat(64),
  ...Array.from({ length: 40 }, (_, i) => `pi-pool-${i}`),
];

/** A JSON fragment written as is (numbers JSON.stringify cannot make, deep nests, ...). */
export class Raw {
  constructor(readonly text: string) {}
}
/** An object as a list of entries: any key, `__proto__` included, any order, duplicates. */
export class Obj {
  constructor(readonly entries: Array<[string, Json]>) {}
}
export type Json = null | boolean | number | string | Raw | Obj | Json[];
export const ABSENT = Symbol('absent');
export type Field = Json | typeof ABSENT;

export function write(value: Json): string {
  if (value instanceof Raw) return value.text;
  if (value instanceof Obj) {
    return `{${value.entries.map(([key, item]) => `${JSON.stringify(key)}:${write(item)}`).join(',')}}`;
  }
  if (Array.isArray(value)) return `[${value.map(write).join(',')}]`;
  return JSON.stringify(value);
}

function nest(depth: number, kind: 'array' | 'object' | 'mixed', leaf: string): string {
  const open: string[] = [];
  const close: string[] = [];
  for (let i = 0; i < depth; i++) {
    const asArray = kind === 'array' || (kind === 'mixed' && i % 2 === 0);
    open.push(asArray ? '[' : '{"a":');
    close.push(asArray ? ']' : '}');
  }
  return open.join('') + leaf + close.reverse().join('');
}

const deepNest: fc.Arbitrary<Json> = fc
  .record({
    depth: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 100, max: 3000 })),
    kind: fc.constantFrom('array' as const, 'object' as const, 'mixed' as const),
    leaf: fc.constantFrom('1', '"x"', 'null', '{}', '[]', '{"__proto__":{"polluted":true}}'),
  })
  .map(({ depth, kind, leaf }) => new Raw(nest(depth, kind, leaf)));

/** `__proto__` / `constructor` / `prototype` keys at any depth, carrying a would-be pollution. */
const poison: fc.Arbitrary<Json> = fc
  .record({
    key: fc.constantFrom(...POISON_KEYS),
    depth: fc.integer({ min: 0, max: 30 }),
    inArray: fc.boolean(),
  })
  .map(({ key, depth, inArray }) => {
    const payload = new Obj([
      ['polluted', true],
      ['isAdmin', true],
      ['prototype', new Obj([['polluted', true]])],
    ]);
    let value: Json = new Obj([[key, payload]]);
    for (let i = 0; i < depth; i++) value = inArray && i % 2 === 0 ? [value] : new Obj([['nested', value]]);
    return value;
  });

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '\udfff',
    'x\udc00\ud800y',
    '🔥',
    '\u202e\u2066',
    '\ufeff',
    'e\u0301',
    'a\ufe0f',
    '\r\n',
    '<script>alert(1)</script>',
    "'; DROP TABLE alerts; --",
    '%s%n%x',
    '${jndi:ldap://x/a}',
    '{{7*7}}',
    '__proto__',
    'constructor',
    '../../etc/passwd',
    'NaN',
    'null',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
);

const loneSurrogateText: fc.Arbitrary<string> = fc
  .tuple(
    fc.string({ maxLength: 8 }),
    fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff'),
    fc.string({ maxLength: 8 }),
  )
  .map((parts) => parts.join(''));

const wrongType: fc.Arbitrary<Json> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant([] as Json[]),
  fc.constant(new Obj([])),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 3 }).map((value) => new Raw(JSON.stringify(value) ?? 'null')),
  fc.constantFrom(
    new Raw('1e999'),
    new Raw('-0'),
    new Raw('1e-400'),
    new Raw('123456789012345678901234567890'),
  ),
  deepNest,
  poison,
);

/** Around a length limit, in units that count differently (code units, code points, graphemes). */
function textNear(max: number): fc.Arbitrary<string> {
  return fc
    .record({
      unit: fc.constantFrom('x', 'é', '🔥', 'a\ufe0f', 'e\u0301', '\u0000', '字', '👨‍👩‍👧'),
      n: fc.integer({ min: max - 2, max: max + 3 }),
    })
    .map(({ unit, n }) => unit.repeat(n));
}

function validText(max: number): fc.Arbitrary<Field> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(ABSENT) },
    fc.constant(null),
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: Math.min(max, 30) }) },
    fc.string({ unit: 'binary', maxLength: Math.min(max, 20) }),
    fc.constantFrom('a\u0000b', 'Accueil, rez-de-chaussée', '🔥 Fumée', 'x'.repeat(max)),
  );
}

function hostileText(max: number): fc.Arbitrary<Field> {
  return fc.oneof(
    textNear(max),
    hostileString,
    loneSurrogateText,
    wrongType,
    fc.integer({ min: 600, max: 18_000 }).map((n) => 'x'.repeat(n)),
  );
}

export const RFC_TIME_OFFSETS = fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 });

/** Formats an instant as wall time at `offsetMinutes`, with 0–9 fraction digits. */
export function formatZoned(ms: number, offsetMinutes: number, digits: number, extra: string): string | null {
  const wall = new Date(ms + offsetMinutes * 60_000);
  const year = wall.getUTCFullYear();
  if (year < 1 || year > 9999) return null;
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const fraction = digits === 0 ? '' : `.${(pad(wall.getUTCMilliseconds(), 3) + extra).slice(0, digits)}`;
  const zone =
    offsetMinutes === 0
      ? 'Z'
      : `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`;
  return (
    `${pad(year, 4)}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}` +
    `T${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}${fraction}${zone}`
  );
}

const validTimestamp: fc.Arbitrary<string> = fc
  .record({
    date: fc.oneof(
      fc.date({
        min: new Date('1970-01-01T00:00:00Z'),
        max: new Date('2100-01-01T00:00:00Z'),
        noInvalidDate: true,
      }),
      // A Pi without a clock may send any old date: every year from 0001 to 9999 is kept.
      fc.date({
        min: new Date('0001-01-02T00:00:00Z'),
        max: new Date('9999-12-30T00:00:00Z'),
        noInvalidDate: true,
      }),
    ),
    offset: fc.oneof(fc.constant(0), RFC_TIME_OFFSETS),
    digits: fc.constantFrom(0, 3, 3, 1, 6, 9),
    extra: fc.stringMatching(/^\d{6}$/),
  })
  .map(
    ({ date, offset, digits, extra }) =>
      formatZoned(date.getTime(), offset, digits, extra) ?? date.toISOString(),
  );

const badTimestamp: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(
    '2026-02-30T10:00:00Z',
    '2026-02-29T10:00:00Z',
    '2100-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-11-00T00:00:00Z',
    '2026-11-24T24:00:00Z',
    '2026-11-24T24:00:00.000+01:00',
    '2026-11-24T23:60:00Z',
    '2026-11-24T23:59:61Z',
    '2026-11-24T10:15:02',
    '2026-11-24T10:15:02.118',
    '2026-11-24',
    '2026-11-24T10:15:02+24:00',
    '2026-11-24T10:15:02+05:60',
    '0000-01-01T00:00:00Z',
    '10000-01-01T00:00:00Z',
    '+010000-01-01T00:00:00Z',
    '-000001-01-01T00:00:00Z',
    '2026-11-24t10:15:02z',
    '2026-11-24 10:15:02Z',
    '2026-W48-2T10:15:02Z',
    '2026-328T10:15:02Z',
    '2026-11-24T10:15:02,5Z',
    '2016-12-31T23:59:60Z',
    '2026-11-24T10:15Z',
    '2026-11-24T10:15:02+0100',
    '2026-11-24T10:15:02.1234567891Z',
    'Tue, 24 Nov 2026 10:15:02 GMT',
    '1764000000',
    ' 2026-11-24T10:15:02Z',
    '2026-11-24T10:15:02Z\n',
    '２０２６-11-24T10:15:02Z',
    '2026-11-24T10:15:02.Z',
    'NaN',
    'now',
    '',
  ),
  fc.integer().map((n) => n as Json),
  wrongType,
);

const anyId: fc.Arbitrary<Field> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(ABSENT) },
  { weight: 6, arbitrary: fc.uuid({ version: [4, 7] }) },
  fc.uuid({ version: 4 }).map((id) => id.toUpperCase()),
  { weight: 2, arbitrary: fc.constantFrom(...ID_POOL) },
  fc.constant(null),
);

const hostileId: fc.Arbitrary<Field> = fc.oneof(
  fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'),
  fc.uuid({ version: [9, 12, 15] }),
  fc.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-0[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/),
  fc.uuid({ version: 4 }).map((id) => `{${id}}`),
  fc.uuid({ version: 4 }).map((id) => `urn:uuid:${id}`),
  fc.uuid({ version: 4 }).map((id) => `${id} `),
  fc.uuid({ version: 4 }).map((id) => id.replaceAll('-', '')),
  fc.uuid({ version: 4 }).map((id) => `${id}0`),
  hostileString,
  wrongType,
);

export const validDeviceId: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...DEVICE_POOL) },
  fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
);
const hostileDeviceId: fc.Arbitrary<Field> = fc.oneof(
  fc.constantFrom('', 'x'.repeat(65), 'pi 1', 'pi/1', 'pi-é', 'pi\u0000', 'pi\n', 'PI-🔥', '%2e%2e', 'pi:1'),
  hostileString,
  wrongType,
  fc.constant(ABSENT),
);

const hostileType: fc.Arbitrary<Field> = fc.oneof(
  fc.constantFrom('FIRE', 'Fire', 'fire ', ' fire', 'flood', '', 'fire\u0000', 'ﬁre'),
  fc.constantFrom(...TYPES).map((type) => [type] as Json),
  hostileString,
  wrongType,
  fc.constant(ABSENT),
);
const hostileSeverity: fc.Arbitrary<Field> = fc.oneof(
  fc.constantFrom('CRITICAL', 'high', 'low', '', 'info '),
  hostileString,
  wrongType,
);

/** Unknown keys, with names a lenient whitelist might miss. */
const extraKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...INHERITED_NAMES, ...POISON_KEYS),
  fc.constantFrom(
    'Id',
    'DEVICEID',
    'device_id',
    ' type',
    'type ',
    '',
    'status',
    'receivedAt',
    'acknowledgedBy',
    'id\u0000',
  ),
  fc.string({ maxLength: 12 }),
);
const extraEntry: fc.Arbitrary<[string, Json]> = fc.tuple(
  extraKey,
  fc.oneof(
    hostileString as fc.Arbitrary<Json>,
    wrongType,
    fc.constant(null),
    fc.constantFrom('fire', 'open'),
  ),
);

function entriesOf(record: Record<string, Field>): Array<[string, Json]> {
  return Object.entries(record).filter((entry): entry is [string, Json] => entry[1] !== ABSENT);
}

/** A body that is valid, or one field (or one extra key) away from valid, or hostile all over. */
function bodyText(
  valid: Record<string, fc.Arbitrary<Field>>,
  hostile: Record<string, fc.Arbitrary<Field>>,
): fc.Arbitrary<string> {
  const fields = Object.keys(valid);
  const validRecord = fc.record(valid);
  const oneOff = fc
    .tuple(
      validRecord,
      fc.oneof(
        fc.constantFrom(...fields).chain((field) => hostile[field].map((value) => ({ field, value }))),
        extraEntry.map(([field, value]) => ({ field, value })),
      ),
    )
    .map(([record, { field, value }]) => {
      const entries = entriesOf(record).filter(([key]) => key !== field);
      if (value !== ABSENT) entries.push([field, value as Json]);
      return entries;
    });
  const hostileAll = fc
    .tuple(
      fc.record(Object.fromEntries(fields.map((f) => [f, fc.oneof(valid[f], hostile[f])]))),
      fc.array(extraEntry, { maxLength: 3 }),
    )
    .map(([record, extras]) => [...entriesOf(record), ...extras]);
  return fc
    .tuple(
      fc.oneof(
        { weight: 5, arbitrary: validRecord.map(entriesOf) },
        { weight: 4, arbitrary: oneOff },
        { weight: 2, arbitrary: hostileAll },
      ),
      fc.nat(),
    )
    .map(([entries, rotation]) => {
      const turn = entries.length ? rotation % entries.length : 0;
      return write(new Obj([...entries.slice(turn), ...entries.slice(0, turn)]));
    });
}

export const alertText = bodyText(
  {
    id: anyId,
    deviceId: validDeviceId,
    type: fc.constantFrom(...TYPES),
    severity: fc.oneof(fc.constant(ABSENT), fc.constant(null), fc.constantFrom(...SEVERITIES)),
    location: validText(120),
    message: validText(500),
    button: validText(32),
    triggeredAt: fc.oneof(fc.constant(ABSENT), validTimestamp),
  },
  {
    id: hostileId,
    deviceId: hostileDeviceId,
    type: hostileType,
    severity: hostileSeverity,
    location: hostileText(120),
    message: hostileText(500),
    button: hostileText(32),
    triggeredAt: badTimestamp,
  },
);

const countArb = (max: number) =>
  fc.oneof(fc.constant(ABSENT), fc.constant(null), fc.integer({ min: 0, max }));
export const heartbeatText = bodyText(
  {
    location: validText(120),
    agentVersion: validText(32),
    spoolDepth: countArb(1_000_000_000),
    uptimeSeconds: fc.oneof(fc.constant(ABSENT), fc.double({ min: 0, max: 1e12, noNaN: true }), fc.nat()),
  },
  {
    location: hostileText(120),
    agentVersion: hostileText(32),
    spoolDepth: fc.oneof(
      fc.constantFrom(-1, 1.5, 1e10, 2 ** 53, '5' as Json, new Raw('1e999'), new Raw('-0'), new Raw('5.0')),
      wrongType,
    ),
    uptimeSeconds: fc.oneof(
      fc.constantFrom(-1, -0.5, '12' as Json, new Raw('1e999'), new Raw('-1e999')),
      wrongType,
    ),
  },
);

export const handleText = bodyText(
  {
    by: fc.oneof(
      fc.constantFrom('Marie', 'Paul', 'Agent de sécurité n°2'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
    ),
    note: validText(500),
  },
  {
    by: fc.oneof(
      fc.constant(ABSENT),
      fc.constant(null),
      textNear(64),
      hostileString,
      loneSurrogateText,
      wrongType,
    ),
    note: hostileText(500),
  },
);

/** A path segment: decoded is what the server's router must see (null: not decodable). */
export interface Segment {
  raw: string;
  decoded: string | null;
}

export const undecodable: fc.Arbitrary<Segment> = fc
  .constantFrom('%', '%FF', '%E0%A4', '%zz', 'a%2', '%C0%AF', '%ED%A0%80', '%%', 'x%F0%9F')
  .map((raw) => ({ raw, decoded: null }));

export function encoded(text: fc.Arbitrary<string>): fc.Arbitrary<Segment> {
  return text
    .filter((value) => value !== '' && value.isWellFormed())
    .map((value) => ({ raw: encodeURIComponent(value), decoded: value }));
}

/* ------------------------------------------------------------------------------------------ */
/* What each property draws                                                                   */
/* ------------------------------------------------------------------------------------------ */

/** A retry of a stored alert, spelled differently: the same alert for the contract. */
export interface Retry {
  kind: 'retry';
  /** Which stored alert (modulo their number). */
  pick: number;
  upper: boolean;
  offset: number;
  explicitSeverity: boolean;
}

/** POST /alerts: mostly new alerts, sometimes a retry of a stored one. */
export const alertAction: fc.Arbitrary<{ kind: 'new'; text: string; chunked: boolean } | Retry> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc.record({ kind: fc.constant('new' as const), text: alertText, chunked: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('retry' as const),
      pick: fc.nat(),
      upper: fc.boolean(),
      offset: RFC_TIME_OFFSETS,
      explicitSeverity: fc.boolean(),
    }),
  },
);

/** Alert texts to frame every way: some valid only by their framing. */
export const framingText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: alertText },
  fc.constantFrom(...DEVICE_POOL).map((deviceId) => JSON.stringify({ deviceId, type: 'test' })),
);

export const heartbeatSegment: fc.Arbitrary<Segment> = fc.oneof(
  { weight: 6, arbitrary: encoded(validDeviceId) },
  encoded(hostileString),
  encoded(fc.constantFrom('x'.repeat(65), 'pi/1', 'pi 1', 'pi\u0000', '🔥', '%41')),
  undecodable,
);

/** A stored alert, picked by index (modulo their number), its id maybe in upper case. */
export interface StoredPick {
  index: number;
  upper: boolean;
}

const storedPick: fc.Arbitrary<StoredPick> = fc
  .tuple(fc.nat(), fc.boolean())
  .map(([index, upper]) => ({ index, upper }));

export const acknowledgeSegment: fc.Arbitrary<StoredPick | Segment> = fc.oneof(
  { weight: 6, arbitrary: storedPick },
  { weight: 2, arbitrary: encoded(fc.uuid({ version: [4, 7] })) },
  { weight: 2, arbitrary: encoded(hostileString) },
  undecodable,
);

export const lookupSegment: fc.Arbitrary<StoredPick | Segment> = fc.oneof(
  { weight: 3, arbitrary: storedPick },
  encoded(fc.uuid({ version: [4, 7] })),
  encoded(hostileString),
  encoded(fc.constantFrom('x'.repeat(4000), '..', '.', 'a/b', '\u0000', ' ')),
  undecodable,
);

/** One query parameter; a `cursorPage` value stands for a real cursor, fetched when sent. */
export interface QueryPart {
  key: string;
  value: string | { cursorPage: number };
  /** Sent unencoded when that is possible. */
  raw: boolean;
  /** An empty value sent as the bare key. */
  bare: boolean;
}

const queryKey = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('status', 'type', 'deviceId', 'limit', 'before') },
  fc.constantFrom(...POISON_KEYS, ...INHERITED_NAMES, 'status[]', 'limit[0]', 'STATUS', '', ' ', 'a.b'),
  fc.string({ maxLength: 8 }),
);
const queryValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...STATUSES, ...TYPES, ...DEVICE_POOL) },
  fc.constantFrom(
    '1',
    '2',
    '50',
    '500',
    '501',
    '0',
    '-1',
    '1.5',
    '1e2',
    '0x10',
    ' 5',
    '007',
    '',
    'Infinity',
    '5abc',
  ),
  { weight: 2, arbitrary: fc.nat().map((n) => ({ cursorPage: 1 + (n % 40) })) },
  fc.constantFrom('OPEN', 'open ', 'x'.repeat(300), 'MjAyNi0xMS0yNFQxMDoxNTowMi4xMThafGFiYw', '!!!'),
  hostileString,
);
export const queryPart: fc.Arbitrary<QueryPart> = fc.record({
  key: queryKey,
  value: queryValue,
  raw: fc.boolean(),
  bare: fc.boolean(),
});
