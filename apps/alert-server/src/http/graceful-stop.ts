import type { NestExpressApplication } from '@nestjs/platform-express';

/** Longest a client may hold the server after SIGTERM: then its connections are cut. */
const GRACE_MS = 10_000;

/**
 * Lets a stop finish: once stopping, every response says `Connection: close`, so a client
 * that keeps its connection busy cannot hold the server open (closing the listener alone
 * only ends idle connections). Returns what to call when the stop begins.
 */
export function prepareGracefulStop(app: NestExpressApplication): () => void {
  let stopping = false;
  app.use((_req: unknown, res: { setHeader(name: string, value: string): void }, next: () => void) => {
    if (stopping) res.setHeader('Connection', 'close');
    next();
  });
  return () => {
    stopping = true;
    const server = app.getHttpServer();
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), GRACE_MS).unref();
  };
}
