import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { describeApi } from './api-docs/api-document';
import { ApiDocsService } from './api-docs/api-docs.service';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { createRootLogger } from './observability/logging';

/** Builds the HTTP application; main.ts and the e2e specs share it, so tests run what ships. */
export async function createServer(config: AppConfig): Promise<NestExpressApplication> {
  const logger = createRootLogger(config);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // No ETag on JSON answers: they describe live state, and no client revalidates them (the
  // dashboard re-reads after each live event). Express would hash every body for it, the
  // 201 of each alert included: 3 % of the CPU per alert in bench:ingest. A function rather
  // than `false`, which would also take the dashboard files' ETag (res.sendFile's, from the
  // file's size and date) that the page revalidates with.
  app.set('etag', noBodyETag);
  // Behind a reverse proxy on the same host (the README's TLS set-up), its X-Forwarded-For and
  // -Proto give the client's address (rate limits, audit) and https (the Secure cookie flag).
  app.set('trust proxy', 'loopback');
  app.use(helmet(SECURITY_HEADERS));
  app.get(ApiDocsService).describeWith(() => describeApi(app));
  // No app.enableCors(): no Access-Control-Allow-Origin is ever sent, so no other site's script
  // can read an answer; the session cookie is SameSite=Strict, so none can act with it either.
  app.flushLogs();
  return app;
}

/** Express's ETag for res.send(body): none (see createServer). */
function noBodyETag(): undefined {
  return undefined;
}

/** helmet's defaults, except what would break a plain-http LAN server or belongs to the TLS proxy. */
const SECURITY_HEADERS: Parameters<typeof helmet>[0] = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      styleSrc: ["'self'"],
      scriptSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  // HSTS is the business of whatever terminates TLS; over plain http browsers ignore it anyway.
  strictTransportSecurity: false,
};
