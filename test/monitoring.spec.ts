import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { HttpReceiver } from '../apps/alert-server/test/support/receivers/http-receiver';
import { freePort } from './support/browser';
import {
  GrafanaDashboard,
  allPanels,
  dashboardQueries,
  renderDashboardPreview,
} from './support/grafana-dashboard';
import {
  PrometheusProcess,
  cleanupPrometheusProcesses,
  makePrometheusDir,
} from './support/prometheus-process';
import { Alert, Post, asOperator } from './support/security-post';
import { REPO_ROOT, cleanupServerProcesses, makeTempDir, request } from './support/server-process';

/**
 * What an operator monitoring Vigie runs, end to end: Debian's Prometheus scraping the real,
 * built alert server with the metrics token, loading the repository's alerting rules, and the
 * repository's Grafana dashboard whose every query must parse and have data. Grafana itself
 * cannot be installed here: the dashboard is checked through the PromQL it sends, and a preview
 * is drawn from Prometheus's answers (test-artifacts/grafana-vigie.png). Build first.
 */

const DASHBOARD_FILE = join(REPO_ROOT, 'deploy/grafana/vigie.json');
const PROMETHEUS_EXAMPLE = join(REPO_ROOT, 'deploy/prometheus/prometheus.example.yml');
const RULES_FILE = join(REPO_ROOT, 'deploy/prometheus/vigie-rules.yml');
const PREVIEW = join(REPO_ROOT, 'test-artifacts/grafana-vigie.png');
const METRICS_TOKEN = `metrics-${randomBytes(12).toString('hex')}`;
/** Prometheus scrapes and evaluates every second: the rules and rate() windows settle in seconds. */
const SCRAPE_S = 1;
const OFFLINE_AFTER_S = 2;

/** The metric families of the contract (§4), histograms by their series. */
const CONTRACT_METRICS = [
  'vigie_alerts_received_total',
  'vigie_alerts_duplicate_total',
  'vigie_alerts_rejected_total',
  'vigie_alert_ingest_duration_seconds_bucket',
  'vigie_alert_ingest_duration_seconds_count',
  'vigie_alert_transit_seconds_bucket',
  'vigie_alert_transit_seconds_count',
  'vigie_alert_clock_skew_total',
  'vigie_alerts_open',
  'vigie_alert_acknowledge_seconds_bucket',
  'vigie_alert_acknowledge_seconds_count',
  'vigie_devices',
  'vigie_device_last_seen_timestamp_seconds',
  'vigie_device_spool_depth',
  'vigie_notifications_total',
  'vigie_notification_delay_seconds_bucket',
  'vigie_notification_delay_seconds_count',
  'vigie_escalations_total',
  'vigie_device_feedback_streams',
];

/** The metrics of readiness and device state, added after the contract's first list. */
const STATE_METRICS = [
  'vigie_device_online',
  'vigie_device_enrolled_timestamp_seconds',
  'vigie_alerts_past_escalation',
  'vigie_ready',
];

/** Buttons that keep beating, and the one whose heartbeats stop in the offline test. */
const BEATING = ['pi-accueil', 'pi-entrepot'];
const SILENCED = 'pi-quai';

