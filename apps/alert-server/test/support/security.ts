import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DeviceAuthService } from '../../src/auth/device-auth.service';
import { OperatorAuthService } from '../../src/auth/operator-auth.service';
import type { TestServer } from './test-server';

/**
 * Helpers of the security suites: provisioning (through the server's own services, as the
 * admin commands do), requests with any headers, and the store read straight from the file.
 */

/** A device and its token, made as `device add` makes them. */
export async function provisionDevice(server: TestServer, deviceId: string): Promise<string> {
  const token = await server.app.get(DeviceAuthService).create(deviceId, null);
  if (token === null) throw new Error(`device ${deviceId} already has a token`);
  return token;
}

export async function revokeDeviceToken(server: TestServer, deviceId: string): Promise<void> {
  if (!(await server.app.get(DeviceAuthService).revoke(deviceId))) {
    throw new Error(`device ${deviceId} had no active token`);
  }
}

export async function provisionOperator(server: TestServer, name: string, password: string): Promise<void> {
  if (!(await server.app.get(OperatorAuthService).add(name, password))) {
    throw new Error(`operator ${name} already exists`);
  }
}

export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

let addressCount = 0;

/**
 * A client address of its own, sent as X-Forwarded-For (honoured from loopback: trust proxy
 * is 'loopback'), so that sign-ins of one test do not count against another's rate limit.
 */
export function freshAddress(): string {
  addressCount++;
  return `10.${(addressCount >> 16) & 255}.${(addressCount >> 8) & 255}.${addressCount & 255}`;
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined. */
  json: unknown;
  /** Milliseconds from sending to the end of the answer. */
  ms: number;
}

/** One request through node:http, with exactly the headers given (plus Content-Type/-Length for a body). */
export function send(
  url: string,
  method: string,
  path: string,
  options: { headers?: http.OutgoingHttpHeaders; body?: unknown; rawBody?: string } = {},
): Promise<Answer> {
  const payload =
    options.rawBody !== undefined
      ? Buffer.from(options.rawBody, 'utf8')
      : options.body === undefined
        ? undefined
        : Buffer.from(JSON.stringify(options.body), 'utf8');
  const headers: http.OutgoingHttpHeaders = {
    ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
    ...options.headers,
  };
  const started = performance.now();
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method, headers }, (res) => {
      res.on('error', reject);
      collect(res, started, resolve);
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.end(payload);
  });
}

/** Reads the whole answer, then resolves with it. */
function collect(res: http.IncomingMessage, started: number, resolve: (answer: Answer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    resolve({
      status: res.statusCode ?? 0,
      headers: res.headers,
      text,
      json: parseJson(text),
      ms: performance.now() - started,
    });
  });
}

/**
 * The status and head of a response to `GET path` that may never end (GET /events): the
 * connection is dropped as soon as the head arrives.
 */
export function head(url: string, path: string, headers: http.OutgoingHttpHeaders = {}): Promise<Answer> {
  const started = performance.now();
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method: 'GET', headers }, (res) => {
      if (res.statusCode === 200) {
        resolve({
          status: 200,
          headers: res.headers,
          text: '',
          json: undefined,
          ms: performance.now() - started,
        });
        req.destroy();
        return;
      }
      collect(res, started, resolve);
    });
    // Once the head is in, the connection is dropped on purpose: a late error is no failure.
    req.on('error', reject);
    req.end();
  });
}

/**
 * Bytes written as they are on one fresh connection (for header values node:http refuses to
 * send: control or latin1 bytes); resolves with the status line's code once the server closes
 * (the request must say `Connection: close`).
 */
export function sendRawBytes(port: number, bytes: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(15_000, () => socket.destroy(new Error('raw request: no answer within 15 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!status) reject(new Error(`no HTTP status in the answer: ${JSON.stringify(text.slice(0, 200))}`));
      else resolve({ status: Number(status[1]), text });
    });
    // write, not end: a half-closed connection makes node:http abort a request still in progress.
    // The request says `Connection: close`, so the server closes once it has answered.
    socket.write(bytes);
  });
}

/** POST /auth/login; resolves with the `vigie_session=...` pair to send as a Cookie. */
export async function signIn(
  url: string,
  name: string,
  password: string,
  address = freshAddress(),
): Promise<string> {
  const res = await send(url, 'POST', '/auth/login', {
    body: { name, password },
    headers: { 'X-Forwarded-For': address },
  });
  if (res.status !== 204) throw new Error(`sign-in as ${name}: HTTP ${res.status} ${res.text}`);
  return sessionPair(res);
}

/** The `vigie_session=value` pair of the answer's Set-Cookie. */
export function sessionPair(res: Answer): string {
  const cookie = setCookies(res).find((line) => line.startsWith('vigie_session='));
  if (!cookie) throw new Error(`no vigie_session cookie in ${JSON.stringify(res.headers['set-cookie'])}`);
  return cookie.split(';')[0];
}

export function setCookies(res: Answer): string[] {
  return res.headers['set-cookie'] ?? [];
}

/** The attributes of a Set-Cookie line, names lower-cased: `{ path: '/', httponly: '', ... }`. */
export function cookieAttributes(line: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const part of line.split(';').slice(1)) {
    const [name, ...value] = part.trim().split('=');
    attributes[name.toLowerCase()] = value.join('=');
  }
  return attributes;
}

const ERROR_NAMES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
};

/** The NestJS error shape with this status: `message` a string or a list of strings. */
export function expectError(res: Answer, status: number): void {
  expect({ status: res.status, body: res.json }).toEqual({
    status,
    body: { statusCode: status, error: ERROR_NAMES[status], message: expect.anything() },
  });
  const message = (res.json as { message: unknown }).message;
  for (const text of Array.isArray(message) ? message : [message]) {
    expect(typeof text).toBe('string');
    expect((text as string).length).toBeGreaterThan(0);
  }
}

/** The server's SQLite file, opened read-only: what is on disk, whatever the server says. */
export function openStore(server: TestServer): Database.Database {
  return new Database(join(server.dir, 'vigie.db'), { readonly: true, fileMustExist: true });
}

/** The rows of `sql`, read from a fresh read-only connection. */
export function query<T = Record<string, unknown>>(
  server: TestServer,
  sql: string,
  ...params: unknown[]
): T[] {
  const db = openStore(server);
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** Runs a write on the server's SQLite file from a second connection (as an administrator's tool would). */
export function writeStore(server: TestServer, sql: string, ...params: unknown[]): number {
  const db = new Database(join(server.dir, 'vigie.db'), { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare(sql).run(...params).changes;
  } finally {
    db.close();
  }
}

/** Every row of every table the security suites watch, for "nothing stored or changed". */
export function snapshot(server: TestServer): Record<string, unknown[]> {
  const db = openStore(server);
  try {
    const all = (table: string, order: string) =>
      db.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).all();
    return {
      alerts: all('alerts', 'id'),
      devices: all('devices', 'id'),
      device_credentials: all('device_credentials', 'device_id'),
      operators: all('operators', 'id'),
      sessions: all('sessions', 'id_hash'),
      device_enrollments: all('device_enrollments', 'code_hash'),
    };
  } finally {
    db.close();
  }
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
