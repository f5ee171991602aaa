import { randomUUID } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { TestServer, startTestServer } from './support/test-server';

// A fixed seed keeps CI reproducible; set VIGIE_FC_SEED to explore other inputs.
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(process.env.VIGIE_FC_SEED ?? 20261124) });

/**
 * Hostile and malformed requests against the real server (real HTTP, real SQLite file), judged
 * by an oracle written from the contract (§3), not from the server's code:
 * - every answer is < 500, and every 4xx has the NestJS error shape;
 * - a request is accepted exactly when the oracle finds it valid (debatable inputs may go either
 *   way), and what is accepted is stored and returned exactly as sent;
 * - nothing refused is stored: at the end the store holds exactly the alerts and devices the
 *   accepted requests made, the process is unpolluted and /health/ready still answers 200.
 * Raw node:http requests, so nothing normalises bodies, headers, framing or paths on the way.
 */

const MAX_BODY_BYTES = 16 * 1024;
const TYPES = ['fire', 'intrusion', 'medical', 'panic', 'test'] as const;
const SEVERITIES = ['critical', 'warning', 'info'] as const;
const STATUSES = ['open', 'acknowledged', 'resolved'] as const;
const DEVICE_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** RFC 9562 UUIDs (versions 1–8, RFC variant), plus the nil and max UUIDs. */
const RFC_UUID =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12})$/i;
/** The 8-4-4-4-12 hex shape without the version and variant rules: debatable. */
const HEX_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_UTC_MS = /^(?:\d{4}|[+-]\d{6})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ALERT_FIELDS = ['id', 'deviceId', 'type', 'severity', 'location', 'message', 'button', 'triggeredAt'];
const HEARTBEAT_FIELDS = ['location', 'agentVersion', 'spoolDepth', 'uptimeSeconds'];
const HANDLE_FIELDS = ['by', 'note'];
/** Names an object inherits: a whitelist that looks them up on an instance can miss them. */
const INHERITED_NAMES = [
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
const POISON_KEYS = ['__proto__', 'constructor', 'prototype'];
/** A few fixed ids, reused on purpose: retries and conflicts. */
const ID_POOL = Array.from({ length: 6 }, () => randomUUID());
/**
 * Odd but valid device ids, and enough plain ones that no device meets its rate limit
 * (120 requests in 10 s, counted before validation): limits are not this suite's subject.
 */
const DEVICE_POOL = [
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

type Alert = Record<string, unknown> & { id: string; deviceId: string; status: string; receivedAt: string };

/* ------------------------------------------------------------------------------------------ */
/* The server, and the model of what it must hold                                             */
/* ------------------------------------------------------------------------------------------ */

let server: TestServer;
let port = 0;
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const prototypeNamesBefore = Object.getOwnPropertyNames(Object.prototype).sort();
let requestCount = 0;

interface DeviceModel {
  /** undefined: not known to the model (an alert may have changed it; the contract is silent). */
  location?: string | null;
  agentVersion?: string | null;
  spoolDepth?: number | null;
}
const model = {
  alerts: new Map<string, Alert>(),
  /** Whether the stored triggeredAt came from the device (a retry must agree). */
  fromDevice: new Map<string, boolean>(),
  devices: new Map<string, DeviceModel>(),
};

function sortedModelAlerts(): Alert[] {
  return [...model.alerts.values()].sort((a, b) =>
    a.receivedAt !== b.receivedAt ? (a.receivedAt < b.receivedAt ? 1 : -1) : a.id < b.id ? 1 : -1,
  );
}

/* ------------------------------------------------------------------------------------------ */
/* HTTP                                                                                        */
/* ------------------------------------------------------------------------------------------ */

interface Outgoing {
  method: string;
  path: string;
  headers: http.OutgoingHttpHeaders;
  body?: Buffer;
  chunked?: boolean;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: unknown;
}

function send(out: Outgoing): Promise<Answer> {
  requestCount++;
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: out.method, path: out.path, headers: out.headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parseOrUndefined(text) });
        });
      },
    );
    req.on('error', (error) => reject(new Error(`no answer (${error.message}) to ${show(out)}`)));
    req.setTimeout(15_000, () => req.destroy(new Error('timed out')));
    const body = out.body;
    if (body === undefined) {
      req.end();
    } else if (out.chunked) {
      req.setHeader('transfer-encoding', 'chunked');
      const third = Math.ceil(body.length / 3);
      if (third > 0) {
        req.write(body.subarray(0, third));
        req.write(body.subarray(third, 2 * third));
      }
      req.end(body.subarray(2 * third));
    } else {
      req.setHeader('content-length', body.length);
      req.end(body);
    }
  });
}

function get(path: string): Promise<Answer> {
  return send({ method: 'GET', path, headers: {} });
}

function jsonRequest(method: string, path: string, body: unknown): Outgoing {
  return {
    method,
    path,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(body), 'utf8'),
  };
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function show(out: Outgoing): string {
  const type = out.headers['content-type'];
  const extra = Object.entries(out.headers)
    .filter(([name]) => name !== 'content-type')
    .map(([name, value]) => ` ${name}: ${String(value)}`)
    .join('');
  const body = out.body
    ? ` ${out.chunked ? 'chunked ' : ''}${out.body.length} bytes: ${JSON.stringify(out.body.toString('utf8').slice(0, 500))}`
    : '';
  return `${out.method} ${out.path.slice(0, 300)} [${type === undefined ? 'no content-type' : String(type)}]${extra}${body}`;
}

class Failure extends Error {}

function failure(out: Outgoing, answer: Answer | null, problem: string): Failure {
  const got = answer ? `\n  got ${answer.status}: ${answer.text.slice(0, 600)}` : '';
  return new Failure(`${problem}\n  request: ${show(out)}${got}`);
}

