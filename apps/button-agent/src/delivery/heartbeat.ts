import { AxiosInstance } from 'axios';
import { codeForStatus, describeCode } from '../diagnostics/error-codes';
import { AgentLogger } from '../logging/agent-logger';
import type { FeedbackReport } from '../feedback/feedback.service';
import { Spool } from '../spool/spool';
import { agentVersion, networkErrorCode } from './http-client';

/**
 * Tells the server this device is alive every `VIGIE_HEARTBEAT_S`, with its spool depth, so
 * the security post sees a silent Pi go offline and a backlog build up.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private beatAgain = false;
  private lastFailureCode: string | null = null;
  private readonly startedAt = Date.now();

  constructor(
    private readonly http: AxiosInstance,
    private readonly spool: Spool,
    private readonly logger: AgentLogger,
    private readonly options: {
      deviceId: string;
      location: string | null;
      periodSeconds: number;
      /** Told of each outcome: null when the server took the heartbeat, else the failure's code. */
      onResult?: (code: string | null) => void;
      /** What the button showed, sent with the heartbeat; `reported` once the server took it. */
      feedback?: { reports(): FeedbackReport[]; reported(sent: readonly FeedbackReport[]): void };
    },
  ) {}

  start(): void {
    if (this.timer) return;
    this.beat();
    this.timer = setInterval(() => this.beat(), this.options.periodSeconds * 1000);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  /** Sends one heartbeat now, or right after the one on its way (which may lack the newest report). */
  beat(): void {
    if (this.inFlight) {
      this.beatAgain = true;
      return;
    }
    this.inFlight = this.send().finally(() => {
      this.inFlight = null;
      if (this.beatAgain && this.timer) {
        this.beatAgain = false;
        this.beat();
      }
    });
  }

  private async send(): Promise<void> {
    const body = {
      ...(this.options.location ? { location: this.options.location } : {}),
      agentVersion: agentVersion(),
      spoolDepth: await this.spool.depth().catch(() => undefined),
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
    };
    const reports = this.options.feedback?.reports() ?? [];
    if (reports.length > 0) Object.assign(body, { feedback: reports });
    let code: string | null;
    try {
      const path = `/devices/${encodeURIComponent(this.options.deviceId)}/heartbeat`;
      const response = await this.http.put(path, body);
      code = response.status >= 200 && response.status < 300 ? null : codeForStatus(response.status);
    } catch (error) {
      code = networkErrorCode(error);
    }
    this.report(code);
    if (code === null && reports.length > 0) this.options.feedback?.reported(reports);
    this.options.onResult?.(code);
  }

  /** Logs a failure when it starts or changes, and the recovery, not every beat of an outage. */
  private report(code: string | null): void {
    if (code === this.lastFailureCode) return;
    if (code === null) {
      this.logger.info(
        { event: 'heartbeat.recovered', previousCode: this.lastFailureCode },
        'heartbeats reach the server again',
      );
    } else {
      const { meaning, check } = describeCode(code);
      this.logger.warn(
        { event: 'heartbeat.failed', code, meaning, check },
        `heartbeat failed (${code}): ${meaning}`,
      );
    }
    this.lastFailureCode = code;
  }
}
