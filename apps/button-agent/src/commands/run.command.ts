import { Inject, Injectable } from '@nestjs/common';
import { ButtonsService } from '../buttons/buttons.service';
import { AGENT_CONFIG, AgentConfig } from '../config/agent-config';
import { Delivery } from '../delivery/delivery';
import { Heartbeat } from '../delivery/heartbeat';
import { agentVersion } from '../delivery/http-client';
import { Feedback } from '../feedback/feedback.service';
import { FeedbackOutput } from '../feedback/feedback-output';
import { createFeedbackOutput } from '../feedback/select-feedback-output';
import { ServerEvents } from '../feedback/server-events';
import { ButtonInput } from '../gpio/button-input';
import { GpioUnavailableError } from '../gpio/gpio-unavailable.error';
import { selectDriver } from '../gpio/select-driver';
import { describeCode } from '../diagnostics/error-codes';
import { AGENT_LOGGER, AgentLogger } from '../logging/agent-logger';
import { Spool } from '../spool/spool';
import { EXIT } from './exit-codes';

/** `run`: watch the buttons, deliver the spool, send heartbeats, until SIGTERM or SIGINT. */
@Injectable()
export class RunCommand {
  constructor(
    @Inject(AGENT_CONFIG) private readonly config: AgentConfig,
    @Inject(AGENT_LOGGER) private readonly logger: AgentLogger,
    private readonly spool: Spool,
    private readonly buttons: ButtonsService,
    private readonly delivery: Delivery,
    private readonly heartbeat: Heartbeat,
    private readonly feedback: Feedback,
    private readonly serverEvents: ServerEvents,
  ) {}

  async run(stopSignal: Promise<NodeJS.Signals>): Promise<number> {
    await this.spool.init();
    await this.spool.sweepTemporaryFiles();
    // What the button shows starts from what earlier runs left in the spool; the device stream
    // then tells where the alerts already stored stand.
    for (const alert of await this.spool.pending()) this.feedback.spooled(alert.id, alert.type);
    // A state shown goes to the alert's timeline with a heartbeat sent at once.
    this.feedback.onReport = () => this.heartbeat.beat();
    this.feedback.start();
    // Delivery starts before the buttons: what earlier runs spooled goes out first.
    this.delivery.start();
    this.heartbeat.start();
    this.serverEvents.start();
    let stopping = false;
    const watching = this.watchButtons(() => stopping);
    // Beside the buttons, not before them: a light that is slow to come never delays a press.
    const output = this.startOutput().then((started) => {
      this.feedback.useOutput(started);
      return started;
    });
    this.logger.info(
      {
        event: 'agent.ready',
        version: agentVersion(),
        buttons: this.config.buttons,
        server: this.config.serverUrl.origin,
        spoolDir: this.config.spoolDir,
        spoolDepth: await this.spool.depth(),
      },
      'button agent ready',
    );

    const signal = await stopSignal;
    stopping = true;
    this.wakeRetry?.();
    this.logger.info({ event: 'agent.stopping', signal }, 'stopping: finishing the delivery in flight');
    const input = await watching;
    await input?.stop();
    await this.buttons.stop();
    await this.serverEvents.stop();
    await this.heartbeat.stop();
    await this.delivery.stop();
    this.feedback.stop();
    await (await output)?.stop().catch(() => undefined);
    this.logger.info(
      { event: 'agent.stopped', spoolDepth: await this.spool.depth() },
      'button agent stopped',
    );
    return EXIT.OK;
  }

  private wakeRetry: (() => void) | null = null;

  /**
   * The light and buzzer (or the terminal), in the buttons' driver family. One that cannot start
   * is logged and left out: the person sees nothing, but every alert still goes out.
   */
  private async startOutput(): Promise<FeedbackOutput | null> {
    const logger = this.logger.child({ component: 'feedback' });
    const output = await createFeedbackOutput(this.config, this.config.gpioDriver, logger);
    if (!output) return null;
    try {
      await output.start();
      return output;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      logger.error(
        { code: typeof code === 'string' ? code : 'FEEDBACK_UNAVAILABLE', driver: output.name, err: error },
        `the status light and buzzer cannot be driven (${output.name}): ${(error as Error).message}`,
      );
      return null;
    }
  }

  /**
   * Starts the buttons, retrying while the GPIO cannot be opened (a line busy, gpiomon not
   * installed yet): spooled alerts keep going out meanwhile, and every failure is logged with
   * its precise code so the technician sees why the buttons are not watched.
   */
  private async watchButtons(stopping: () => boolean): Promise<ButtonInput | null> {
    for (let attempt = 0; !stopping(); attempt++) {
      let input: ButtonInput | null = null;
      try {
        input = await selectDriver(this.config, this.logger.child({ component: 'gpio' }));
        await this.buttons.start(input);
        this.logger.info(
          { event: 'buttons.watching', driver: input.name },
          `watching the buttons with ${input.name}`,
        );
        return input;
      } catch (error) {
        await input?.stop().catch(() => undefined);
        const code = error instanceof GpioUnavailableError ? error.code : 'GPIO_UNAVAILABLE';
        const retryInMs = Math.min(60_000, 2000 * 2 ** attempt);
        const { meaning, check } = describeCode(code);
        this.logger.error(
          { code, err: error, meaning, check, retryInMs },
          'the buttons cannot be watched; spooled alerts are still delivered',
        );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, retryInMs);
          this.wakeRetry = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
    return null;
  }
}
