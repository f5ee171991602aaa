import {
  DynamicModule,
  Inject,
  MiddlewareConsumer,
  Module,
  NestModule,
  RequestMethod,
  Type,
  ValidationPipe,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE, DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoRootLogger } from 'pino';
import { AgentBundleModule } from './agent-bundle/agent-bundle.module';
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
import { EnrollmentController } from './enrollment/enrollment.controller';
import { EnrollmentModule } from './enrollment/enrollment.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { LiveModule } from './live/live.module';
import { NotificationsModule } from './notifications/notifications.module';
import { HttpErrorFilter } from './http/http-error.filter';
import { JsonBodyMiddleware } from './http/json-body.middleware';
import { JsonRequestGuard } from './http/json-request.guard';
import { SameOriginMiddleware } from './http/same-origin.middleware';
import { VALIDATION_OPTIONS } from './http/validation';
import { accessLog, loggingOptions } from './observability/logging';
import { isIngestion, isQuietInAccessLog, markRoutes, routesDeclaring } from './http/route-traits';
import { MetricsStateBinding } from './observability/metrics-state.binding';
import { ObservabilityModule } from './observability/observability.module';
import { StoreModule } from './store/store.module';

/** The process's root logger, which the access log writes to. */
const ROOT_LOGGER = Symbol('ROOT_LOGGER');
const EVERY_ROUTE = { path: '*', method: RequestMethod.ALL };

@Module({})
export class AppModule implements NestModule {
  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(ROOT_LOGGER) private readonly rootLogger: PinoRootLogger,
  ) {}

  static forRoot(config: AppConfig, logger: PinoRootLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DiscoveryModule,
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggingOptions(logger)),
        EventEmitterModule.forRoot({ wildcard: false, ignoreErrors: true }),
        EventsModule,
        // The store knows no feature: it gets the tables, writes and migrations composed here.
        StoreModule.forRoot(APP_STORE),
        AuthModule,
        ObservabilityModule,
        DevicesModule,
        EnrollmentModule,
        AlertsModule,
        NotificationsModule,
        HealthModule,
        LiveModule,
        DashboardModule,
        AgentBundleModule,
        ApiDocsModule,
      ],
      providers: [
        { provide: ROOT_LOGGER, useValue: logger },
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
    // First, what each route declared, for the steps that run outside its handler: the access
    // log below and the error filter.
    const controllers = this.discovery
      .getControllers()
      .map((wrapper) => wrapper.metatype)
      .filter((metatype): metatype is Type => typeof metatype === 'function');
    const quiet = routesDeclaring(controllers, isQuietInAccessLog);
    const ingestion = routesDeclaring(controllers, isIngestion);
    if (quiet.length > 0) consumer.apply(markRoutes({ quietAccessLog: true })).forRoutes(...quiet);
    if (ingestion.length > 0) consumer.apply(markRoutes({ ingestion: true })).forRoutes(...ingestion);
    consumer.apply(accessLog(this.rootLogger)).forRoutes(EVERY_ROUTE);
    // Every route, unknown ones included, and before any body is read.
    consumer.apply(SameOriginMiddleware).forRoutes(EVERY_ROUTE);
    consumer
      .apply(JsonBodyMiddleware)
      .forRoutes(AlertsController, DevicesController, EnrollmentController, AuthController);
  }
}
