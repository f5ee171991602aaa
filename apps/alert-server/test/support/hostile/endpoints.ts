import { randomUUID } from 'node:crypto';
import { type Alert, DEVICE_ID, ISO_UTC_MS, RFC_UUID, STATUSES, TYPES } from './contract';
import { Framed, Variant, acceptedText, afterFraming, frame } from './framing';
import { Answer, Outgoing, RawHttpClient, failure, jsonRequest } from './http';
import { DeviceModel, ServerModel, UNKNOWN_DEVICE, pick } from './model';
import {
  AlertContent,
  Judgement,
  alertOutcome,
  checkShape,
  checkStatus,
  isObject,
  judgeAlertBody,
  judgeHandleBody,
  judgeHeartbeatBody,
  parseForJudging,
  same,
} from './oracle';
import { DEVICE_POOL, Json, Obj, QueryPart, Retry, Segment, StoredPick, formatZoned, write } from './values';

/**
 * One request per endpoint, judged by the oracle, with the model kept up to date: each `run*`
 * sends what a property drew and throws a failure naming the request when the answer is wrong.
 */

/** The suite's state, made in its `beforeAll`: the client that talks to the server, and the model. */
export interface Hostile {
  readonly http: RawHttpClient;
  readonly model: ServerModel;
}

/** Alerts in every state, for acknowledgements, lists and lookups to work on. */
export async function seedAlertsInEveryState(h: Hostile): Promise<void> {
  for (let n = 0; n < 30; n++) {
    const body = {
      id: randomUUID(),
      deviceId: DEVICE_POOL[n % DEVICE_POOL.length],
      type: TYPES[n % TYPES.length],
      ...(n % 3 === 0 ? { triggeredAt: new Date(Date.now() - n * 60_000).toISOString() } : {}),
      ...(n % 2 === 0 ? { location: `Salle ${n}` } : {}),
    };
    const out = jsonRequest('POST', '/alerts', body);
    const answer = await h.http.send(out);
    if (answer.status !== 201) throw failure(out, answer, 'seeding failed');
    h.model.noteCreated(answer.json as Alert, n % 3 === 0);
  }
  const ids = [...h.model.alerts.keys()];
  for (const [index, id] of ids.entries()) {
    const action = index % 5 === 1 ? 'acknowledge' : index % 5 === 2 ? 'resolve' : null;
    if (!action) continue;
    const answer = await h.http.send(
      jsonRequest('POST', `/alerts/${id}/${action}`, { by: 'Seed', note: action }),
    );
    h.model.alerts.set(id, answer.json as Alert);
  }
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

export async function runAlert(h: Hostile, text: string, variant: Variant, path = '/alerts'): Promise<void> {
  const j = new Judgement();
  const framed = frame(text, variant, j);
  afterFraming(framed, j);
  const content = framed.text === null ? null : judgeAlertBody(parseForJudging(framed.text, j), j);
  const outcome = content ? alertOutcome(h.model, content) : [];
  const out = framedRequest('POST', path, framed);
  const sentAt = Date.now();
  const answer = await h.http.send(out);
  checkShape(out, answer);
  if (answer.status < 300) {
    const alert = answer.json as Alert;
    if (!isObject(alert) || typeof alert.id !== 'string')
      throw failure(out, answer, 'a 2xx without an alert');
    const previous = h.model.alerts.get(alert.id);
    h.model.alerts.set(alert.id, alert);
    h.model.noteDevice(
      alert.deviceId,
      answer.status === 201 && content?.locationSent !== false ? { location: undefined } : {},
    );
    const accepted = judgeAccepted(out, answer, framed, content, judgeAlertBody);
    if (answer.status === 201) h.model.fromDevice.set(alert.id, accepted.triggeredAtMs !== null);
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

export async function runHeartbeat(
  h: Hostile,
  segment: Segment,
  text: string,
  variant: Variant,
): Promise<void> {
  const j = new Judgement();
  if (segment.decoded === null) j.fault(400, 'device id in the path cannot be decoded');
  else if (!DEVICE_ID.test(segment.decoded)) j.fault(400, 'device id in the path is invalid');
  const framed = frame(text, variant, j);
  afterFraming(framed, j);
  const report = framed.text === null ? null : judgeHeartbeatBody(parseForJudging(framed.text, j), j);
  const out = framedRequest('PUT', `/devices/${segment.raw}/heartbeat`, framed);
  const answer = await h.http.send(out);
  checkShape(out, answer);
  if (answer.status < 300) {
    const deviceId = segment.decoded ?? segment.raw;
    const known = h.model.devices.get(deviceId) ?? { location: null, agentVersion: null, spoolDepth: null };
    h.model.noteDevice(deviceId, UNKNOWN_DEVICE);
    if (!DEVICE_ID.test(deviceId)) throw failure(out, answer, 'accepted an invalid device id');
    const accepted = judgeAccepted(out, answer, framed, report, judgeHeartbeatBody);
    const now: DeviceModel = { ...known };
    for (const key of ['location', 'agentVersion', 'spoolDepth'] as const) {
      // -0 reads back as 0; a field left out keeps its value.
      const value = accepted.fields[key] as string | number | null | undefined;
      if (Object.hasOwn(accepted.fields, key))
        (now as Record<string, unknown>)[key] = value === 0 ? 0 : value;
    }
    h.model.devices.set(deviceId, now);
    same(out, 'the heartbeat status', answer.status, 204);
    const devices = (await h.http.get('/devices')).json as Array<Record<string, unknown>>;
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

export async function runAcknowledge(
  h: Hostile,
  segment: Segment,
  text: string,
  variant: Variant,
): Promise<void> {
  const j = new Judgement();
  const framed = frame(text, variant, j);
  afterFraming(framed, j);
  const content = framed.text === null ? null : judgeHandleBody(parseForJudging(framed.text, j), j);
  const before = segment.decoded === null ? undefined : h.model.alerts.get(segment.decoded.toLowerCase());
  if (segment.decoded === null) j.fault(400, 'alert id in the path cannot be decoded');
  else if (!before) j.debatable(404, 'no such alert');
  const outcome = !before ? [404] : before.status === 'resolved' ? [409] : [200];
  const out = framedRequest('POST', `/alerts/${segment.raw}/acknowledge`, framed);
  const sentAt = Date.now();
  const answer = await h.http.send(out);
  checkShape(out, answer);
  if (answer.status < 300) {
    const alert = answer.json as Alert;
    if (isObject(alert) && typeof alert.id === 'string') h.model.alerts.set(alert.id, alert);
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

async function runList(h: Hostile, query: string, cursors: Map<string, number>): Promise<void> {
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
  const answer = await h.http.send(out);
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
      const stored = h.model.alerts.get(item.id);
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
      const expected = h.model
        .sortedAlerts()
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

/** A retry of a stored alert, spelled differently: answered 200 with the stored alert. */
export async function runRetry(h: Hostile, a: Retry): Promise<void> {
  const alerts = h.model.sortedAlerts();
  const stored = alerts[a.pick % alerts.length];
  const fromDevice = h.model.fromDevice.get(stored.id);
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
  const answer = await h.http.send(out);
  checkShape(out, answer);
  same(
    out,
    'a retry',
    { status: answer.status, body: answer.json },
    { status: 200, body: h.model.alerts.get(stored.id) },
  );
}

/** The path segment naming a stored alert, or the drawn segment itself. */
export function targetOf(model: ServerModel, s: StoredPick | Segment): Segment {
  if (!('index' in s)) return s;
  const alerts = model.sortedAlerts();
  const id = alerts[s.index % alerts.length].id;
  return { raw: s.upper ? id.toUpperCase() : id, decoded: s.upper ? id.toUpperCase() : id };
}

/** GET /alerts/:id answers the stored alert, 404 for an id never stored, 400 for an undecodable one. */
export async function runLookup(h: Hostile, target: Segment): Promise<void> {
  const out: Outgoing = { method: 'GET', path: `/alerts/${target.raw}`, headers: {} };
  const answer = await h.http.send(out);
  checkShape(out, answer);
  const stored = target.decoded === null ? undefined : h.model.alerts.get(target.decoded.toLowerCase());
  if (target.decoded === '.' || target.decoded === '..') {
    // A dot segment: a router may resolve it to another path; any client answer will do.
    if (answer.status >= 500) throw failure(out, answer, 'dot segment');
    return;
  }
  const expected = target.decoded === null ? 400 : stored ? 200 : 404;
  same(out, 'the answer to GET /alerts/:id', answer.status, expected);
  if (stored) same(out, 'the alert', answer.json, stored);
}

/** GET /alerts with the drawn parameters, real cursors fetched first. */
export async function runQuery(h: Hostile, parts: QueryPart[], ampersands: boolean): Promise<void> {
  const pieces: string[] = [];
  const cursors = new Map<string, number>();
  for (const p of parts) {
    let text: string;
    if (typeof p.value === 'object') {
      // A real cursor: the one after the first `cursorPage` alerts, newest first.
      const page = (await h.http.get(`/alerts?limit=${p.value.cursorPage}`)).json as {
        nextCursor: string | null;
      };
      if (!page.nextCursor) continue;
      text = page.nextCursor;
      cursors.set(text, p.value.cursorPage);
    } else text = p.value;
    const enc = (s: string) =>
      p.raw && /^[\x21-\x7e]*$/.test(s) && !/[#&=+]/.test(s) ? s : encodeURIComponent(s.toWellFormed());
    pieces.push(p.bare && text === '' ? enc(p.key) : `${enc(p.key)}=${enc(text)}`);
  }
  await runList(h, pieces.join(ampersands ? '&&' : '&'), cursors);
}

/**
 * POST /alerts with a JSON content type and these bytes; an alert the server accepts is
 * recorded in the model (so that the final inventory stays exact) before the caller judges it.
 */
export async function postAlert(h: Hostile, body: Buffer, fromDevice: boolean): Promise<Answer> {
  const out: Outgoing = {
    method: 'POST',
    path: '/alerts',
    headers: { 'content-type': 'application/json' },
    body,
  };
  const answer = await h.http.send(out);
  checkShape(out, answer);
  if (answer.status < 300) h.model.noteCreated(answer.json as Alert, fromDevice);
  return answer;
}

/** Every alert GET /alerts lists, page after page. */
export async function listEveryAlert(h: Hostile): Promise<Alert[]> {
  const listed: Alert[] = [];
  let cursor: string | null = null;
  do {
    const page = await h.http.get(
      `/alerts?limit=500${cursor ? `&before=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(page.status).toBe(200);
    const body = page.json as { items: Alert[]; nextCursor: string | null };
    listed.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor);
  return listed;
}

/** The request that carries a framed body: the framing decides headers, bytes and chunking. */
function framedRequest(method: string, path: string, framed: Framed): Outgoing {
  return { method, path, headers: framed.headers, body: framed.body, chunked: framed.chunked };
}