async function until<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  failure: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`after ${timeoutMs} ms: ${failure()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * The Prometheus configuration an operator gets from the repository's example, with only what
 * a test must change: the target (this server's port), the token file's path, the intervals,
 * the rule files' paths (made absolute: the example names them beside itself), and no
 * Alertmanager (none runs here).
 */
function configFromExample(target: string, tokenFile: string) {
  const config = parse(readFileSync(PROMETHEUS_EXAMPLE, 'utf8')) as {
    global?: Record<string, unknown>;
    rule_files?: string[];
    alerting?: unknown;
    scrape_configs: Array<{
      job_name: string;
      authorization?: { credentials_file?: string };
      static_configs?: Array<{ targets: string[] }>;
    }>;
  };
  const vigie = config.scrape_configs.find((job) => job.job_name === 'vigie');
  if (!vigie) throw new Error(`${PROMETHEUS_EXAMPLE} has no scrape job "vigie"`);
  if (!vigie.authorization?.credentials_file) {
    throw new Error(`${PROMETHEUS_EXAMPLE}: job vigie reads no credentials_file (the metrics token)`);
  }
  vigie.authorization.credentials_file = tokenFile;
  vigie.static_configs = [{ targets: [target] }];
  config.scrape_configs = [vigie];
  config.global = { ...config.global, scrape_interval: `${SCRAPE_S}s`, evaluation_interval: `${SCRAPE_S}s` };
  config.rule_files = (config.rule_files ?? []).map((file) => resolve(dirname(PROMETHEUS_EXAMPLE), file));
  delete config.alerting;
  return config;
}

/** Every metric name the dashboard may use: the contract's, those of readiness and device state, prom-client's. */
const KNOWN_METRICS = new Set([
  ...CONTRACT_METRICS.map((name) => name.replace(/_(bucket|count)$/, '')),
  ...STATE_METRICS,
  'process_resident_memory_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_eventloop_lag_p99_seconds',
]);

function readDashboard(): GrafanaDashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as GrafanaDashboard;
}

describe('deploy/grafana/vigie.json, as Grafana imports it', () => {
  const dashboard = readDashboard() as GrafanaDashboard & Record<string, unknown>;

  it('is the dashboard "Vigie" (uid vigie) asking for a Prometheus data source on import', () => {
    expect(dashboard).toMatchObject({ uid: 'vigie', title: 'Vigie' });
    expect(dashboard.__inputs).toEqual([
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }),
    ]);
    const variables = dashboard.templating.list;
    expect(variables.find((v) => v.name === 'datasource')).toMatchObject({
      type: 'datasource',
      query: 'prometheus',
    });
    expect(variables.find((v) => v.name === 'instance')).toMatchObject({
      type: 'query',
      definition: 'label_values(vigie_alerts_open, instance)',
      includeAll: true,
    });
  });

  it('sends every panel and query to the chosen data source, lays panels out without overlap', () => {
    const panels = allPanels(dashboard);
    const occupied = new Map<string, string>();
    for (const panel of panels) {
      // A panel with its own data source would ignore the variable and query the wrong server.
      expect({ panel: panel.title, datasource: panel.datasource }).toEqual({
        panel: panel.title,
        datasource: { type: 'prometheus', uid: '${datasource}' },
      });
      for (const target of panel.targets ?? []) {
        expect({ panel: panel.title, datasource: target.datasource }).toEqual({
          panel: panel.title,
          datasource: { type: 'prometheus', uid: '${datasource}' },
        });
      }
      const { x, y, w, h } = panel.gridPos;
      expect(x + w).toBeLessThanOrEqual(24);
      for (let row = y; row < y + h; row++) {
        for (let column = x; column < x + w; column++) {
          const other = occupied.get(`${row},${column}`);
          if (other)
            throw new Error(`panels "${other}" and "${panel.title}" overlap at row ${row}, column ${column}`);
          occupied.set(`${row},${column}`, panel.title);
        }
      }
    }
  });

  it('uses only the public metric names', () => {
    const unknown = dashboardQueries(dashboard).flatMap((q) =>
      [...q.expr.matchAll(/\b(?:vigie|process|nodejs)_\w+/g)]
        .map(([name]) => name.replace(/_(bucket|count|sum)$/, ''))
        .filter((name) => !KNOWN_METRICS.has(name))
        .map((name) => `panel "${q.panel}" ${q.refId}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it("replaces Grafana's variables as Grafana would, and refuses one it does not know", () => {
    const [first] = dashboardQueries(dashboard, { scrapeIntervalSeconds: 15 });
    expect(first.expr).not.toContain('$');
    const withRate = dashboardQueries(dashboard, { scrapeIntervalSeconds: 15 }).find((q) =>
      q.expr.includes('rate'),
    );
    expect(withRate?.expr).toMatch(/\[1m\]/);
    const withNewVariable = {
      ...dashboard,
      panels: [
        { ...dashboard.panels[1], targets: [{ refId: 'A', expr: 'vigie_alerts_open{site="$site"}' }] },
      ],
    };
    expect(() => dashboardQueries(withNewVariable)).toThrow(/unknown variable \$site/);
  });
});

afterAll(async () => {
  // Prometheus and the server are killed here whatever a test did, then their folders removed.
  await cleanupPrometheusProcesses();
  await cleanupServerProcesses();
});

