import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExitResult, WatchedProcess } from './watched-process';

/**
 * The real, built alert server as a child process (what `node dist/apps/alert-server/main.js`
 * runs in production). Its output is always drained: a full pipe would block the server's
 * synchronous log writes and freeze it, which would look like a server bug.
 */
export const REPO_ROOT = resolve(__dirname, '../..');
export const SERVER_MAIN = join(REPO_ROOT, 'dist/apps/alert-server/main.js');

/** Variables of the server's own; the parent's values must not leak into a test. */
const SERVER_VARIABLES = [
  'PORT',
  'HOST',
  'VIGIE_SQLITE_PATH',
  'DATABASE_URL',
  'VIGIE_DEVICE_OFFLINE_AFTER_S',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'VIGIE_AUTH',
  'VIGIE_METRICS_TOKEN',
];

export type { ExitResult };

export interface StartOptions {
  /**
   * Added to (or, with `undefined`, removed from) the defaults: PORT=0, HOST=127.0.0.1, a temp
   * VIGIE_SQLITE_PATH, and VIGIE_AUTH=off (a lab bench) for the specs about other things than
   * security; the security specs set VIGIE_AUTH=required.
   */
  env?: Record<string, string | undefined>;
  /** Store file; default `vigie.db` in a fresh temp folder (removed by `cleanupServerProcesses`). */
  sqlitePath?: string;
  /** How long to wait for the `server.ready` log line. */
  readyTimeoutMs?: number;
  /** false: return at once (for processes expected to fail at start-up); `ready` is then left pending. */
  waitForReady?: boolean;
}

const live = new Set<ServerProcess>();
const tempDirs = new Set<string>();

