import { Inject, Injectable } from '@nestjs/common';
import { AxiosInstance } from 'axios';
import { AGENT_CONFIG, AgentConfig } from '../config/agent-config';
import { probeDrivers } from '../gpio/select-driver';
import { AGENT_LOGGER, AgentLogger } from '../logging/agent-logger';
import { EXIT } from '../commands/exit-codes';
import { SERVER_HTTP } from '../delivery/http-client';
import {
  CheckResult,
  checkCredentials,
  checkHealth,
  checkNameResolution,
  checkSpool,
  checkTcp,
  notTried,
} from './doctor-checks';
import { blinkOnce, feedbackLine } from './doctor-feedback';

/** Prints one line per step: `OK` or `FAIL`, the step, and on failure the code, its meaning, what to try. */
export function formatCheck(result: CheckResult): string {
  return `${result.ok ? 'OK  ' : 'FAIL'} ${result.step.padEnd(12)} ${result.detail}`;
}

export function configurationLine(config: AgentConfig): CheckResult {
  const buttons = config.buttons.map((b) => `${b.pin}:${b.type}${b.label ? `:${b.label}` : ''}`).join(',');
  return {
    step: 'config',
    ok: true,
    detail: `server ${config.serverUrl.origin}, device ${config.deviceId}, buttons ${buttons}, driver ${config.gpioDriver}${config.deviceToken ? ', token set' : ', no token'}`,
  };
}

/**
 * `doctor`: configuration, GPIO access, name resolution, TCP reach, HTTP health and
 * credentials, in the order a technician would check them, with the feedback settings. Exit 0
 * when all pass.
 */
@Injectable()
export class DoctorCommand {
  constructor(
    @Inject(AGENT_CONFIG) private readonly config: AgentConfig,
    @Inject(AGENT_LOGGER) private readonly logger: AgentLogger,
    @Inject(SERVER_HTTP) private readonly http: AxiosInstance,
  ) {}

  /** With `blink`, lights the status light once at the end (`doctor --blink`). */
  async run(print: (line: string) => void, { blink = false }: { blink?: boolean } = {}): Promise<number> {
    const results: CheckResult[] = [];
    const report = (result: CheckResult) => {
      results.push(result);
      print(formatCheck(result));
    };
    report(configurationLine(this.config));
    report(feedbackLine(this.config));
    for (const probe of await probeDrivers(this.config, this.logger)) report(probe);
    const dns = await checkNameResolution(this.config);
    report(dns);
    const tcp = dns.address
      ? await checkTcp(this.config, dns.address)
      : notTried('tcp', 'the name did not resolve');
    report(tcp);
    const http = tcp.ok ? await checkHealth(this.http) : notTried('http', 'no TCP connection');
    report(http);
    report(
      tcp.ok ? await checkCredentials(this.http, this.config) : notTried('credentials', 'no TCP connection'),
    );
    report(await checkSpool(this.config));
    if (blink) report(await blinkOnce(this.config, this.logger.child({ component: 'feedback' })));
    return results.every((result) => result.ok) ? EXIT.OK : EXIT.FAILURE;
  }
}
