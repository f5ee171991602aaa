import http from 'node:http';
import { MAX_BODY_BYTES } from './contract';

/**
 * Raw node:http requests, so that nothing normalises bodies, headers, framing or paths on the
 * way to the server.
 */

export interface Outgoing {
  method: string;
  path: string;
  headers: http.OutgoingHttpHeaders;
  body?: Buffer;
  chunked?: boolean;
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: unknown;
}

/** What a refusal of a too-large body looks like when the connection was cut before it could be read. */
const closedOnTooLargeBody: Answer = {
  status: 413,
  headers: { 'content-type': 'application/json' },
  text: '',
  json: {
    statusCode: 413,
    error: 'Payload Too Large',
    message: 'the server closed the connection while the body over its limit was being sent',
  },
};

/** One server's client: it keeps its connections alive and counts what it sent. */
export class RawHttpClient {
  readonly port: number;
  /** Requests sent so far, reported at the end of the suite. */
  requests = 0;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

  constructor(url: string) {
    this.port = Number(new URL(url).port);
  }

  send(out: Outgoing): Promise<Answer> {
    this.requests++;
    return new Promise<Answer>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          method: out.method,
          path: out.path,
          headers: out.headers,
          agent: this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text,
              json: parseOrUndefined(text),
            });
          });
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        // HTTP lets a server close the connection on a body over its limit. Its 413 is sent at
        // once, but while this client is still sending the rest, the close can arrive as a
        // reset first and the 413 is never read: that is the refusal the oracle expects.
        const tooLarge = (out.body?.length ?? 0) > MAX_BODY_BYTES;
        if (tooLarge && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) {
          resolve(closedOnTooLargeBody);
          return;
        }
        reject(new Error(`no answer (${error.message}) to ${show(out)}`));
      });
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

  get(path: string): Promise<Answer> {
    return this.send({ method: 'GET', path, headers: {} });
  }

  close(): void {
    this.agent.destroy();
  }
}

export function jsonRequest(method: string, path: string, body: unknown): Outgoing {
  return {
    method,
    path,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(body), 'utf8'),
  };
}

export function parseOrUndefined(text: string): unknown {
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

/** A failed check, naming the request that showed it and what the server answered. */
export function failure(out: Outgoing, answer: Answer | null, problem: string): Failure {
  const got = answer ? `\n  got ${answer.status}: ${answer.text.slice(0, 600)}` : '';
  return new Failure(`${problem}\n  request: ${show(out)}${got}`);
}
