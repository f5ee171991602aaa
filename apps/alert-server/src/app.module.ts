import {
  DynamicModule,
  MiddlewareConsumer,
  Module,
  NestModule,
  RequestMethod,
  ValidationPipe,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoRootLogger } from 'pino';
import { APP_STORE } from './app-store';
import { AlertsController } from './alerts/alerts.controller';
import { AlertsModule } from './alerts/alerts.module';
import { ApiDocsModule } from './api-docs/api-docs.module';
import { AuthController } from './auth/auth.controller';
import { AuthModule } from './auth/auth.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { DevicesController } from './devices/devices.controller';
import { DevicesModule } from './devices/devices.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { LiveModule } from './live/live.module';
import { HttpErrorFilter } from './http/http-error.filter';
import { JsonBodyMiddleware } from './http/json-body.middleware';
import { JsonRequestGuard } from './http/json-request.guard';
import { SameOriginMiddleware } from './http/same-origin.middleware';
import { VALIDATION_OPTIONS } from './http/validation';
import { loggingOptions } from './observability/logging';
import { MetricsStateBinding } from './observability/metrics-state.binding';
import { ObservabilityModule } from './observability/observability.module';
import { StoreModule } from './store/store.module';

@Module({})
export class AppModule implements NestModule {
  static forRoot(config: AppConfig, logger: PinoRootLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggingOptions(logger)),
        EventEmitterModule.forRoot({ wildcard: false, ignoreErrors: true }),
        EventsModule,
        // The store knows no feature: it gets the tables, writes and migrations composed here.
        StoreModule.forRoot(APP_STORE),
        AuthModule,
        ObservabilityModule,
        DevicesModule,
        AlertsModule,
        HealthModule,
        LiveModule,
        DashboardModule,
        ApiDocsModule,
      ],
      providers: [
        MetricsStateBinding,
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe(VALIDATION_OPTIONS),
        },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        { provide: APP_GUARD, useClass: JsonRequestGuard },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    // Every route, unknown ones included, and before any body is read.
    consumer.apply(SameOriginMiddleware).forRoutes({ path: '*', method: RequestMethod.ALL });
    consumer.apply(JsonBodyMiddleware).forRoutes(AlertsController, DevicesController, AuthController);
  }
}
