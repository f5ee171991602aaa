import http from 'node:http';
import { AddressInfo } from 'node:net';

/** One request as the proxy saw it, and what became of its answer. */
export interface ProxiedRequest {
  method: string;
  url: string;
  body: string;
  /** The `id` of a `POST /alerts` body, null for other requests. */
  alertId: string | null;
  /** When the request reached the proxy (ms since the epoch). */
  at: number;
  /** `pending` until the server answers; `dropped`: the server answered, the client never hears it. */
  answer: 'pending' | 'forwarded' | 'dropped' | 'failed';
}

export interface LossyLinkOptions {
  /** The real server, on 127.0.0.1. */
  upstreamPort: number;
  /** Every answer forwarded is held back this long, as on a slow link. */
  answerDelayMs?: number;
  /**
   * Decided when a request arrives: true forwards it (the server stores what it says) but loses
   * the answer, keeping the connection open and silent until the client gives up.
   */
  dropAnswer?: (request: ProxiedRequest) => boolean;
}

export interface LossyLink {
  url: string;
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

/**
 * An HTTP proxy between the agent and the server that delays and loses answers: what a Wi-Fi
 * link dropping packets does to a request whose answer never arrives, without depending on
 * the kernel's retransmissions, so a test knows exactly which answers were lost.
 */
export function startLossyLink(options: LossyLinkOptions): Promise<LossyLink> {
  const requests: ProxiedRequest[] = [];
  const upstreamAgent = new http.Agent({ keepAlive: true });
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const request: ProxiedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        body: body.toString('utf8'),
        alertId: alertIdOf(req.method, req.url, body),
        at: Date.now(),
        answer: 'pending',
      };
      requests.push(request);
      const drop = options.dropAnswer?.(request) ?? false;
      const upstream = http.request(
        {
          host: '127.0.0.1',
          port: options.upstreamPort,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent: upstreamAgent,
        },
        (answer) => {
          const answerChunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => answerChunks.push(chunk));
          answer.on('end', () => {
            if (drop) {
              request.answer = 'dropped';
              return; // the client waits on an open, silent connection
            }
            const timer = setTimeout(() => {
              timers.delete(timer);
              request.answer = 'forwarded';
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              res.end(Buffer.concat(answerChunks));
            }, options.answerDelayMs ?? 0);
            timers.add(timer);
          });
        },
      );
      upstream.on('error', () => {
        request.answer = 'failed';
        res.destroy();
      });
      upstream.end(body);
    });
  });
  return new Promise((resolveLink, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolveLink({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests,
        close: () =>
          new Promise<void>((resolveClose) => {
            for (const timer of timers) clearTimeout(timer);
            server.closeAllConnections();
            upstreamAgent.destroy();
            server.close(() => resolveClose());
          }),
      });
    });
  });
}

function alertIdOf(method: string | undefined, url: string | undefined, body: Buffer): string | null {
  if (method !== 'POST' || url !== '/alerts') return null;
  try {
    const id = (JSON.parse(body.toString('utf8')) as { id?: unknown }).id;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
}
