import type http from 'node:http';
import net from 'node:net';
import fc from 'fast-check';
import type { TestServer } from '../test-server';

/** Malformed HTTP, below what any client library would send: raw bytes on raw sockets. */

/**
 * Broken framing, headers, request lines and protocols, then random bytes alone and after a
 * request line. Drawn when called: the random ones follow fast-check's configured seed.
 */
export function malformedHttp(): Buffer[] {
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
  return [...payloads, ...random, ...prefixed];
}

/**
 * Sends every payload at once, each on its own connection. Returns what came back on each, and
 * the statuses the server itself answered, whatever reached the client (a reset may drop the
 * bytes that came before it).
 */
export async function exchangeAll(
  server: TestServer,
  port: number,
  all: Buffer[],
): Promise<{ exchanges: RawExchange[]; serverStatuses: number[] }> {
  const serverStatuses: number[] = [];
  const recordStatus = (_req: http.IncomingMessage, res: http.ServerResponse) =>
    res.on('finish', () => serverStatuses.push(res.statusCode));
  const httpServer = server.app.getHttpServer();
  httpServer.on('request', recordStatus);
  const exchanges = await Promise.all(all.map((payload) => rawExchange(port, payload))).finally(() =>
    httpServer.off('request', recordStatus),
  );
  return { exchanges, serverStatuses };
}

/** What is wrong with each exchange: a 5xx status line, or a connection neither answered nor closed. */
export function faultsIn(all: Buffer[], exchanges: RawExchange[]): string[] {
  const show = (index: number) => JSON.stringify(all[index].toString('latin1').slice(0, 200));
  return exchanges.flatMap(({ text, ending }, index) => {
    const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((match) => Number(match[1]));
    const problems = [];
    // Every status line counts: a 5xx may follow a `100 Continue`.
    if (statuses.some((status) => status >= 500)) problems.push(`answered ${statuses.join(', ')}`);
    if (ending === 'hung') problems.push('neither answered nor closed the connection');
    return problems.map((problem) => `${show(index)} -> ${problem}: ${text.slice(0, 200)}`);
  });
}

export interface RawExchange {
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
function rawExchange(port: number, payload: Buffer): Promise<RawExchange> {
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
