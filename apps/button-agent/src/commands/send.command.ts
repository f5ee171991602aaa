import { Inject, Injectable } from '@nestjs/common';
import { ALERT_TYPES, AlertType } from '@app/contracts/wire';
import { alertForPress } from '../buttons/alert-factory';
import { AGENT_CONFIG, AgentConfig } from '../config/agent-config';
import { Delivery } from '../delivery/delivery';
import { AGENT_LOGGER, AgentLogger } from '../logging/agent-logger';
import { Spool } from '../spool/spool';
import { EXIT } from './exit-codes';

export const DEFAULT_SEND_WAIT_SECONDS = 10;

export interface SendArguments {
  type: AlertType;
  message?: string;
  waitSeconds: number;
}

export class UsageError extends Error {}

/** `send TYPE [--message TEXT] [--wait SECONDS]`, as written on the command line. */
export function parseSendArguments(args: readonly string[]): SendArguments {
  const [type, ...rest] = args;
  if (!type || !(ALERT_TYPES as readonly string[]).includes(type)) {
    throw new UsageError(`send needs an alert type: one of ${ALERT_TYPES.join(', ')}`);
  }
  const parsed: SendArguments = { type: type as AlertType, waitSeconds: DEFAULT_SEND_WAIT_SECONDS };
  for (let i = 0; i < rest.length; i++) {
    const [flag, inlineValue] = rest[i].split(/=(.*)/s, 2);
    const value = inlineValue ?? rest[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    if (flag === '--message') {
      if (value.length > 500) throw new UsageError('--message must be at most 500 characters');
      parsed.message = value;
    } else if (flag === '--wait') {
      if (!/^\d+(\.\d+)?$/.test(value) || Number(value) > 86_400) {
        throw new UsageError('--wait must be a number of seconds from 0 to 86400');
      }
      parsed.waitSeconds = Number(value);
    } else {
      throw new UsageError(`unknown option ${flag}: send TYPE [--message TEXT] [--wait SECONDS]`);
    }
  }
  return parsed;
}

/**
 * `send`: raises one alert through the spool, exactly as a press would, then tries to deliver
 * it for up to `--wait` seconds. Exit 0 once accepted; 75 when safely spooled but not yet
 * delivered (a running agent, or the next run, delivers it); 1 if the server refused it.
 */
@Injectable()
export class SendCommand {
  constructor(
    @Inject(AGENT_CONFIG) private readonly config: AgentConfig,
    @Inject(AGENT_LOGGER) private readonly logger: AgentLogger,
    private readonly spool: Spool,
    private readonly delivery: Delivery,
  ) {}

  async run(args: SendArguments, stopSignal: Promise<NodeJS.Signals>): Promise<number> {
    await this.spool.init();
    const alert = alertForPress(this.config, { type: args.type, message: args.message });
    await this.spool.add(alert);
    this.logger.info({ event: 'alert.spooled', alertId: alert.id, type: alert.type }, 'alert spooled');

    const deadline = Date.now() + args.waitSeconds * 1000;
    const result = await Promise.race([
      this.delivery.deliverUntil(alert, deadline),
      stopSignal.then(() => 'pending' as const),
    ]);
    if (result === 'accepted') return EXIT.OK;
    if (result === 'rejected') return EXIT.FAILURE;
    this.logger.warn(
      { event: 'alert.pending', alertId: alert.id, spoolDir: this.config.spoolDir },
      'alert safely spooled but not delivered yet: a running agent, or the next run, delivers it',
    );
    return EXIT.SPOOLED;
  }
}