/** What every answer must be, whatever was sent. */
function checkShape(out: Outgoing, answer: Answer): void {
  if (answer.status >= 500) throw failure(out, answer, 'a client input got a server fault');
  if (answer.status < 400) return;
  const body = answer.json as Record<string, unknown> | undefined;
  const message = body?.message;
  const wellFormed =
    isObject(body) &&
    body.statusCode === answer.status &&
    typeof body.error === 'string' &&
    body.error !== '' &&
    ((typeof message === 'string' && message !== '') ||
      (Array.isArray(message) && message.length > 0 && message.every((m) => typeof m === 'string')));
  if (!wellFormed) throw failure(out, answer, 'a 4xx without the {statusCode, error, message} shape');
  if (!String(answer.headers['content-type']).startsWith('application/json')) {
    throw failure(out, answer, `a 4xx served as ${answer.headers['content-type']}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function own(value: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(value, key) ? value[key] : undefined;
}

/* ------------------------------------------------------------------------------------------ */
/* The oracle                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/**
 * What a request deserves. A definite fault names the statuses it may get (a request with
 * several faults may get any of theirs); a debatable input (where the contract is silent or
 * reasonable servers differ) may be refused with the listed statuses or accepted; `unknown`
 * means only the universal rules apply (a 2xx is then judged from what was actually sent).
 */
class Judgement {
  readonly faults = new Set<number>();
  readonly tolerated = new Set<number>();
  readonly reasons: string[] = [];
  unknown = false;

  fault(status: number, reason: string): void {
    this.faults.add(status);
    this.reasons.push(reason);
  }

  debatable(status: number, reason: string): void {
    this.tolerated.add(status);
    this.reasons.push(`(debatable) ${reason}`);
  }

  get invalid(): boolean {
    return this.faults.size > 0;
  }

  expected(outcome: number[]): number[] | null {
    if (this.unknown && !this.invalid) return null;
    return [...new Set([...(this.invalid ? this.faults : outcome), ...this.tolerated])].sort();
  }
}

function checkStatus(out: Outgoing, answer: Answer, j: Judgement, outcome: number[]): void {
  const expected = j.expected(outcome);
  if (expected && !expected.includes(answer.status)) {
    const why = j.reasons.length ? `: ${j.reasons.join('; ')}` : ' (valid)';
    throw failure(out, answer, `expected ${expected.join(' or ')}${why}`);
  }
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Text limits are in characters: within them by code points is valid; beyond them even by graphemes is not. */
function judgeText(j: Judgement, field: string, value: unknown, max: number, status = 400): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string') return j.fault(status, `${field} is not a string`);
  if (!value.isWellFormed()) j.debatable(status, `${field} holds a lone surrogate`);
  const codePoints = [...value].length;
  if (codePoints <= max) return;
  const perceived = [...graphemes.segment(value)].length;
  if (perceived > max) j.fault(status, `${field} has ${perceived} characters, max ${max}`);
  else j.debatable(status, `${field} has ${codePoints} code points in ${perceived} graphemes, max ${max}`);
}

const ZONED =
  /^(\d{4})-(\d{2})-(\d{2})([Tt ])(\d{2}):(\d{2})(?::(\d{2})(?:([.,])(\d+))?)?(?:([Zz])|([+-])(\d{2})(:?)(\d{2}))$/;

/** ISO 8601 date-time with a zone (contract §3), as an instant in ms; null when absent or invalid. */
function judgeTimestamp(j: Judgement, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    j.fault(400, 'triggeredAt is not a string');
    return null;
  }
  const m = ZONED.exec(value);
  if (!m) {
    // Week and ordinal dates are ISO 8601 too, though nobody sends them.
    if (/^\d{4}-(?:W\d{2}-\d|\d{3})T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})$/.test(value)) {
      j.debatable(400, 'triggeredAt is a week or ordinal date');
    } else j.fault(400, `triggeredAt ${JSON.stringify(value)} is not a zoned ISO 8601 date-time`);
    return null;
  }
  const [, y, mo, d, separator, h, mi, s, fractionMark, fraction, zulu, sign, oh, colon, om] = m;
  const [year, month, day, hour, minute] = [y, mo, d, h, mi].map(Number);
  const second = s === undefined ? 0 : Number(s);
  const [offsetHours, offsetMinutes] = zulu ? [0, 0] : [Number(oh), Number(om)];
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const daysIn = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  if (month < 1 || month > 12 || day < 1 || day > daysIn || hour > 23 || minute > 59 || second > 60) {
    j.fault(400, `triggeredAt ${JSON.stringify(value)} names no real instant`);
    return null;
  }
  if (offsetHours > 23 || offsetMinutes > 59) {
    j.fault(400, `triggeredAt ${JSON.stringify(value)} has an impossible offset`);
    return null;
  }
  if (separator !== 'T' || zulu === 'z')
    j.debatable(400, 'triggeredAt in lower case or with a space (RFC 3339 allows it)');
  if (s === undefined) j.debatable(400, 'triggeredAt without seconds');
  if (second === 60) j.debatable(400, 'triggeredAt on a leap second');
  if (fractionMark === ',') j.debatable(400, 'triggeredAt with a decimal comma');
  if (fraction && fraction.length > 9) j.debatable(400, 'triggeredAt with more than 9 fraction digits');
  if (colon === '' && !zulu) j.debatable(400, 'triggeredAt offset without a colon');
  if (year === 0) j.debatable(400, 'triggeredAt in year 0000 (1 BC)');
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, Math.min(second, 59), Number((fraction ?? '0').padEnd(3, '0').slice(0, 3)));
  return date.getTime() - (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
}

function parseForJudging(text: string, j: Judgement): unknown {
  try {
    return JSON.parse(text);
  } catch {
    j.fault(400, 'the body is not JSON');
    return undefined;
  }
}

interface AlertContent {
  id: string | null;
  deviceId: string;
  type: string;
  severity: string;
  location: string | null;
  message: string | null;
  button: string | null;
  /** The location field was sent (even as null). */
  locationSent: boolean;
  triggeredAtMs: number | null;
}

function judgeAlertBody(value: unknown, j: Judgement): AlertContent | null {
  if (!isObject(value)) {
    j.fault(400, 'the body is not a JSON object');
    return null;
  }
  for (const key of Object.keys(value)) {
    if (!ALERT_FIELDS.includes(key)) j.fault(400, `unknown field ${JSON.stringify(key)}`);
  }
  const id = own(value, 'id');
  if (id !== undefined && id !== null) {
    if (typeof id !== 'string') j.fault(400, 'id is not a string');
    else if (!RFC_UUID.test(id)) {
      if (HEX_UUID.test(id)) j.debatable(400, 'id has the UUID shape but no RFC 9562 version or variant');
      else j.fault(400, 'id is not a UUID');
    }
  }
  const deviceId = own(value, 'deviceId');
  if (typeof deviceId !== 'string' || !DEVICE_ID.test(deviceId)) j.fault(400, 'deviceId missing or invalid');
  const type = own(value, 'type');
  if (!(TYPES as readonly unknown[]).includes(type)) j.fault(400, 'type missing or invalid');
  const severity = own(value, 'severity');
  if (severity !== undefined && severity !== null && !(SEVERITIES as readonly unknown[]).includes(severity)) {
    j.fault(400, 'severity invalid');
  }
  judgeText(j, 'location', own(value, 'location'), 120);
  judgeText(j, 'message', own(value, 'message'), 500);
  judgeText(j, 'button', own(value, 'button'), 32);
  const triggeredAtMs = judgeTimestamp(j, own(value, 'triggeredAt'));
  if (j.invalid) return null;
  const text = (key: string) => (own(value, key) as string | null | undefined) ?? null;
  return {
    id: typeof id === 'string' ? id.toLowerCase() : null,
    deviceId: deviceId as string,
    type: type as string,
    severity: (severity as string | null | undefined) ?? (type === 'test' ? 'info' : 'critical'),
    location: text('location'),
    message: text('message'),
    button: text('button'),
    locationSent: Object.hasOwn(value, 'location'),
    triggeredAtMs,
  };
}

/** 201 for a new id; for a stored id, 200 when the content is the same (a retry), else 409. */
function alertOutcome(content: AlertContent): number[] {
  const stored = content.id === null ? undefined : model.alerts.get(content.id);
  if (!stored) return [201];
  const sameFields =
    stored.deviceId === content.deviceId &&
    stored.type === content.type &&
    stored.severity === content.severity &&
    stored.location === content.location &&
    stored.message === content.message &&
    stored.button === content.button;
  const storedFromDevice = model.fromDevice.get(stored.id);
  if (storedFromDevice === undefined || storedFromDevice !== (content.triggeredAtMs !== null)) {
    // An explicit triggeredAt against a server-made one: the same or not, the contract does not say.
    return sameFields ? [200, 409] : [409];
  }
  const sameTime =
    content.triggeredAtMs === null || Date.parse(stored.triggeredAt as string) === content.triggeredAtMs;
  return sameFields && sameTime ? [200] : [409];
}

interface HeartbeatReport {
  fields: Record<string, unknown>;
}

function judgeHeartbeatBody(value: unknown, j: Judgement): HeartbeatReport | null {
  if (!isObject(value)) {
    j.fault(400, 'the body is not a JSON object');
    return null;
  }
  for (const key of Object.keys(value)) {
    if (!HEARTBEAT_FIELDS.includes(key)) j.debatable(400, `unknown heartbeat field ${JSON.stringify(key)}`);
  }
  judgeText(j, 'location', own(value, 'location'), 120);
  judgeText(j, 'agentVersion', own(value, 'agentVersion'), 32);
  const spoolDepth = own(value, 'spoolDepth');
  if (spoolDepth !== undefined && spoolDepth !== null) {
    if (typeof spoolDepth !== 'number' || !Number.isInteger(spoolDepth) || spoolDepth < 0) {
      j.fault(400, 'spoolDepth is not a count');
    } else if (spoolDepth > 1e9) j.debatable(400, 'spoolDepth above a billion');
  }
  const uptime = own(value, 'uptimeSeconds');
  if (uptime !== undefined && uptime !== null) {
    if (typeof uptime !== 'number' || !Number.isFinite(uptime) || uptime < 0) {
      j.fault(400, 'uptimeSeconds is not a duration');
    }
  }
  return j.invalid ? null : { fields: value };
}

interface HandleContent {
  by: string;
  note: string | null;
}

function judgeHandleBody(value: unknown, j: Judgement): HandleContent | null {
  if (!isObject(value)) {
    j.fault(400, 'the body is not a JSON object');
    return null;
  }
  for (const key of Object.keys(value)) {
    if (!HANDLE_FIELDS.includes(key)) j.debatable(400, `unknown field ${JSON.stringify(key)}`);
  }
  // The contract names the fields, not their limits: beyond the shape, refusing is a choice.
  const by = own(value, 'by');
  if (typeof by !== 'string') j.fault(400, '`by` missing or not a string');
  else {
    if (by.trim() === '') j.debatable(400, '`by` is blank');
    if (!by.isWellFormed()) j.debatable(400, '`by` holds a lone surrogate');
    if ([...by].length > 64) j.debatable(400, '`by` longer than 64 characters');
  }
  const note = own(value, 'note');
  if (note !== undefined && note !== null) {
    if (typeof note !== 'string') j.fault(400, 'note is not a string');
    else {
      if (!note.isWellFormed()) j.debatable(400, 'note holds a lone surrogate');
      if ([...note].length > 500) j.debatable(400, 'note longer than 500 characters');
    }
  }
  if (j.invalid) return null;
  return { by: by as string, note: (note as string | null | undefined) ?? null };
}

/* ------------------------------------------------------------------------------------------ */
/* Framing: how a JSON text is put on the wire                                                 */
/* ------------------------------------------------------------------------------------------ */

const JSON_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=UTF-8',
  'Application/JSON',
  'application/json ; charset="utf-8"',
  'application/json; charset=utf-8; profile=vigie',
];
const SUFFIX_JSON_TYPES = [
  'application/merge-patch+json',
  'application/vnd.vigie.alert+json',
  'application/problem+json',
];
const NOT_JSON_TYPES = [
  null,
  'text/plain',
  'text/html; charset=utf-8',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----vigie',
  'application/octet-stream',
  'image/png',
  'application/jsonx',
  'application/json-seq',
  'application/javascript',
  '*/*',
  'application/*',
];
const ODD_TYPES = [
  'application/json; charset',
  'application/json; charset=',
  'application/json;;;',
  ';',
  'application/json, text/plain',
  'application / json',
  'json',
  'application/json; charset=utf-8; charset=latin1',
  'text/json',
  '',
];
const TEXT_CHARSETS = [
  'utf-8',
  'UTF-8',
  'utf8',
  '"utf-8"',
  'iso-8859-1',
  'latin1',
  'us-ascii',
  'windows-1252',
];
const UNKNOWN_CHARSETS = ['foo', 'utf-9', 'klingon', 'x-vigie'];
const BAD_UTF8 = [
  [0xff],
  [0xc3],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x80],
  [0xe2, 0x82],
  [0xf4, 0x90, 0x80, 0x80],
];
const NOT_OBJECTS = ['null', 'true', '0', '-1.5e3', '"text"', '[]', '[{}]', '""', '{}garbage', '{} {}'];
const ENCODINGS = ['gzip', 'deflate', 'br', 'x-gzip', 'compress', 'identity', 'gzip, identity'];

type Variant =
  | { kind: 'json'; contentType: string; chunked: boolean }
  | { kind: 'suffixJson'; contentType: string }
  | { kind: 'notJson'; contentType: string | null }
  | { kind: 'oddType'; contentType: string }
  | { kind: 'charset'; charset: string; chunked: boolean }
  | { kind: 'utf16'; label: 'utf-16le' | 'utf-16be' | 'utf-16' }
  | { kind: 'unknownCharset'; charset: string }
  | { kind: 'truncated'; at: number }
  | { kind: 'badUtf8'; bytes: number[]; inString: boolean; at: number }
  | { kind: 'rawControl'; byte: number; at: number }
  | { kind: 'bom' }
  | { kind: 'padded'; size: number; chunked: boolean }
  | { kind: 'randomBytes'; bytes: Uint8Array; contentType: string; chunked: boolean }
  | { kind: 'empty'; contentType: string | null }
  | { kind: 'whitespace'; text: string }
  | { kind: 'notObject'; text: string; wrap: boolean }
  | { kind: 'deepArrays'; depth: number }
  | { kind: 'encoding'; encoding: string };

const variantArb: fc.Arbitrary<Variant> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('json' as const),
      contentType: fc.constantFrom(...JSON_TYPES),
      chunked: fc.boolean(),
    }),
  },
  fc.record({ kind: fc.constant('suffixJson' as const), contentType: fc.constantFrom(...SUFFIX_JSON_TYPES) }),
  fc.record({ kind: fc.constant('notJson' as const), contentType: fc.constantFrom(...NOT_JSON_TYPES) }),
  fc.record({
    kind: fc.constant('oddType' as const),
    contentType: fc.oneof(
      fc.constantFrom(...ODD_TYPES),
      fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
    ),
  }),
  fc.record({
    kind: fc.constant('charset' as const),
    charset: fc.constantFrom(...TEXT_CHARSETS),
    chunked: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('utf16' as const),
    label: fc.constantFrom('utf-16le' as const, 'utf-16be' as const, 'utf-16' as const),
  }),
  fc.record({ kind: fc.constant('unknownCharset' as const), charset: fc.constantFrom(...UNKNOWN_CHARSETS) }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncated' as const), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('badUtf8' as const),
      bytes: fc.constantFrom(...BAD_UTF8),
      inString: fc.boolean(),
      at: fc.nat(),
    }),
  },
  fc.record({
    kind: fc.constant('rawControl' as const),
    byte: fc.integer({ min: 0, max: 0x1f }),
    at: fc.nat(),
  }),
  fc.record({ kind: fc.constant('bom' as const) }),
  fc.record({
    kind: fc.constant('padded' as const),
    size: fc.integer({ min: MAX_BODY_BYTES + 1, max: 3 * MAX_BODY_BYTES }),
    chunked: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('randomBytes' as const),
    bytes: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 1000, maxLength: 20_000 })),
    contentType: fc.constantFrom(...JSON_TYPES),
    chunked: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('empty' as const),
    contentType: fc.constantFrom('application/json', null, 'text/plain'),
  }),
  fc.record({
    kind: fc.constant('whitespace' as const),
    text: fc.constantFrom(' ', '\n', ' \t\r\n ', '\u00a0'),
  }),
  fc.record({
    kind: fc.constant('notObject' as const),
    text: fc.constantFrom(...NOT_OBJECTS),
    wrap: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('deepArrays' as const), depth: fc.integer({ min: 1, max: 9000 }) }),
  fc.record({ kind: fc.constant('encoding' as const), encoding: fc.constantFrom(...ENCODINGS) }),
);

interface Framed {
  headers: http.OutgoingHttpHeaders;
  body: Buffer;
  chunked: boolean;
  /** The JSON text the server must read, when the framing is unambiguous; else null. */
  text: string | null;
  /** How to read the bytes back to judge a 2xx answer. */
  charset: string;
}

/** Position just inside the first string value (after `":"`), or `fallback` when there is none. */
function insideFirstString(bytes: Buffer, fallback: number): number {
  const at = bytes.indexOf('":"');
  return at === -1 ? fallback : at + 3;
}

function insert(bytes: Buffer, at: number, extra: Buffer): Buffer {
  return Buffer.concat([bytes.subarray(0, at), extra, bytes.subarray(at)]);
}

function frame(text: string, v: Variant, j: Judgement): Framed {
  const utf8 = Buffer.from(text, 'utf8');
  const base = (contentType: string | null, body: Buffer, chunked = false): Framed => ({
    headers: contentType === null ? {} : { 'content-type': contentType },
    body,
    chunked,
    text: null,
    charset: 'utf-8',
  });
  switch (v.kind) {
    case 'json':
      return { ...base(v.contentType, utf8, v.chunked), text };
    case 'suffixJson':
      j.debatable(415, `${v.contentType} is JSON by suffix`);
      return { ...base(v.contentType, utf8), text };
    case 'notJson':
      j.fault(415, `content type ${v.contentType ?? 'absent'}`);
      return base(v.contentType, utf8);
    case 'oddType':
      j.unknown = true;
      j.debatable(415, `odd content type ${JSON.stringify(v.contentType)}`);
      j.debatable(400, `odd content type ${JSON.stringify(v.contentType)}`);
      return base(v.contentType, utf8);
    case 'charset': {
      const label = v.charset.replaceAll('"', '');
      const ascii = !/[^\x20-\x7e]/.test(text);
      const headers = { 'content-type': `application/json; charset=${v.charset}` };
      if (/^utf-?8$/i.test(label)) return { ...base(null, utf8, v.chunked), headers, text };
      // Single-byte charsets differ in 0x80-0x9F between decoders: only ASCII texts are sent so.
      if (!ascii) return { ...base('application/json', utf8, v.chunked), text };
      j.debatable(415, `charset ${label}: JSON is UTF-8`);
      return { ...base(null, Buffer.from(text, 'latin1'), v.chunked), headers, text, charset: label };
    }
    case 'utf16': {
      const le = Buffer.from(text, 'utf16le');
      const body =
        v.label === 'utf-16le'
          ? le
          : v.label === 'utf-16be'
            ? Buffer.from(le).swap16()
            : Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
      j.debatable(415, `charset ${v.label}: JSON is UTF-8`);
      j.debatable(400, `charset ${v.label}: JSON is UTF-8`);
      return { ...base(`application/json; charset=${v.label}`, body), text, charset: v.label };
    }
    case 'unknownCharset':
      j.fault(415, `unknown charset ${v.charset}`);
      j.debatable(400, `unknown charset ${v.charset}`);
      return base(`application/json; charset=${v.charset}`, utf8);
    case 'truncated': {
      if (utf8.length < 2) return { ...base('application/json', utf8), text };
      j.fault(400, 'truncated JSON');
      return base('application/json', utf8.subarray(0, 1 + (v.at % (utf8.length - 1))));
    }
    case 'badUtf8': {
      const at = v.inString ? insideFirstString(utf8, 1) : v.at % (utf8.length + 1);
      j.fault(400, `invalid UTF-8 bytes ${Buffer.from(v.bytes).toString('hex')} at byte ${at}`);
      return base('application/json', insert(utf8, at, Buffer.from(v.bytes)));
    }
    case 'rawControl': {
      j.fault(400, `raw control byte 0x${v.byte.toString(16)} inside a string`);
      const at = insideFirstString(utf8, -1);
      if (at === -1) return base('application/json', insert(utf8, 0, Buffer.from([0x22, v.byte, 0x22])));
      return base('application/json', insert(utf8, at, Buffer.from([v.byte])));
    }
    case 'bom':
      j.debatable(400, 'a byte order mark before the JSON text');
      return { ...base('application/json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8])), text };
    case 'padded': {
      j.fault(413, 'over 16 KiB (padded with whitespace)');
      const padding = Buffer.alloc(Math.max(0, v.size - utf8.length), 0x20);
      return base(
        'application/json',
        Buffer.concat([utf8.subarray(0, 1), padding, utf8.subarray(1)]),
        v.chunked,
      );
    }
    case 'randomBytes':
      if (v.bytes.length === 0) {
        // Zero random bytes is the empty body: judged as the 'empty' case is.
        j.debatable(400, 'empty body');
        j.debatable(415, 'empty body');
        return { ...base(v.contentType, Buffer.alloc(0)), text: '{}' };
      }
      if (v.bytes.length > MAX_BODY_BYTES) j.fault(413, 'over 16 KiB of random bytes');
      else {
        j.unknown = true;
        j.debatable(400, 'random bytes');
      }
      return base(v.contentType, Buffer.from(v.bytes), v.chunked);
    case 'empty':
      // No body at all: the server may read it as {} or refuse it.
      j.debatable(400, 'empty body');
      j.debatable(415, 'empty body');
      return { ...base(v.contentType, Buffer.alloc(0)), text: '{}' };
    case 'whitespace':
      j.fault(400, 'a body of whitespace');
      return base('application/json', Buffer.from(v.text, 'utf8'));
    case 'notObject':
      j.fault(400, 'JSON that is not an object');
      return base('application/json', Buffer.from(v.wrap ? `[${text}]` : v.text, 'utf8'));
    case 'deepArrays': {
      j.fault(400, `an object inside ${v.depth} arrays`);
      const body = Buffer.from('['.repeat(v.depth) + text + ']'.repeat(v.depth), 'utf8');
      if (body.length > MAX_BODY_BYTES) j.fault(413, 'over 16 KiB');
      return base('application/json', body);
    }
    case 'encoding': {
      const headers = { 'content-type': 'application/json', 'content-encoding': v.encoding };
      if (v.encoding === 'identity') {
        j.debatable(415, 'content-encoding identity');
        return { ...base(null, utf8), headers, text };
      }
      j.fault(415, `content-encoding ${v.encoding}`);
      j.debatable(400, `content-encoding ${v.encoding}`);
      const body = v.encoding.includes('gzip')
        ? gzipSync(utf8)
        : v.encoding === 'deflate'
          ? deflateSync(utf8)
          : v.encoding === 'br'
            ? brotliCompressSync(utf8)
            : utf8;
      return { ...base(null, body), headers };
    }
  }
}

/** After a 2xx: the text the server must have read, decoded strictly (no replacement characters). */
function acceptedText(out: Outgoing, framed: Framed, answer: Answer): string {
  if (framed.text !== null) return framed.text;
  try {
    return new TextDecoder(framed.charset, { fatal: true }).decode(framed.body);
  } catch (error) {
    throw failure(
      out,
      answer,
      `accepted a body that is not valid ${framed.charset} (${(error as Error).message})`,
    );
  }
}

function afterFraming(framed: Framed, j: Judgement): void {
  if (framed.body.length > MAX_BODY_BYTES) j.fault(413, 'over 16 KiB');
}

/* ------------------------------------------------------------------------------------------ */
/* JSON texts with hostile values                                                              */
/* ------------------------------------------------------------------------------------------ */

/** A JSON fragment written as is (numbers JSON.stringify cannot make, deep nests, ...). */
class Raw {
  constructor(readonly text: string) {}
}
/** An object as a list of entries: any key, `__proto__` included, any order, duplicates. */
class Obj {
  constructor(readonly entries: Array<[string, Json]>) {}
}
type Json = null | boolean | number | string | Raw | Obj | Json[];
const ABSENT = Symbol('absent');
type Field = Json | typeof ABSENT;

function write(value: Json): string {
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

const hostileString: fc.Arbitrary<string> = fc.oneof(
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

const RFC_TIME_OFFSETS = fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 });

/** Formats an instant as wall time at `offsetMinutes`, with 0–9 fraction digits. */
function formatZoned(ms: number, offsetMinutes: number, digits: number, extra: string): string | null {
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

const validDeviceId: fc.Arbitrary<string> = fc.oneof(
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

const alertText = bodyText(
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
const heartbeatText = bodyText(
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

const handleText = bodyText(
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
interface Segment {
  raw: string;
  decoded: string | null;
}

const undecodable: fc.Arbitrary<Segment> = fc
  .constantFrom('%', '%FF', '%E0%A4', '%zz', 'a%2', '%C0%AF', '%ED%A0%80', '%%', 'x%F0%9F')
  .map((raw) => ({ raw, decoded: null }));

function encoded(text: fc.Arbitrary<string>): fc.Arbitrary<Segment> {
  return text
    .filter((value) => value !== '' && value.isWellFormed())
    .map((value) => ({ raw: encodeURIComponent(value), decoded: value }));
}

/* ------------------------------------------------------------------------------------------ */
/* Running one request per endpoint                                                            */
/* ------------------------------------------------------------------------------------------ */

const UNKNOWN_DEVICE: DeviceModel = { location: undefined, agentVersion: undefined, spoolDepth: undefined };

function noteDevice(deviceId: string, change: DeviceModel = {}): void {
  const known = model.devices.get(deviceId);
  model.devices.set(
    deviceId,
    known ? { ...known, ...change } : { location: null, agentVersion: null, spoolDepth: null, ...change },
  );
}

function same(out: Outgoing, what: string, actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) {
    throw failure(
      out,
      null,
      `${what} differs\n  expected ${JSON.stringify(expected)}\n  actual   ${JSON.stringify(actual)}`,
    );
  }
}

function pick(value: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, value[key]]));
}

/**
 * After a 2xx, the model first records what the server now holds (so that the checks of later
 * requests and the final inventory stay exact even when this answer is wrong), then judges it.
 */
function judgeAccepted<T>(
  out: Outgoing,
  answer: Answer,
  framed: Framed,
  judged: T | null,
  judge: (value: unknown, j: Judgement) => T | null,
): T {
  if (judged) return judged;
  const again = new Judgement();
  const accepted = judge(parseForJudging(acceptedText(out, framed, answer), again), again);
  if (!accepted) throw failure(out, answer, `accepted an invalid request: ${again.reasons.join('; ')}`);
  return accepted;
}

async function runAlert(text: string, variant: Variant, path = '/alerts'): Promise<void> {
  const j = new Judgement();
  const framed = frame(text, variant, j);
  afterFraming(framed, j);
  const content = framed.text === null ? null : judgeAlertBody(parseForJudging(framed.text, j), j);
  const outcome = content ? alertOutcome(content) : [];
  const out: Outgoing = {
    method: 'POST',
    path,
    headers: framed.headers,
    body: framed.body,
    chunked: framed.chunked,
  };
  const sentAt = Date.now();
  const answer = await send(out);
  checkShape(out, answer);
  if (answer.status < 300) {
    const alert = answer.json as Alert;
    if (!isObject(alert) || typeof alert.id !== 'string')
      throw failure(out, answer, 'a 2xx without an alert');
    const previous = model.alerts.get(alert.id);
    model.alerts.set(alert.id, alert);
    noteDevice(
      alert.deviceId,
      answer.status === 201 && content?.locationSent !== false ? { location: undefined } : {},
    );
    const accepted = judgeAccepted(out, answer, framed, content, judgeAlertBody);
    if (answer.status === 201) model.fromDevice.set(alert.id, accepted.triggeredAtMs !== null);
    checkAcceptedAlert(out, answer, accepted, previous, sentAt);
  }
  checkStatus(out, answer, j, outcome);
}

/** A 201 holds exactly what was sent (plus the server's defaults); a 200 is the stored alert, unchanged. */
function checkAcceptedAlert(
  out: Outgoing,
  answer: Answer,
  content: AlertContent,
  previous: Alert | undefined,
  sentAt: number,
): void {
  const alert = answer.json as Alert;
  if (answer.status === 200) {
    if (!previous) throw failure(out, answer, '200 (a retry) for an alert never stored');
    return same(out, 'the alert answered to a retry', alert, previous);
  }
  if (answer.status !== 201) throw failure(out, answer, `unexpected success status ${answer.status}`);
  if (previous) throw failure(out, answer, `201 for an id already stored: ${JSON.stringify(previous)}`);
  if (content.id === null && !RFC_UUID.test(alert.id))
    throw failure(out, answer, 'the server made a non-UUID id');
  const receivedMs = Date.parse(alert.receivedAt);
  if (!ISO_UTC_MS.test(alert.receivedAt) || receivedMs < sentAt - 1000 || receivedMs > Date.now() + 1000) {
    throw failure(out, answer, 'receivedAt is not the time received');
  }
  same(
    out,
    'the created alert',
    { ...alert, receivedAt: undefined, acknowledgementNote: undefined },
    {
      id: content.id ?? alert.id,
      deviceId: content.deviceId,
      type: content.type,
      severity: content.severity,
      location: content.location,
      message: content.message,
      button: content.button,
      triggeredAt:
        content.triggeredAtMs === null ? alert.receivedAt : new Date(content.triggeredAtMs).toISOString(),
      receivedAt: undefined,
      status: 'open',
      acknowledgedAt: null,
      acknowledgedBy: null,
      acknowledgementNote: undefined,
      resolvedAt: null,
      resolvedBy: null,
      resolutionNote: null,
    },
  );
  // That the store holds exactly this alert is checked for all alerts at once, at the end.
  same(out, 'the Location header', answer.headers.location, `/alerts/${alert.id}`);
}

async function runHeartbeat(segment: Segment, text: string, variant: Variant): Promise<void> {
  const j = new Judgement();
  if (segment.decoded === null) j.fault(400, 'device id in the path cannot be decoded');
  else if (!DEVICE_ID.test(segment.decoded)) j.fault(400, 'device id in the path is invalid');
  const framed = frame(text, variant, j);
  afterFraming(framed, j);
  const report = framed.text === null ? null : judgeHeartbeatBody(parseForJudging(framed.text, j), j);
  const out: Outgoing = {
    method: 'PUT',
    path: `/devices/${segment.raw}/heartbeat`,
    headers: framed.headers,
    body: framed.body,
    chunked: framed.chunked,
  };
  const answer = await send(out);
  checkShape(out, answer);
  if (answer.status < 300) {
    const deviceId = segment.decoded ?? segment.raw;
    const known = model.devices.get(deviceId) ?? { location: null, agentVersion: null, spoolDepth: null };
    noteDevice(deviceId, UNKNOWN_DEVICE);
    if (!DEVICE_ID.test(deviceId)) throw failure(out, answer, 'accepted an invalid device id');
    const accepted = judgeAccepted(out, answer, framed, report, judgeHeartbeatBody);
    const now: DeviceModel = { ...known };
    for (const key of ['location', 'agentVersion', 'spoolDepth'] as const) {
      // -0 reads back as 0; a field left out keeps its value.
      const value = accepted.fields[key] as string | number | null | undefined;
      if (Object.hasOwn(accepted.fields, key))
        (now as Record<string, unknown>)[key] = value === 0 ? 0 : value;
    }
    model.devices.set(deviceId, now);
    same(out, 'the heartbeat status', answer.status, 204);
    const devices = (await get('/devices')).json as Array<Record<string, unknown>>;
    const device = devices.find((d) => d.id === deviceId);
    if (!device) throw failure(out, answer, 'the device is not listed after its heartbeat');
    const expected = Object.fromEntries(Object.entries(now).filter(([, value]) => value !== undefined));
    same(
      out,
      'the device after its heartbeat',
      { ...pick(device, Object.keys(expected)), status: device.status },
      { ...expected, status: 'online' },
    );
  }
  checkStatus(out, answer, j, [204]);
}

async function runAcknowledge(segment: Segment, text: string, variant: Variant): Promise<void> {
  const j = new Judgement();
  const framed = frame(text, variant, j);
  afterFraming(framed, j);
  const content = framed.text === null ? null : judgeHandleBody(parseForJudging(framed.text, j), j);
  const before = segment.decoded === null ? undefined : model.alerts.get(segment.decoded.toLowerCase());
  if (segment.decoded === null) j.fault(400, 'alert id in the path cannot be decoded');
  else if (!before) j.debatable(404, 'no such alert');
  const outcome = !before ? [404] : before.status === 'resolved' ? [409] : [200];
  const out: Outgoing = {
    method: 'POST',
    path: `/alerts/${segment.raw}/acknowledge`,
    headers: framed.headers,
    body: framed.body,
    chunked: framed.chunked,
  };
  const sentAt = Date.now();
  const answer = await send(out);
  checkShape(out, answer);
  if (answer.status < 300) {
    const alert = answer.json as Alert;
    if (isObject(alert) && typeof alert.id === 'string') model.alerts.set(alert.id, alert);
    if (!before || !isObject(alert) || alert.id !== before.id) {
      throw failure(out, answer, 'acknowledged an alert that does not exist');
    }
    const accepted = judgeAccepted(out, answer, framed, content, judgeHandleBody);
    if (before.status === 'open') {
      const at = Date.parse(alert.acknowledgedAt as string);
      if (!ISO_UTC_MS.test(String(alert.acknowledgedAt)) || at < sentAt - 1000 || at > Date.now() + 1000) {
        throw failure(out, answer, 'acknowledgedAt is not the time of the acknowledgement');
      }
      same(out, 'the acknowledged alert', alert, {
        ...before,
        status: 'acknowledged',
        acknowledgedAt: alert.acknowledgedAt,
        acknowledgedBy: accepted.by,
        acknowledgementNote: accepted.note,
      });
    } else {
      same(out, 'an alert acknowledged again (the first acknowledgement stands)', alert, before);
    }
  }
  checkStatus(out, answer, j, outcome);
}

/* ------------------------------------------------------------------------------------------ */
/* The specs                                                                                   */
/* ------------------------------------------------------------------------------------------ */

beforeAll(async () => {
  server = await startTestServer();
  port = Number(new URL(server.url).port);
  // Alerts in every state, for acknowledgements, lists and lookups to work on.
  for (let n = 0; n < 30; n++) {
    const body = {
      id: randomUUID(),
      deviceId: DEVICE_POOL[n % DEVICE_POOL.length],
      type: TYPES[n % TYPES.length],
      ...(n % 3 === 0 ? { triggeredAt: new Date(Date.now() - n * 60_000).toISOString() } : {}),
      ...(n % 2 === 0 ? { location: `Salle ${n}` } : {}),
    };
    const out = jsonRequest('POST', '/alerts', body);
    const answer = await send(out);
    if (answer.status !== 201) throw failure(out, answer, 'seeding failed');
    model.alerts.set(body.id, answer.json as Alert);
    model.fromDevice.set(body.id, n % 3 === 0);
    noteDevice(body.deviceId, { location: undefined });
  }
  const ids = [...model.alerts.keys()];
  for (const [index, id] of ids.entries()) {
    const action = index % 5 === 1 ? 'acknowledge' : index % 5 === 2 ? 'resolve' : null;
    if (!action) continue;
    const answer = await send(jsonRequest('POST', `/alerts/${id}/${action}`, { by: 'Seed', note: action }));
    model.alerts.set(id, answer.json as Alert);
  }
}, 60_000);

afterAll(async () => {
  agent.destroy();
  await server?.close();
  server?.remove();
});

/**
 * Runs per property: each must run them all (about 2,000 requests; 30-40 s on a small machine
 * that is busy with other work, well under that on a quiet one). The time limit only turns a
 * server that hangs into a failure naming the property, before jest's own timeout: an
 * interrupted property fails, so none can pass after a handful of cases.
 */
const BUDGET = {
  alerts: { numRuns: 400, seconds: 100 },
  framing: { numRuns: 400, seconds: 100 },
  heartbeats: { numRuns: 300, seconds: 100 },
  acknowledge: { numRuns: 300, seconds: 100 },
  list: { numRuns: 300, seconds: 100 },
  lookup: { numRuns: 300, seconds: 100 },
};
const PROPERTY_TIMEOUT_MS = 120_000;
const budget = ({ numRuns, seconds }: { numRuns: number; seconds: number }) => ({
  numRuns,
  plugins: [fc.interruptAfterTimeLimit(seconds * 1000, { failOnInterrupt: true })],
});

describe('hostile input', () => {
  it(
    'POST /alerts: accepts exactly the valid bodies and stores them exactly',
    async () => {
      const retryArb = fc.record({
        kind: fc.constant('retry' as const),
        pick: fc.nat(),
        upper: fc.boolean(),
        offset: RFC_TIME_OFFSETS,
        explicitSeverity: fc.boolean(),
      });
      const action = fc.oneof(
        {
          weight: 9,
          arbitrary: fc.record({ kind: fc.constant('new' as const), text: alertText, chunked: fc.boolean() }),
        },
        { weight: 1, arbitrary: retryArb },
      );
      await fc.assert(
        fc.asyncProperty(action, async (a) => {
          if (a.kind === 'new') {
            return runAlert(a.text, { kind: 'json', contentType: 'application/json', chunked: a.chunked });
          }
          // A retry, spelled differently: the same alert for the contract.
          const alerts = sortedModelAlerts();
          const stored = alerts[a.pick % alerts.length];
          const fromDevice = model.fromDevice.get(stored.id);
          if (fromDevice === undefined) return;
          const ms = Date.parse(stored.triggeredAt as string);
          const entries: Array<[string, Json]> = [
            ['type', stored.type as string],
            ['deviceId', stored.deviceId],
            ['id', a.upper ? stored.id.toUpperCase() : stored.id],
          ];
          const defaultSeverity = stored.type === 'test' ? 'info' : 'critical';
          if (a.explicitSeverity || stored.severity !== defaultSeverity)
            entries.push(['severity', stored.severity as string]);
          for (const key of ['location', 'message', 'button']) {
            if (stored[key] !== null) entries.push([key, stored[key] as string]);
          }
          if (fromDevice)
            entries.push(['triggeredAt', formatZoned(ms, a.offset, 3, '') ?? (stored.triggeredAt as string)]);
          const out = jsonRequest('POST', '/alerts', null);
          out.body = Buffer.from(write(new Obj(entries)), 'utf8');
          const answer = await send(out);
          checkShape(out, answer);
          same(
            out,
            'a retry',
            { status: answer.status, body: answer.json },
            { status: 200, body: model.alerts.get(stored.id) },
          );
        }),
        budget(BUDGET.alerts),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'POST /alerts: hostile bytes, framing, content types and charsets',
    async () => {
      const validish = fc.oneof(
        { weight: 3, arbitrary: alertText },
        fc.constantFrom(...DEVICE_POOL).map((deviceId) => JSON.stringify({ deviceId, type: 'test' })),
      );
      await fc.assert(
        fc.asyncProperty(validish, variantArb, async (text, variant) => runAlert(text, variant)),
        budget(BUDGET.framing),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'PUT /devices/:id/heartbeat: hostile ids and bodies',
    async () => {
      const segment = fc.oneof(
        { weight: 6, arbitrary: encoded(validDeviceId) },
        encoded(hostileString),
        encoded(fc.constantFrom('x'.repeat(65), 'pi/1', 'pi 1', 'pi\u0000', '🔥', '%41')),
        undecodable,
      );
      const variant = fc.oneof(
        {
          weight: 3,
          arbitrary: fc.constant<Variant>({ kind: 'json', contentType: 'application/json', chunked: false }),
        },
        variantArb,
      );
      await fc.assert(
        fc.asyncProperty(segment, heartbeatText, variant, async (s, text, v) => runHeartbeat(s, text, v)),
        budget(BUDGET.heartbeats),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'POST /alerts/:id/acknowledge: hostile ids and bodies',
    async () => {
      const segment = fc.oneof(
        {
          weight: 6,
          arbitrary: fc.tuple(fc.nat(), fc.boolean()).map(([index, upper]) => ({ index, upper })),
        },
        { weight: 2, arbitrary: encoded(fc.uuid({ version: [4, 7] })) },
        { weight: 2, arbitrary: encoded(hostileString) },
        undecodable,
      );
      const variant = fc.oneof(
        {
          weight: 3,
          arbitrary: fc.constant<Variant>({ kind: 'json', contentType: 'application/json', chunked: false }),
        },
        variantArb,
      );
      await fc.assert(
        fc.asyncProperty(segment, handleText, variant, async (s, text, v) => {
          let target: Segment;
          if ('index' in s) {
            const alerts = sortedModelAlerts();
            const id = alerts[s.index % alerts.length].id;
            target = { raw: s.upper ? id.toUpperCase() : id, decoded: s.upper ? id.toUpperCase() : id };
          } else target = s;
          await runAcknowledge(target, text, v);
        }),
        budget(BUDGET.acknowledge),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'GET /alerts: hostile and repeated query parameters',
    async () => {
      const knownKey = fc.constantFrom('status', 'type', 'deviceId', 'limit', 'before');
      const key = fc.oneof(
        { weight: 8, arbitrary: knownKey },
        fc.constantFrom(...POISON_KEYS, ...INHERITED_NAMES, 'status[]', 'limit[0]', 'STATUS', '', ' ', 'a.b'),
        fc.string({ maxLength: 8 }),
      );
      const value = fc.oneof(
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
      const part = fc.record({ key, value, raw: fc.boolean(), bare: fc.boolean() });
      await fc.assert(
        fc.asyncProperty(fc.array(part, { maxLength: 6 }), fc.boolean(), async (parts, ampersands) => {
          const pieces: string[] = [];
          const cursors = new Map<string, number>();
          for (const p of parts) {
            let text: string;
            if (typeof p.value === 'object') {
              // A real cursor: the one after the first `cursorPage` alerts, newest first.
              const page = (await get(`/alerts?limit=${p.value.cursorPage}`)).json as {
                nextCursor: string | null;
              };
              if (!page.nextCursor) continue;
              text = page.nextCursor;
              cursors.set(text, p.value.cursorPage);
            } else text = p.value;
            const enc = (s: string) =>
              p.raw && /^[\x21-\x7e]*$/.test(s) && !/[#&=+]/.test(s)
                ? s
                : encodeURIComponent(s.toWellFormed());
            pieces.push(p.bare && text === '' ? enc(p.key) : `${enc(p.key)}=${enc(text)}`);
          }
          await runList(pieces.join(ampersands ? '&&' : '&'), cursors);
        }),
        budget(BUDGET.list),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'GET /alerts/:id: hostile ids',
    async () => {
      const segment = fc.oneof(
        {
          weight: 3,
          arbitrary: fc.tuple(fc.nat(), fc.boolean()).map(([index, upper]) => ({ index, upper })),
        },
        encoded(fc.uuid({ version: [4, 7] })),
        encoded(hostileString),
        encoded(fc.constantFrom('x'.repeat(4000), '..', '.', 'a/b', '\u0000', ' ')),
        undecodable,
      );
      await fc.assert(
        fc.asyncProperty(segment, async (s) => {
          let target: Segment;
          if ('index' in s) {
            const alerts = sortedModelAlerts();
            const id = alerts[s.index % alerts.length].id;
            target = { raw: s.upper ? id.toUpperCase() : id, decoded: s.upper ? id.toUpperCase() : id };
          } else target = s;
          const out: Outgoing = { method: 'GET', path: `/alerts/${target.raw}`, headers: {} };
          const answer = await send(out);
          checkShape(out, answer);
          const stored = target.decoded === null ? undefined : model.alerts.get(target.decoded.toLowerCase());
          if (target.decoded === '.' || target.decoded === '..') {
            // A dot segment: a router may resolve it to another path; any client answer will do.
            if (answer.status >= 500) throw failure(out, answer, 'dot segment');
            return;
          }
          const expected = target.decoded === null ? 400 : stored ? 200 : 404;
          same(out, 'the answer to GET /alerts/:id', answer.status, expected);
          if (stored) same(out, 'the alert', answer.json, stored);
        }),
        budget(BUDGET.lookup),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it('malformed HTTP on raw sockets never gets a 5xx', async () => {
    const crlf = '\r\n';
    const payloads: Buffer[] = [
      'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
      'POST /alerts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n',
      'POST /alerts HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST /alerts HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
      'POST /alerts HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}',
      'POST /alerts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999999999999\r\n\r\n{}',
      'GET /alerts HTTP/1.1\r\nHost: x\r\nX-Bad\u0000Header: 1\r\n\r\n',
      'GET /alerts HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n',
      'GET /alerts HTTP/1.1\r\nHost: x\r\n Folded: header\r\n\r\n',
      'GET /alerts\u00ff HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /alerts?x=\u00ff\u0001 HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /devices/\u00e9t\u00e9/heartbeat HTTP/1.1\r\nHost: x\r\n\r\n',
      'G\u00c9T /alerts HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /alerts HTTP/9.9\r\nHost: x\r\n\r\n',
      'GET /alerts\r\n\r\n',
      '\r\n\r\n\r\n',
      'GET  /alerts  HTTP/1.1\r\nHost: x\r\n\r\n',
      `GET /alerts?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET /alerts HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
      `GET /alerts HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-${i}: y`).join(crlf)}\r\n\r\n`,
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
      'CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: x\r\n\r\n',
      'POST /alerts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}',
      'POST /alerts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\n{}',
      'POST /alerts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n{}\r\n0\r\n\r\n',
      'POST /alerts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
      'POST /alerts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=\u0000\r\n{}\r\n0\r\n\r\n',
    ].map((text) => Buffer.from(text, 'latin1'));
    const random = fc
      .sample(fc.uint8Array({ minLength: 1, maxLength: 2000 }), 60)
      .map((bytes) => Buffer.from(bytes));
    const prefixed = fc
      .sample(fc.uint8Array({ maxLength: 500 }), 40)
      .map((bytes) =>
        Buffer.concat([
          Buffer.from('POST /alerts HTTP/1.1\r\nHost: x\r\n'),
          Buffer.from(bytes),
          Buffer.from('\r\n\r\n'),
        ]),
      );
    const all = [...payloads, ...random, ...prefixed];
    // What the server itself answered, whatever reached the client (a reset may drop the bytes
    // that came before it).
    const serverStatuses: number[] = [];
    const recordStatus = (_req: http.IncomingMessage, res: http.ServerResponse) =>
      res.on('finish', () => serverStatuses.push(res.statusCode));
    const httpServer = server.app.getHttpServer();
    httpServer.on('request', recordStatus);
    const exchanges = await Promise.all(all.map((payload) => rawExchange(payload))).finally(() =>
      httpServer.off('request', recordStatus),
    );
    const show = (index: number) => JSON.stringify(all[index].toString('latin1').slice(0, 200));
    const faults = exchanges.flatMap(({ text, ending }, index) => {
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((match) => Number(match[1]));
      const problems = [];
      // Every status line counts: a 5xx may follow a `100 Continue`.
      if (statuses.some((status) => status >= 500)) problems.push(`answered ${statuses.join(', ')}`);
      if (ending === 'hung') problems.push('neither answered nor closed the connection');
      return problems.map((problem) => `${show(index)} -> ${problem}: ${text.slice(0, 200)}`);
    });
    expect(faults).toEqual([]);
    expect(serverStatuses.filter((status) => status >= 500)).toEqual([]);
    expect(serverStatuses.length).toBeGreaterThan(0);
    expect((await get('/health/ready')).status).toBe(200);
  });

  describe('one example per bug the properties found', () => {
    it('refuses unknown fields named after Object.prototype members (contract §3: unknown fields are rejected)', async () => {
      const accepted: string[] = [];
      for (const name of INHERITED_NAMES) {
        const id = randomUUID();
        const out: Outgoing = {
          method: 'POST',
          path: '/alerts',
          headers: { 'content-type': 'application/json' },
          body: Buffer.from(`{"id":"${id}","deviceId":"pi-example-1","type":"test","${name}":"x"}`),
        };
        const answer = await send(out);
        checkShape(out, answer);
        if (answer.status < 300) {
          model.alerts.set(id, answer.json as Alert);
          noteDevice((answer.json as Alert).deviceId, { location: undefined });
          model.fromDevice.set(id, false);
          accepted.push(`${name} -> ${answer.status}`);
        }
      }
      expect(accepted).toEqual([]);
    });

    it('refuses a body that is not valid UTF-8 instead of storing replacement characters', async () => {
      const accepted: string[] = [];
      for (const bytes of BAD_UTF8) {
        const id = randomUUID();
        const body = Buffer.concat([
          Buffer.from(`{"id":"${id}","deviceId":"pi-example-2","type":"test","message":"avant `),
          Buffer.from(bytes),
          Buffer.from(' après"}'),
        ]);
        const out: Outgoing = {
          method: 'POST',
          path: '/alerts',
          headers: { 'content-type': 'application/json' },
          body,
        };
        const answer = await send(out);
        checkShape(out, answer);
        if (answer.status < 300) {
          model.alerts.set(id, answer.json as Alert);
          noteDevice((answer.json as Alert).deviceId, { location: undefined });
          model.fromDevice.set(id, false);
          accepted.push(
            `${Buffer.from(bytes).toString('hex')} -> ${answer.status}, message ${JSON.stringify((answer.json as Alert).message)}`,
          );
        }
      }
      expect(accepted).toEqual([]);
    });

    it('keeps an old triggeredAt in the years 0001-0099 (contract §3: never reject it for being in the past)', async () => {
      const refused: string[] = [];
      for (const triggeredAt of [
        '0001-01-01T00:00:00Z',
        '0050-06-15T12:00:00.000Z',
        '0099-12-31T23:59:59.999Z',
      ]) {
        const id = randomUUID();
        const out = jsonRequest('POST', '/alerts', {
          id,
          deviceId: 'pi-example-3',
          type: 'test',
          triggeredAt,
        });
        const answer = await send(out);
        checkShape(out, answer);
        if (answer.status < 300) {
          model.alerts.set(id, answer.json as Alert);
          noteDevice((answer.json as Alert).deviceId, { location: undefined });
          model.fromDevice.set(id, true);
          const kept = (answer.json as Alert).triggeredAt;
          if (Date.parse(kept as string) !== Date.parse(triggeredAt))
            refused.push(`${triggeredAt} stored as ${String(kept)}`);
        } else refused.push(`${triggeredAt} -> ${answer.status} ${answer.text}`);
      }
      expect(refused).toEqual([]);
    });
  });

  it('holds exactly what was accepted, is unpolluted and still ready', async () => {
    expect((await get('/health/ready')).status).toBe(200);
    expect((await get('/health/live')).status).toBe(200);

    const listed: Alert[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`/alerts?limit=500${cursor ? `&before=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      const body = page.json as { items: Alert[]; nextCursor: string | null };
      listed.push(...body.items);
      cursor = body.nextCursor;
    } while (cursor);
    const unexpected = listed.filter((alert) => !model.alerts.has(alert.id));
    expect(unexpected).toEqual([]);
    expect(listed.map((a) => a.id).sort()).toEqual([...model.alerts.keys()].sort());
    for (const alert of listed) expect(alert).toEqual(model.alerts.get(alert.id));

    const devices = (await get('/devices')).json as Array<Record<string, unknown> & { id: string }>;
    expect(devices.map((d) => d.id).sort()).toEqual([...model.devices.keys()].sort());
    for (const device of devices) {
      const known = Object.entries(model.devices.get(device.id) ?? {}).filter(
        ([, value]) => value !== undefined,
      );
      expect({
        id: device.id,
        ...pick(
          device,
          known.map(([key]) => key),
        ),
      }).toEqual({
        id: device.id,
        ...Object.fromEntries(known),
      });
    }

    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNamesBefore);
    const probe = {} as Record<string, unknown>;
    expect([probe.polluted, probe.isAdmin]).toEqual([undefined, undefined]);
    console.log(
      `hostile input: ${requestCount} requests, ${model.alerts.size} alerts and ${model.devices.size} devices stored`,
    );
  });
});

