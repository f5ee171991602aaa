import { isDeepStrictEqual } from 'node:util';
import {
  ALERT_FIELDS,
  DEVICE_ID,
  HANDLE_FIELDS,
  HEARTBEAT_FIELDS,
  HEX_UUID,
  RFC_UUID,
  SEVERITIES,
  TYPES,
} from './contract';
import { Answer, Outgoing, failure } from './http';
import { ServerModel } from './model';

/**
 * The oracle, written from the contract (§3), not from the server's code:
 * - every answer is < 500, and every 4xx has the NestJS error shape;
 * - a request is accepted exactly when the oracle finds it valid (debatable inputs may go either
 *   way), and what is accepted is stored and returned exactly as sent.
 */

/** What every answer must be, whatever was sent. */
export function checkShape(out: Outgoing, answer: Answer): void {
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

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function own(value: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(value, key) ? value[key] : undefined;
}

/**
 * What a request deserves. A definite fault names the statuses it may get (a request with
 * several faults may get any of theirs); a debatable input (where the contract is silent or
 * reasonable servers differ) may be refused with the listed statuses or accepted; `unknown`
 * means only the universal rules apply (a 2xx is then judged from what was actually sent).
 */
export class Judgement {
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

export function checkStatus(out: Outgoing, answer: Answer, j: Judgement, outcome: number[]): void {
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

export function parseForJudging(text: string, j: Judgement): unknown {
  try {
    return JSON.parse(text);
  } catch {
    j.fault(400, 'the body is not JSON');
    return undefined;
  }
}

export interface AlertContent {
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

export function judgeAlertBody(value: unknown, j: Judgement): AlertContent | null {
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
export function alertOutcome(model: ServerModel, content: AlertContent): number[] {
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

export interface HeartbeatReport {
  fields: Record<string, unknown>;
}

export function judgeHeartbeatBody(value: unknown, j: Judgement): HeartbeatReport | null {
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

export interface HandleContent {
  by: string;
  note: string | null;
}

export function judgeHandleBody(value: unknown, j: Judgement): HandleContent | null {
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

/** Compares what the server holds with what it must; on a difference, names the request. */
export function same(out: Outgoing, what: string, actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) {
    throw failure(
      out,
      null,
      `${what} differs\n  expected ${JSON.stringify(expected)}\n  actual   ${JSON.stringify(actual)}`,
    );
  }
}
