import { ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Started, WatchedProcess } from '../../../../../test/support/watched-process';
import { unusedPort } from './http-receiver';

export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';

/** Routes everything to a receiver that notifies nobody: the tests read alerts through the API. */
const CONFIG = `route:
  receiver: 'null'
receivers:
  - name: 'null'
`;

/** An alert as `GET /api/v2/alerts` returns it (the fields the tests read). */
export interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
  status: { state: string };
}

/**
 * Debian's real Alertmanager on a free loopback port, with its own config and storage in a temp
 * folder and clustering off (no gossip port, no waiting for peers).
 */
export class AlertmanagerProcess extends WatchedProcess {
  private constructor(
    child: ChildProcess,
    readonly url: string,
  ) {
    super(child, 'alertmanager');
  }

  /** Starts it and resolves once `/-/ready` answers 200; `started` ends it and removes its folder. */
  static async start(
    started: Started<AlertmanagerProcess>,
    timeoutMs = 20_000,
  ): Promise<AlertmanagerProcess> {
    const dir = started.tempDir('vigie-alertmanager-');
    const config = join(dir, 'alertmanager.yml');
    writeFileSync(config, CONFIG);
    const port = await unusedPort();
    const child = spawn(
      ALERTMANAGER_BIN,
      [
        `--config.file=${config}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const alertmanager = started.track(new AlertmanagerProcess(child, `http://127.0.0.1:${port}`));
    await alertmanager.waitUntilReady(timeoutMs);
    return alertmanager;
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exitResult) throw new Error(`alertmanager exited before it was ready\n${this.output()}`);
      try {
        const response = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(1000) });
        await response.body?.cancel();
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`alertmanager not ready within ${timeoutMs} ms\n${this.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The alerts it holds that are active (neither ended, silenced nor inhibited). */
  async activeAlerts(): Promise<GettableAlert[]> {
    const response = await fetch(`${this.url}/api/v2/alerts?active=true&silenced=false&inhibited=false`);
    if (!response.ok)
      throw new Error(`GET /api/v2/alerts: HTTP ${response.status}: ${await response.text()}`);
    return (await response.json()) as GettableAlert[];
  }
}
