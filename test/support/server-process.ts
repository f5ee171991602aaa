import { ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import {
  ExitResult,
  REPO_ROOT,
  Started,
  WatchedProcess,
  assertBuilt,
  childEnv,
  describeExit,
} from './watched-process';

/**
 * The real, built alert server as a child process (what `node dist/apps/alert-server/main.js`
 * runs in production), on the shared harness of watched-process.ts.
 */
export { REPO_ROOT, describeExit };
export type { ExitResult };
export const SERVER_MAIN = join(REPO_ROOT, 'dist/apps/alert-server/main.js');

/**
 * The server's environment: PORT=0, HOST=127.0.0.1, the store file, and VIGIE_AUTH=off (a lab
 * bench) for the specs about other things than security; `overrides` as in `childEnv`.
 */
export function serverEnv(
  sqlitePath: string,
  overrides?: Record<string, string | undefined>,
): NodeJS.ProcessEnv {
  return childEnv(
    { PORT: '0', HOST: '127.0.0.1', VIGIE_SQLITE_PATH: sqlitePath, LOG_LEVEL: 'info', VIGIE_AUTH: 'off' },
    overrides,
  );
}

export interface StartOptions {
  /** Added to (or, with `undefined`, removed from) the defaults of `serverEnv`; the security specs set VIGIE_AUTH=required. */
  env?: Record<string, string | undefined>;
  /** Store file; default `vigie.db` in a fresh temp folder (removed by `cleanupServerProcesses`). */
  sqlitePath?: string;
  /** How long to wait for the `server.ready` log line. */
  readyTimeoutMs?: number;
  /** false: return at once (for processes expected to fail at start-up); the port is then 0. */
  waitForReady?: boolean;
  /** Node flags before the script (a preload, for the benchmarks). */
  nodeArgs?: string[];
  /** The script; default the built server (a benchmark runs a copy of it, or a baseline). */
  main?: string;
}

const servers = new Started<ServerProcess>();

/** A temp folder removed by `cleanupServerProcesses`. */
export function makeTempDir(prefix = 'vigie-system-'): string {
  return servers.tempDir(prefix);
}

export class ServerProcess extends WatchedProcess {
  port = 0;

  private constructor(
    child: ChildProcess,
    readonly sqlitePath: string,
    readonly env: NodeJS.ProcessEnv,
  ) {
    super(child, 'server');
  }

  static async start(options: StartOptions = {}): Promise<ServerProcess> {
    const main = options.main ?? SERVER_MAIN;
    if (main === SERVER_MAIN) assertBuilt(SERVER_MAIN, 'apps/alert-server/src');
    const sqlitePath = options.sqlitePath ?? join(makeTempDir(), 'vigie.db');
    const env = serverEnv(sqlitePath, options.env);
    const args = [...(options.nodeArgs ?? []), main];
    const child = WatchedProcess.spawnChild({ args, env, cwd: makeTempDir('vigie-cwd-') });
    const server = servers.track(new ServerProcess(child, sqlitePath, env));
    if (options.waitForReady === false) return server;
    try {
      const line = await server.waitForLine(
        (text) => readyPort(text) !== null,
        options.readyTimeoutMs ?? 15_000,
        'the "server.ready" log line',
      );
      server.port = readyPort(line)!;
    } catch (error) {
      await server.kill('SIGKILL');
      throw error;
    }
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
}

/** Kills every server still running and removes the temp folders: call in afterEach/afterAll. */
export function cleanupServerProcesses(): Promise<void> {
  return servers.cleanup();
}

/** Kills every server still running, without removing folders (for afterEach, when a test shares them). */
export function killServerProcesses(): Promise<void> {
  return servers.killAll();
}

/** The port of a `server.ready` line (JSON, or the pretty format's inline fields); null for another line. */
export function readyPort(line: string): number | null {
  try {
    const value = JSON.parse(line) as { event?: unknown; port?: unknown };
    if (value?.event === 'server.ready' && typeof value.port === 'number') return value.port;
  } catch {
    // the pretty format carries the fields inline as JSON text
  }
  const pretty = /"event":"server\.ready".*?"port":(\d+)/.exec(line);
  return pretty ? Number(pretty[1]) : null;
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
