import { AgentLogger } from '../logging/agent-logger';
import { ButtonEdge, ButtonInput, DriverProbe } from './button-input';
import { ClockReading, agentTimeOf } from './event-time';
import { GpioUnavailableError } from './gpio-unavailable.error';
import { DEFAULT_GPIOD_COMMANDS, GpiodCommands, describeGpiodSetup, findGpiodSetup } from './gpiod-setup';
import { GpiomonPlan, planGpiomon } from './gpiomon-command';
import { GpiomonEdge } from './gpiomon-output';
import { DEFAULT_RESTART_POLICY, GpiomonProcess, RestartPolicy } from './gpiomon-process';

export interface GpiodDriverOptions {
  commands?: GpiodCommands;
  restart?: RestartPolicy;
  /** v1 prints nothing when its lines are requested: alive this long counts as watching. */
  v1ReadyAfterMs?: number;
}

/**
 * Buttons read through `gpiomon` (Debian package `gpiod`), which uses the GPIO character
 * device: works on every Pi and kernel, with the pull-up set by the request itself.
 */
export class GpiodDriver implements ButtonInput {
  readonly name = 'gpiod';
  private processes: GpiomonProcess[] = [];
  private running = false;

  constructor(
    private readonly logger: AgentLogger,
    private readonly options: GpiodDriverOptions = {},
  ) {}

  async start(pins: readonly number[], onEdge: (edge: ButtonEdge) => void): Promise<void> {
    const commands = this.options.commands ?? DEFAULT_GPIOD_COMMANDS;
    const setup = await findGpiodSetup(pins, commands);
    this.logger.info({ driver: this.name, detail: describeGpiodSetup(setup) }, 'gpiod: lines found');
    this.running = true;
    this.processes = planGpiomon(setup.version, setup.lines).map((plan) => {
      const watcher = new PlanWatcher(plan, onEdge, () => this.running);
      return new GpiomonProcess({
        command: commands.gpiomon,
        args: plan.args,
        logger: this.logger,
        onEdge: (edge, clocks) => watcher.edge(edge, clocks),
        onRunEnded: () => watcher.forgetHeld(),
        readyOnBanner: setup.version.major >= 2,
        readyAfterMs: this.options.v1ReadyAfterMs ?? 300,
        restart: this.options.restart ?? DEFAULT_RESTART_POLICY,
      });
    });
    try {
      await Promise.all(this.processes.map((process) => process.start()));
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.processes.map((process) => process.stop()));
    this.processes = [];
  }
}

/** Turns one gpiomon's edges into button edges for the pins it watches. */
class PlanWatcher {
  private readonly lastEdge = new Map<number, { kind: 'down' | 'up'; at: number }>();

  constructor(
    private readonly plan: GpiomonPlan,
    private readonly onEdge: (edge: ButtonEdge) => void,
    private readonly isRunning: () => boolean,
  ) {}

  edge(event: GpiomonEdge, clocks: ClockReading): void {
    const line = this.plan.lines.find((candidate) =>
      event.name !== null ? candidate.name === event.name : candidate.offset === event.offset,
    );
    if (!line || !this.isRunning()) return;
    // Active-low with pull-up: the contact pulls the line to ground, so falling = pressed.
    const kind = event.edge === 'falling' ? 'down' : 'up';
    const previous = this.lastEdge.get(line.pin);
    // Kernel stamps are ordered per line; the max only guards the fallback to receipt time.
    const at = Math.max(agentTimeOf(event.seconds, clocks), previous?.at ?? Number.NEGATIVE_INFINITY);
    this.lastEdge.set(line.pin, { kind, at });
    this.onEdge({ pin: line.pin, kind, at });
  }

  /**
   * gpiomon died: an edge may be lost while none runs. A button last seen down is reported
   * up, so that the press logic does not wait for a release it may never see and the next
   * press counts.
   */
  forgetHeld(): void {
    if (!this.isRunning()) return;
    for (const [pin, last] of this.lastEdge) {
      if (last.kind !== 'down') continue;
      const at = Math.max(performance.now(), last.at);
      this.lastEdge.set(pin, { kind: 'up', at });
      this.onEdge({ pin, kind: 'up', at });
    }
  }
}

/** For `auto` and `doctor`: gpiomon present, a version we know, every pin's line found. */
export function gpiodProbe(
  pins: readonly number[],
  commands: GpiodCommands = DEFAULT_GPIOD_COMMANDS,
): DriverProbe {
  return {
    name: 'gpiod',
    async available() {
      try {
        return { ok: true, detail: describeGpiodSetup(await findGpiodSetup(pins, commands)) };
      } catch (error) {
        if (error instanceof GpioUnavailableError)
          return { ok: false, reason: error.message, code: error.code };
        throw error;
      }
    },
  };
}