/** A temp folder removed by `cleanupServerProcesses`. */
export function makeTempDir(prefix = 'vigie-system-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export class ServerProcess extends WatchedProcess {
  port = 0;

  private constructor(
    child: ChildProcess,
    readonly sqlitePath: string,
    readonly env: NodeJS.ProcessEnv,
  ) {
    super(child, 'server');
    void this.exited.then(() => live.delete(this));
  }

  static async start(options: StartOptions = {}): Promise<ServerProcess> {
    assertBuilt();
    const sqlitePath = options.sqlitePath ?? join(makeTempDir(), 'vigie.db');
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of SERVER_VARIABLES) delete env[name];
    Object.assign(env, {
      PORT: '0',
      HOST: '127.0.0.1',
      VIGIE_SQLITE_PATH: sqlitePath,
      LOG_LEVEL: 'info',
      VIGIE_AUTH: 'off',
    });
    for (const [name, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    const child = spawn(process.execPath, [SERVER_MAIN], {
      cwd: makeTempDir('vigie-cwd-'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ServerProcess(child, sqlitePath, env);
    live.add(server);
    if (options.waitForReady === false) return server;
    try {
      await server.waitForReady(options.readyTimeoutMs ?? 15_000);
    } catch (error) {
      await server.kill('SIGKILL');
      throw error;
    }
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The port from the `server.ready` line (JSON, or the pretty format's inline fields). */
  private async waitForReady(timeoutMs: number): Promise<void> {
    const line = await this.waitForLine(
      (text) => readyPort(text) !== null,
      timeoutMs,
      'the "server.ready" log line',
    );
    this.port = readyPort(line)!;
  }

  /** Resolves with the first stdout line (already seen or to come) matching; rejects on exit or timeout. */
  waitForLine(
    match: (line: string) => boolean,
    timeoutMs: number,
    what = 'a matching line',
  ): Promise<string> {
    return new Promise<string>((resolveLine, reject) => {
      const check = () => {
        const found = this.stdoutLines.find(match);
        if (found !== undefined) return finish(() => resolveLine(found));
        if (this.exitResult) {
          finish(() =>
            reject(
              new Error(`server exited (${describeExit(this.exitResult!)}) before ${what}\n${this.output()}`),
            ),
          );
        }
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no ${what} within ${timeoutMs} ms\n${this.output()}`))),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Stdout lines that are JSON objects (a line torn by SIGKILL, or a pretty line, is skipped). */
  logs(): Array<Record<string, unknown>> {
    const parsed: Array<Record<string, unknown>> = [];
    for (const line of this.stdoutLines) {
      try {
        const value: unknown = JSON.parse(line);
        if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
          parsed.push(value as Record<string, unknown>);
        }
      } catch {
        // not JSON: the caller asserts on stdoutLines when that matters
      }
    }
    return parsed;
  }
}

/** Kills every server still running and removes the temp folders: call in afterEach/afterAll. */
export async function cleanupServerProcesses(): Promise<void> {
  await Promise.all([...live].map((server) => server.kill('SIGKILL')));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Kills every server still running, without removing folders (for afterEach, when a test shares them). */
export async function killServerProcesses(): Promise<void> {
  await Promise.all([...live].map((server) => server.kill('SIGKILL')));
}

// Last resort if the runner itself exits abruptly: never leave a server behind.
process.once('exit', () => {
  for (const server of live) server.child.kill('SIGKILL');
});

function readyPort(line: string): number | null {
  try {
    const value = JSON.parse(line) as { event?: unknown; port?: unknown };
    if (value?.event === 'server.ready' && typeof value.port === 'number') return value.port;
  } catch {
    // the pretty format carries the fields inline as JSON text
  }
  const pretty = /"event":"server\.ready".*?"port":(\d+)/.exec(line);
  return pretty ? Number(pretty[1]) : null;
}

export function describeExit(result: ExitResult): string {
  return result.signal ? `signal ${result.signal}` : `code ${result.code}`;
}

let builtChecked = false;

/** Once per test file: a build older than the sources would test yesterday's server. */
function assertBuilt(): void {
  if (builtChecked) return;
  if (!existsSync(SERVER_MAIN)) {
    throw new Error(`${SERVER_MAIN} is missing: build first (npx nest build alert-server)`);
  }
  const built = statSync(SERVER_MAIN).mtimeMs;
  const stale = newestSource([join(REPO_ROOT, 'apps/alert-server/src'), join(REPO_ROOT, 'libs')]);
  if (stale && stale.mtimeMs > built) {
    throw new Error(`${SERVER_MAIN} is older than ${stale.path}: rebuild (npx nest build alert-server)`);
  }
  builtChecked = true;
}

function newestSource(dirs: string[]): { path: string; mtimeMs: number } | null {
  let newest: { path: string; mtimeMs: number } | null = null;
  const visit = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
        const mtimeMs = statSync(path).mtimeMs;
        if (!newest || mtimeMs > newest.mtimeMs) newest = { path, mtimeMs };
      }
    }
  };
  dirs.forEach(visit);
  return newest;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/**
 * One HTTP request with node:http (no retries, no normalisation). Rejects on a network error
 * (refused, reset, timeout): for the crash tests, "no answer" is a distinct outcome from a status.
 */
export function request(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  options: { agent?: http.Agent; timeoutMs?: number; headers?: http.OutgoingHttpHeaders } = {},
): Promise<HttpAnswer> {
  const url = new URL(path, baseUrl);
  const payload =
    body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body), 'utf8');
  const headers: http.OutgoingHttpHeaders = {
    ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
    ...options.headers,
  };
  return new Promise<HttpAnswer>((resolveAnswer, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: url.pathname + url.search,
        headers,
        agent: options.agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolveAnswer({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.end(payload);
  });
}

/**
 * One HTTP/1.1 connection over a raw socket, kept alive between requests, for what node:http
 * hides: a request whose body is still on its way, and the reuse of one connection.
 */
export class RawConnection {
  private buffer = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => undefined); // surfaces as `closed`
  }

  static connect(port: number): Promise<RawConnection> {
    return new Promise((resolveConnection, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => resolveConnection(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes the head of a JSON request and the first `sentBytes` of its body (all by default). */
  async send(method: string, path: string, body: Buffer, sentBytes = body.length): Promise<void> {
    await this.write(
      `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n`,
    );
    await this.write(body.subarray(0, sentBytes));
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolveWrite, reject) =>
      this.socket.write(data, (error) => (error ? reject(error) : resolveWrite())),
    );
  }

  /** The next response (with a Content-Length body, as the server sends); rejects if the connection closes first. */
  async readResponse(timeoutMs = 10_000): Promise<HttpAnswer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = this.takeResponse();
      if (answer) return answer;
      if (this.closed) throw new Error('connection closed before a complete response');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no complete response within ${timeoutMs} ms`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, left);
        this.wake = () => {
          clearTimeout(timer);
          wake();
        };
      });
      this.wake = null;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private takeResponse(): HttpAnswer | null {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end === -1) return null;
    const [statusLine, ...lines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers: http.IncomingHttpHeaders = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (this.buffer.length < end + 4 + length) return null;
    const text = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buffer = this.buffer.subarray(end + 4 + length);
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: Number(statusLine.split(' ')[1]), headers, text, json };
  }
}
