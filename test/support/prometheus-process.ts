import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './browser';
import { Started, WatchedProcess } from './watched-process';

/**
 * Debian's Prometheus (the `prometheus` package, 2.42) as a real child process, for the specs
 * that check what operators will run against Vigie: the scrape with its bearer token, the
 * alerting rules and the dashboard's queries. Its output is drained and kept by the shared
 * harness of watched-process.ts, so a failure shows Prometheus's own log lines.
 */
export const PROMETHEUS_PATH = process.env.VIGIE_PROMETHEUS_PATH ?? '/usr/bin/prometheus';

export interface PrometheusTarget {
  scrapePool: string;
  scrapeUrl: string;
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

export interface PrometheusAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt: string;
  value: string;
}

/** One series of an instant query (`value`) or a range query (`values`): [unix seconds, "text"]. */
export interface PrometheusSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

interface ApiAnswer<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}

const started = new Started<PrometheusProcess>();

/** A temp folder (for the config, the token file, the TSDB) removed by `cleanupPrometheusProcesses`. */
export function makePrometheusDir(): string {
  return started.tempDir('vigie-prometheus-');
}

export interface PrometheusStartOptions {
  /** The configuration, written as YAML to `prometheus.yml` in `dir`. */
  config: Record<string, unknown>;
  /** Where the config and the TSDB go; default a fresh `makePrometheusDir()`. */
  dir?: string;
  readyTimeoutMs?: number;
}

/**
 * One Prometheus. `stop()` (SIGTERM, then SIGKILL past its timeout) and `kill()` come from
 * WatchedProcess; `cleanupPrometheusProcesses` in afterAll kills what a failed test left running.
 */
export class PrometheusProcess extends WatchedProcess {
  private constructor(
    child: ChildProcess,
    readonly url: string,
    readonly dir: string,
  ) {
    super(child, 'prometheus');
  }

  /** Starts Prometheus on a free loopback port and resolves once `/-/ready` answers 200. */
  static async start(options: PrometheusStartOptions): Promise<PrometheusProcess> {
    if (!existsSync(PROMETHEUS_PATH)) {
      throw new Error(`${PROMETHEUS_PATH} is missing: apt-get install -y prometheus`);
    }
    const dir = options.dir ?? makePrometheusDir();
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, stringify(options.config));
    const storage = join(dir, 'tsdb');
    mkdirSync(storage, { recursive: true });
    const port = await freePort();
    const child = spawn(
      PROMETHEUS_PATH,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${storage}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // No console templates or libraries are needed; Debian's defaults point at /etc.
        `--web.console.templates=${dir}`,
        `--web.console.libraries=${dir}`,
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const prometheus = started.track(new PrometheusProcess(child, `http://127.0.0.1:${port}`, dir));
    try {
      await prometheus.waitReady(options.readyTimeoutMs ?? 20_000);
    } catch (error) {
      await prometheus.kill('SIGKILL');
      throw error;
    }
    return prometheus;
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exitResult) throw new Error(`prometheus exited before it was ready\n${this.output()}`);
      try {
        const answer = await fetch(`${this.url}/-/ready`);
        if (answer.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`prometheus not ready within ${timeoutMs} ms\n${this.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** GET on the HTTP API; throws with Prometheus's own error text (a PromQL parse error, say). */
  async api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const url = new URL(`/api/v1/${path}`, this.url);
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    const answer = await fetch(url);
    const body = (await answer.json()) as ApiAnswer<T>;
    if (body.status !== 'success') {
      throw new Error(`prometheus ${path} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`);
    }
    return body.data as T;
  }

  /** An instant query: the result's series (a vector; a scalar comes back as one series). */
  async query(expr: string, time?: number): Promise<PrometheusSeries[]> {
    const data = await this.api<{ resultType: string; result: unknown }>('query', {
      query: expr,
      ...(time === undefined ? {} : { time: String(time) }),
    });
    if (data.resultType === 'scalar' || data.resultType === 'string') {
      return [{ metric: {}, value: data.result as [number, string] }];
    }
    return data.result as PrometheusSeries[];
  }

  async queryRange(expr: string, start: number, end: number, step: number): Promise<PrometheusSeries[]> {
    const data = await this.api<{ result: PrometheusSeries[] }>('query_range', {
      query: expr,
      start: String(start),
      end: String(end),
      step: String(step),
    });
    return data.result;
  }

  async targets(): Promise<PrometheusTarget[]> {
    return (await this.api<{ activeTargets: PrometheusTarget[] }>('targets')).activeTargets;
  }

  async alerts(): Promise<PrometheusAlert[]> {
    return (await this.api<{ alerts: PrometheusAlert[] }>('alerts')).alerts;
  }

  /** Every metric name Prometheus has a series of. */
  metricNames(): Promise<string[]> {
    return this.api<string[]>('label/__name__/values');
  }
}

/** Kills every Prometheus still running and removes their folders: call in afterAll. */
export function cleanupPrometheusProcesses(): Promise<void> {
  return started.cleanup();
}