describe('monitoring Vigie with Prometheus and the Grafana dashboard', () => {
  let post: Post;
  let prometheus: PrometheusProcess;
  let hook: HttpReceiver;
  /** The first scrape: where the preview's time range begins. */
  let startedAt: number;
  /** Ends the heartbeats of each button. */
  const stopBeating = new Map<string, () => void>();

  /** Heartbeats every 500 ms, twice per offline window: a live agent, never offline by the server's clock. */
  function beat(deviceId: string, spoolDepth: number): void {
    const once = async () => {
      const answer = await request(
        post.url,
        'PUT',
        `/devices/${deviceId}/heartbeat`,
        { agentVersion: '0.1.0', spoolDepth, uptimeSeconds: 60 },
        { headers: await post.authorization(deviceId) },
      );
      if (answer.status !== 204) throw new Error(`heartbeat ${deviceId}: ${answer.status} ${answer.text}`);
    };
    void once().catch(() => undefined);
    const timer = setInterval(() => void once().catch(() => undefined), 500);
    stopBeating.set(deviceId, () => clearInterval(timer));
  }

  /** What each device sent, for the retry below. */
  const sent = new Map<string, Record<string, string>>();

  async function postNew(deviceId: string, type: string): Promise<Alert> {
    // Triggered a moment before it arrives: the transit histogram observes a real delay.
    const body = {
      id: randomUUID(),
      deviceId,
      type,
      triggeredAt: new Date(Date.now() - 1_500).toISOString(),
    };
    const answer = await request(post.url, 'POST', '/alerts', body, {
      headers: await post.authorization(deviceId),
    });
    if (answer.status !== 201) throw new Error(`POST /alerts: ${answer.status} ${answer.text}`);
    sent.set(body.id, body);
    return answer.json as Alert;
  }

  beforeAll(async () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    hook = await HttpReceiver.start();
    // Nothing listens there: that channel's sends fail and are retried, as with a receiver down.
    const closedPort = await freePort();
    const notifyFile = join(makeTempDir(), 'notify.yml');
    writeFileSync(
      notifyFile,
      [
        'channels:',
        `  dispatch: { webhook: { url: "${hook.url('/vigie')}", secret: "\${HOOK_SECRET}" } }`,
        `  sirens: { webhook: { url: "http://127.0.0.1:${closedPort}/down", secret: "\${HOOK_SECRET}" } }`,
        'escalation:',
        '  - match: { type: [fire, intrusion, medical, panic, test] }',
        '    steps:',
        '      - { after: 0s, notify: [dispatch, sirens] }',
        '      - { after: 1s, notify: [dispatch] }',
      ].join('\n'),
    );
    post = await Post.start({
      VIGIE_AUTH: 'required',
      VIGIE_DEVICE_OFFLINE_AFTER_S: String(OFFLINE_AFTER_S),
      VIGIE_METRICS_TOKEN: METRICS_TOKEN,
      VIGIE_NOTIFY_FILE: notifyFile,
      HOOK_SECRET: secret,
    });
    // The tokens and the operator, made while Prometheus starts.
    const accounts = Promise.all([
      ...[...BEATING, SILENCED].map((id) => post.authorization(id)),
      post.operator('Marie'),
    ]);

    const dir = makePrometheusDir();
    const tokenFile = join(dir, 'vigie-metrics-token');
    writeFileSync(tokenFile, `${METRICS_TOKEN}\n`, { mode: 0o600 });
    const config = configFromExample(`127.0.0.1:${post.server.port}`, tokenFile);
    // The example must load the repository's rules: the offline test below relies on them.
    expect(config.rule_files).toEqual([RULES_FILE]);
    prometheus = await PrometheusProcess.start({ config, dir });
    await accounts;

    // A first scrape before the traffic: the counters' increase() then starts from their zeros.
    // (Prometheus's discovery hands targets over every 5 s: the first scrape comes that late.)
    await until(
      async () => ((await prometheus.targets())[0]?.health ?? 'unknown') !== 'unknown' || undefined,
      15_000,
      () => `no scrape of the server\n${prometheus.output()}`,
    );
    startedAt = Date.now() / 1000;
    for (const id of [...BEATING, SILENCED]) beat(id, id === 'pi-entrepot' ? 3 : 0);
    // Spread over a few scrapes: the preview's graphs then show a course, and the series a first
    // alert creates (an escalation step) are scraped before the next alert increments them.
    const alerts: Alert[] = [];
    for (const [deviceId, type] of [
      ['pi-accueil', 'fire'],
      ['pi-entrepot', 'intrusion'],
      ['pi-quai', 'medical'],
      ['pi-accueil', 'panic'],
      ['pi-entrepot', 'intrusion'],
    ]) {
      alerts.push(await postNew(deviceId, type));
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    // A retry of the first (a duplicate), and a refused one (a rejection).
    const retry = await request(post.url, 'POST', '/alerts', sent.get(alerts[0].id), {
      headers: await post.authorization(alerts[0].deviceId),
    });
    expect(retry.status).toBe(200);
    const refused = await request(
      post.url,
      'POST',
      '/alerts',
      { deviceId: 'pi-accueil', type: 'flood' },
      {
        headers: await post.authorization('pi-accueil'),
      },
    );
    expect(refused.status).toBe(400);
    // An operator acknowledges one: the response time's histogram gets its observation.
    const marie = await post.signIn('Marie');
    const ack = await asOperator(post, marie, 'POST', `/alerts/${alerts[1].id}/acknowledge`, {});
    expect(ack.status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    for (const stop of stopBeating.values()) stop();
    await hook?.close();
  });

  it('scrapes the server with the token of the credentials file: the target is up', async () => {
    // Without the token the server refuses: "up" below shows Prometheus sent it.
    expect((await request(post.url, 'GET', '/metrics')).status).toBe(401);
    const target = await until(
      async () => (await prometheus.targets()).find((t) => t.health === 'up'),
      10_000,
      () => `target not up\n${prometheus.output()}`,
    );
    expect(target).toMatchObject({ scrapePool: 'vigie', lastError: '' });
    expect(target.labels).toMatchObject({ job: 'vigie', instance: `127.0.0.1:${post.server.port}` });
  });

  it('has every metric of the contract and of readiness and device state in Prometheus once alerts, heartbeats and notifications happened', async () => {
    let missing: string[] = [];
    await until(
      async () => {
        const names = new Set(await prometheus.metricNames());
        missing = [...CONTRACT_METRICS, ...STATE_METRICS].filter((name) => !names.has(name));
        return missing.length === 0 || undefined;
      },
      15_000,
      () => `metrics missing from Prometheus: ${missing.join(', ')}`,
    );
  });

  it('answers every query of deploy/grafana/vigie.json with data', async () => {
    const dashboard = readDashboard();
    const queries = dashboardQueries(dashboard, { scrapeIntervalSeconds: SCRAPE_S, rangeSeconds: 300 });
    expect(queries.length).toBeGreaterThan(20);
    // A parse error throws at once (with Prometheus's message); an empty answer is polled, as
    // some series appear a scrape or two after the traffic (a retry, an escalation step).
    const empty = new Map(queries.map((q) => [`${q.panel} / ${q.refId}`, q.expr]));
    await until(
      async () => {
        await Promise.all(
          queries.map(async (q) => {
            const key = `${q.panel} / ${q.refId}`;
            if (!empty.has(key)) return;
            const result = await prometheus.query(q.expr).catch((error: Error) => {
              throw new Error(`panel "${q.panel}" ${q.refId}: ${error.message}`);
            });
            if (result.length > 0) empty.delete(key);
          }),
        );
        return empty.size === 0 || undefined;
      },
      15_000,
      () =>
        `queries with no data:\n${[...empty].map(([where, expr]) => `  panel ${where}: ${expr}`).join('\n')}`,
    );
  });

  it('fires VigieDeviceOffline for a button that stops its heartbeats, not for those still beating', async () => {
    const offline = async () =>
      (await prometheus.alerts()).filter((a) => a.labels.alertname === 'VigieDeviceOffline');
    // Every button beats for as long as a silent one takes to fire (offline after
    // OFFLINE_AFTER_S, then a scrape and an evaluation, and one more of each as margin):
    // nothing pending, nothing firing.
    await new Promise((resolve) => setTimeout(resolve, (OFFLINE_AFTER_S + 4 * SCRAPE_S) * 1000));
    expect((await offline()).map((a) => `${a.labels.device} ${a.state}`)).toEqual([]);

    stopBeating.get(SILENCED)!();
    const fired = await until(
      async () => (await offline()).find((a) => a.state === 'firing' && a.labels.device === SILENCED),
      (OFFLINE_AFTER_S + 10) * 1000,
      () => `VigieDeviceOffline not firing for ${SILENCED}\n${prometheus.output()}`,
    );
    expect(fired.labels).toMatchObject({ job: 'vigie', device: SILENCED });
    // The others still beat: no alert names them.
    const devices = (await offline()).map((a) => a.labels.device);
    expect(devices).toEqual([SILENCED]);
  });

  it('renders a preview of the dashboard from the same queries to test-artifacts/grafana-vigie.png', async () => {
    const dashboard = readDashboard();
    await renderDashboardPreview({
      prometheusUrl: prometheus.url,
      dashboard,
      file: PREVIEW,
      start: Math.floor(startedAt),
      end: Math.ceil(Date.now() / 1000),
      step: SCRAPE_S,
      scrapeIntervalSeconds: SCRAPE_S,
    });
    expect(statSync(PREVIEW).size).toBeGreaterThan(20_000);
  });

  it('shows the server NOT READY on the dashboard once Prometheus cannot scrape it', async () => {
    // Last: it stops the server. The stat must not fall to "No data" when it matters most.
    const ready = dashboardQueries(readDashboard(), { scrapeIntervalSeconds: SCRAPE_S }).find(
      (q) => q.panel === 'Server ready',
    )!;
    expect((await prometheus.query(ready.expr)).map((s) => s.value?.[1])).toEqual(['1']);
    await post.server.stop();
    await until(
      async () =>
        (await prometheus.query(ready.expr)).map((s) => s.value?.[1]).join() === '0' ? true : undefined,
      10_000,
      () => `"${ready.expr}" still not 0 with the server stopped`,
    );
  });
});
