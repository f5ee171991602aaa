import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { createServer } from '../../src/server';

/**
 * A real alert server on a free loopback port, over a real SQLite file in a temp folder.
 * Suites about other things than security run it as a lab bench (VIGIE_AUTH=off); the
 * security suites pass VIGIE_AUTH=required and sign in as a user would.
 */
export interface TestServer {
  app: NestExpressApplication;
  url: string;
  config: AppConfig;
  dir: string;
  /** Stops the server and closes the store; the folder stays (for restart tests) until `remove`. */
  close(): Promise<void>;
  remove(): void;
}

export async function startTestServer(
  env: Record<string, string> = {},
  dir = mkdtempSync(join(tmpdir(), 'vigie-e2e-')),
): Promise<TestServer> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    VIGIE_SQLITE_PATH: join(dir, 'vigie.db'),
    LOG_LEVEL: 'error',
    VIGIE_AUTH: 'off',
    ...env,
  });
  const app = await createServer(config);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  let closed = false;
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    config,
    dir,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
