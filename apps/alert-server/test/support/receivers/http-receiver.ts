import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo, createServer as createTcpServer, Server as TcpServer, Socket } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** Node's parsed headers: names in lower case. */
  headers: IncomingHttpHeaders;
  /** Names and values as they came on the wire (values read as Latin-1, one byte a character). */
  rawHeaders: string[];
  body: Buffer;
}

export interface Answer {
  status: number;
  body?: string;
}

/** Decides the answer to a request; recorded requests include the ones answered with an error. */
export type Answering = (request: ReceivedRequest) => Answer;

/** A real HTTP server on loopback that records every request and answers as told (204 by default). */
export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** The answers kept back while holding (see `hold`); null when answering at once. */
  private held: (() => void)[] | null = null;

  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
      };
      this.requests.push(request);
      const reply = () => {
        const answer = this.answering(request);
        res.writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8' }).end(answer.body);
      };
      if (this.held) this.held.push(reply);
      else reply();
    });
  });

  private constructor(private answering: Answering) {}

  static async start(answering: Answering = () => ({ status: 204 })): Promise<HttpReceiver> {
    const receiver = new HttpReceiver(answering);
    await listen(receiver.server);
    return receiver;
  }

  url(path = '/'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  answerWith(answering: Answering): void {
    this.answering = answering;
  }

  /**
   * From now on, records each request but keeps its answer back until `release()`: a send the
   * server has started and not yet heard the end of, for as long as a test needs.
   */
  hold(): void {
    this.held ??= [];
  }

  /** Answers the requests held back (as `answering` says) and answers the next ones at once. */
  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const reply of held) reply();
  }

  /** The one request received so far; fails when there were none or several. */
  only(): ReceivedRequest {
    if (this.requests.length !== 1) throw new Error(`expected one request, got ${this.requests.length}`);
    return this.requests[0];
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A TCP server that accepts connections and never says a word: the receiver that hangs. */
export class SilentServer {
  /** Connections accepted so far. */
  accepted = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server = createTcpServer((socket) => {
    this.accepted += 1;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
  });

  static async start(): Promise<SilentServer> {
    const silent = new SilentServer();
    await listen(silent.server);
    return silent;
  }

  url(path = '/'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A loopback port nothing listens on (a port just released; nobody else takes it that fast here). */
export async function unusedPort(): Promise<number> {
  const server = createTcpServer();
  await listen(server);
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function listen(server: TcpServer): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}