/* ------------------------------------------------------------------------------------------ */
/* GET /alerts                                                                                 */
/* ------------------------------------------------------------------------------------------ */

async function runList(query: string, cursors: Map<string, number>): Promise<void> {
  const out: Outgoing = { method: 'GET', path: `/alerts${query ? `?${query}` : ''}`, headers: {} };
  const j = new Judgement();
  const params = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(query)) params.set(key, [...(params.get(key) ?? []), value]);
  const filters: { status?: string; type?: string; deviceId?: string } = {};
  let limit = 50;
  /** How many alerts (newest first, unfiltered) the cursor skips; null: no cursor. */
  let skip: number | null = null;
  let opaque = false;
  for (const [key, values] of params) {
    const value = values[0];
    if (!['status', 'type', 'deviceId', 'limit', 'before'].includes(key)) {
      j.debatable(400, `unknown parameter ${JSON.stringify(key)}`);
    } else if (values.length > 1) {
      j.fault(400, `${key} repeated`);
    } else if (key === 'limit') {
      const n = Number(value);
      if (/^\d+$/.test(value) && n >= 1 && n <= 500) limit = n;
      else if (value.trim() !== '' && Number.isInteger(n) && n >= 1 && n <= 500) {
        j.debatable(400, `limit spelled ${JSON.stringify(value)}`);
        limit = n;
      } else j.fault(400, `limit ${JSON.stringify(value)}`);
    } else if (value === '') {
      j.debatable(400, `${key} empty`);
    } else if (key === 'status' || key === 'type') {
      const allowed: readonly string[] = key === 'status' ? STATUSES : TYPES;
      if (allowed.includes(value)) filters[key] = value;
      else j.fault(400, `${key} ${JSON.stringify(value)}`);
    } else if (key === 'deviceId') {
      if (DEVICE_ID.test(value)) filters.deviceId = value;
      else j.fault(400, `deviceId ${JSON.stringify(value)}`);
    } else if (cursors.has(value)) {
      skip = cursors.get(value)!;
    } else {
      j.debatable(400, 'a cursor the server never gave');
      opaque = true;
    }
  }
  const answer = await send(out);
  checkShape(out, answer);
  if (answer.status === 200) {
    const page = answer.json as { items: Alert[]; nextCursor: string | null };
    if (
      !isObject(page) ||
      !Array.isArray(page.items) ||
      !(page.nextCursor === null || typeof page.nextCursor === 'string')
    ) {
      throw failure(out, answer, 'not a page of alerts');
    }
    const matches = (alert: Alert) =>
      (!filters.status || alert.status === filters.status) &&
      (!filters.type || alert.type === filters.type) &&
      (!filters.deviceId || alert.deviceId === filters.deviceId);
    for (const [index, item] of page.items.entries()) {
      const stored = model.alerts.get(item.id);
      if (!stored) throw failure(out, answer, `lists an alert nobody stored: ${JSON.stringify(item)}`);
      same(out, 'a listed alert', item, stored);
      if (!matches(item))
        throw failure(out, answer, `lists an alert outside the filters: ${JSON.stringify(item)}`);
      const next = page.items[index + 1];
      if (
        next &&
        !(next.receivedAt < item.receivedAt || (next.receivedAt === item.receivedAt && next.id < item.id))
      ) {
        throw failure(out, answer, 'not newest first');
      }
    }
    if (page.items.length > limit) throw failure(out, answer, `more than limit=${limit} items`);
    if (!opaque) {
      const expected = sortedModelAlerts()
        .slice(skip ?? 0)
        .filter(matches);
      same(
        out,
        'the page',
        page.items.map((a) => a.id),
        expected.slice(0, limit).map((a) => a.id),
      );
      same(out, 'whether there is a next page', page.nextCursor !== null, expected.length > limit);
    }
  }
  checkStatus(out, answer, j, [200]);
}

interface RawExchange {
  /** Every byte the server sent, as latin1. */
  text: string;
  /** How the connection ended: the server closed it, reset it, or never did. */
  ending: 'closed' | 'reset' | 'hung';
}

/**
 * Sends raw bytes and reads everything the server sends back until it closes the connection.
 * After 1.5 s of silence the client says it has nothing more to send (a half-close), as a real
 * client giving up would; a server that still neither answers nor closes within 3 s is `hung`.
 */
function rawExchange(payload: Buffer): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let ending: RawExchange['ending'] = 'closed';
    const timers: NodeJS.Timeout[] = [];
    const done = () => {
      timers.forEach(clearTimeout);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), ending });
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') ending = 'reset';
      done();
    });
    socket.on('close', done);
    socket.on('connect', () => {
      socket.write(payload);
      timers.push(setTimeout(() => socket.end(), 1500));
      timers.push(
        setTimeout(() => {
          ending = 'hung';
          done();
        }, 4500),
      );
    });
  });
}
