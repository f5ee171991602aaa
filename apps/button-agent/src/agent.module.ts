import { DynamicModule, Module } from '@nestjs/common';
import type { AxiosInstance } from 'axios';
import { ButtonsService } from './buttons/buttons.service';
import { DoctorCommand } from './doctor/doctor.command';
import { RunCommand } from './commands/run.command';
import { SendCommand } from './commands/send.command';
import { AGENT_CONFIG, AgentConfig } from './config/agent-config';
import { AlertSender } from './delivery/alert-sender';
import { Delivery } from './delivery/delivery';
import { Heartbeat } from './delivery/heartbeat';
import { SERVER_HTTP, createServerClient } from './delivery/http-client';
import { Feedback } from './feedback/feedback.service';
import { FeedbackTracker } from './feedback/feedback-tracker';
import { ServerEvents } from './feedback/server-events';
import { AGENT_LOGGER, AgentLogger, createAgentLogger } from './logging/agent-logger';
import { Spool } from './spool/spool';

export const ON_FATAL = Symbol('ON_FATAL');

/** The agent's parts, wired once from the validated configuration. */
@Module({})
export class AgentModule {
  static forRoot(config: AgentConfig, onFatal: (error: unknown) => void): DynamicModule {
    const logger = createAgentLogger(config);
    return {
      module: AgentModule,
      providers: [
        { provide: AGENT_CONFIG, useValue: config },
        { provide: AGENT_LOGGER, useValue: logger },
        { provide: ON_FATAL, useValue: onFatal },
        { provide: SERVER_HTTP, useFactory: () => createServerClient(config) },
        {
          provide: Spool,
          useFactory: () =>
            new Spool(config.spoolDir, ({ file, reason }) =>
              logger.error(
                { code: 'SPOOL_FILE_UNREADABLE', file, reason },
                `spool file set aside: ${reason}`,
              ),
            ),
        },
        {
          provide: AlertSender,
          inject: [SERVER_HTTP],
          useFactory: (http: AxiosInstance) => new AlertSender(http),
        },
        {
          provide: Feedback,
          useFactory: () =>
            new Feedback(new FeedbackTracker(config.silentTypes), logger.child({ component: 'feedback' })),
        },
        {
          provide: ServerEvents,
          inject: [SERVER_HTTP, Feedback],
          useFactory: (http: AxiosInstance, feedback: Feedback) =>
            new ServerEvents(
              http,
              logger.child({ component: 'feedback' }),
              { deviceId: config.deviceId, retryBaseMs: config.retryBaseMs, retryMaxMs: config.retryMaxMs },
              feedback,
            ),
        },
        {
          provide: Delivery,
          inject: [Spool, AlertSender, Feedback],
          useFactory: (spool: Spool, sender: AlertSender, feedback: Feedback) =>
            new Delivery(
              spool,
              sender,
              logger.child({ component: 'delivery' }),
              { retryBaseMs: config.retryBaseMs, retryMaxMs: config.retryMaxMs },
              {
                accepted: (alert) => feedback.accepted(alert.id, alert.type),
                rejected: (alert) => feedback.rejected(alert.id),
              },
            ),
        },
        {
          provide: Heartbeat,
          inject: [SERVER_HTTP, Spool, Feedback],
          useFactory: (http: AxiosInstance, spool: Spool, feedback: Feedback) =>
            new Heartbeat(http, spool, logger.child({ component: 'heartbeat' }), {
              deviceId: config.deviceId,
              location: config.location,
              periodSeconds: config.heartbeatSeconds,
              onResult: (code) => feedback.heartbeat(code),
              feedback,
            }),
        },
        {
          provide: ButtonsService,
          inject: [Spool, Delivery, Feedback],
          useFactory: (spool: Spool, delivery: Delivery, feedback: Feedback) =>
            new ButtonsService(
              config,
              spool,
              delivery,
              logger.child({ component: 'buttons' }),
              onFatal,
              (alertId, type) => feedback.spooled(alertId, type),
            ),
        },
        RunCommand,
        SendCommand,
        DoctorCommand,
      ],
    };
  }
}

export type { AgentLogger };
