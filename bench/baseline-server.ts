/**
 * The ceiling for `bench:ingest`: a bare Nest + Express app doing what POST /alerts does
 * except store, log and count. Same DTO, same validation pipe, 16 KiB JSON limit, 201 with
 * the alert. Run with `node -r ts-node/register/transpile-only bench/baseline-server.ts`.
 */
import 'reflect-metadata';
import { Body, Controller, Module, Post, Res, ValidationPipe } from '@nestjs/common';
import { APP_PIPE, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Response } from 'express';
import { randomUUID } from 'node:crypto';
import { CreateAlertDto, defaultSeverity } from '../libs/contracts/src';
import { VALIDATION_OPTIONS } from '../apps/alert-server/src/http/validation';

@Controller('alerts')
class BaselineAlertsController {
  @Post()
  create(@Body() dto: CreateAlertDto, @Res({ passthrough: true }) res: Response) {
    const receivedAt = new Date().toISOString();
    const alert = {
      id: dto.id?.toLowerCase() ?? randomUUID(),
      deviceId: dto.deviceId,
      type: dto.type,
      severity: dto.severity ?? defaultSeverity(dto.type),
      location: dto.location ?? null,
      message: dto.message ?? null,
      button: dto.button ?? null,
      triggeredAt: dto.triggeredAt ? new Date(dto.triggeredAt).toISOString() : receivedAt,
      receivedAt,
      status: 'open',
      acknowledgedAt: null,
      acknowledgedBy: null,
      acknowledgementNote: null,
      resolvedAt: null,
      resolvedBy: null,
      resolutionNote: null,
    };
    res.status(201).location(`/alerts/${alert.id}`);
    return alert;
  }
}

@Module({
  controllers: [BaselineAlertsController],
  providers: [
    {
      provide: APP_PIPE,
      useValue: new ValidationPipe(VALIDATION_OPTIONS),
    },
  ],
})
class BaselineModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(BaselineModule, { logger: ['error'] });
  app.useBodyParser('json', { limit: '16kb' });
  app.disable('x-powered-by');
  await app.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : null;
  // The line bench/lib/server-process.js waits for, as the alert server prints it.
  process.stdout.write(`${JSON.stringify({ level: 'info', event: 'server.ready', port })}\n`);
  process.on('SIGTERM', () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
