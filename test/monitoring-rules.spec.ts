import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

/**
 * Vigie's Prometheus rules (deploy/prometheus): promtool accepts them and their unit tests pass,
 * every alert carries what an on-call person needs (severity, summary, description, runbook) and
 * is tested both firing and not yet firing, and the example Prometheus config loads them under
 * the job name they select. promtool comes with Debian's `prometheus` package.
 */
const root = join(__dirname, '..');
const folder = join(root, 'deploy/prometheus');
const rulesFile = join(folder, 'vigie-rules.yml');
const testsFile = join(folder, 'vigie-rules.test.yml');
const exampleFile = join(folder, 'prometheus.example.yml');
/** Where the example expects the metrics token; promtool check config wants that file to exist. */
const tokenPath = '/etc/prometheus/vigie-metrics-token';

/** The alerts the README documents, one `#### <name>` section each: renaming one breaks its runbook link. */
const ALERTS = [
  'VigieDeviceOffline',
  'VigieDeviceNeverSeen',
  'VigieAlertPastEscalation',
  'VigieDeviceSpoolGrowing',
  'VigieNotificationsFailing',
  'VigieNotReady',
  'VigieScrapeFailing',
];

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: Array<{ name: string; rules: Rule[] }>;
}
interface TestFile {
  rule_files: string[];
  evaluation_interval: string;
  tests: Array<{
    name: string;
    alert_rule_test?: Array<{ eval_time: string; alertname: string; exp_alerts: unknown[] | null }>;
    promql_expr_test?: Array<{ expr: string; eval_time: string; exp_samples: unknown[] }>;
  }>;
}
interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  authorization?: { type?: string; credentials_file?: string };
  static_configs?: Array<{ targets: string[] }>;
}
interface PrometheusConfig {
  rule_files: string[];
  scrape_configs: ScrapeConfig[];
  alerting?: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
}

function load<T>(file: string): T {
  return parse(readFileSync(file, 'utf8')) as T;
}

/** A Prometheus duration (`5m`, `24h10m`) in seconds. */
function seconds(duration: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  const parts = [...duration.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  expect(parts.map((part) => part[0]).join('')).toBe(duration);
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * units[unit], 0);
}

/**
 * Everything promtool printed, then its exit status: a failed expectation shows why it failed.
 * `npm test` installs promtool first (scripts/test-tools.js), so a missing one fails, never skips.
 */
function promtool(args: string[]): string {
  const result = spawnSync('promtool', args, { encoding: 'utf8' });
  if (result.error) return `promtool could not run (${result.error.message}): apt-get install prometheus`;
  return `${result.stdout}${result.stderr}\nexit status ${result.status}`;
}

const rules = load<RuleFile>(rulesFile);
const alerting = rules.groups.flatMap((group) => group.rules).filter((rule) => rule.alert !== undefined);
const recording = rules.groups.flatMap((group) => group.rules).filter((rule) => rule.record !== undefined);
const ruleTests = load<TestFile>(testsFile);
const example = load<PrometheusConfig>(exampleFile);

describe('Prometheus rules (deploy/prometheus)', () => {
  it(`vigie-rules.yml passes promtool check rules with every lint`, () => {
    expect(promtool(['check', 'rules', '--lint=all', '--lint-fatal', rulesFile])).toMatch(/\nexit status 0$/);
  });

  it(`vigie-rules.test.yml passes promtool test rules`, () => {
    expect(promtool(['test', 'rules', testsFile])).toMatch(/\nexit status 0$/);
  });

  it(`prometheus.example.yml passes promtool check config, its rules included`, () => {
    // promtool stats the credentials file and reads the rule files: check a copy in a temporary
    // folder, beside the rules, with the token path pointing at a file that exists.
    const scratch = mkdtempSync(join(tmpdir(), 'vigie-prometheus-'));
    try {
      const config = load<PrometheusConfig>(exampleFile);
      const vigie = config.scrape_configs.find((job) => job.job_name === 'vigie')!;
      expect(vigie.authorization?.credentials_file).toBe(tokenPath);
      vigie.authorization!.credentials_file = join(scratch, 'vigie-metrics-token');
      writeFileSync(join(scratch, 'vigie-metrics-token'), 'a-metrics-token-of-the-test\n');
      writeFileSync(join(scratch, 'prometheus.yml'), stringify(config));
      copyFileSync(rulesFile, join(scratch, 'vigie-rules.yml'));
      expect(promtool(['check', 'config', join(scratch, 'prometheus.yml')])).toMatch(/\nexit status 0$/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('has exactly the alerts the README documents', () => {
    expect(alerting.map((rule) => rule.alert).sort()).toEqual([...ALERTS].sort());
  });

  it.each(ALERTS)('%s has a severity, a summary, a description and its README runbook', (name) => {
    const rule = alerting.find((candidate) => candidate.alert === name)!;
    expect(['critical', 'warning']).toContain(rule.labels?.severity);
    expect(rule.annotations?.summary).toMatch(/\S/);
    expect(rule.annotations?.description).toMatch(/\S/);
    expect(rule.annotations?.runbook).toBe(`README.md#${name.toLowerCase()}`);
  });

  it("each alert's runbook is a section of the README, under Monitoring Vigie", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const monitoring = readme.slice(readme.indexOf('\n## Monitoring Vigie\n'));
    const next = monitoring.indexOf('\n## ', 1);
    const section = next === -1 ? monitoring : monitoring.slice(0, next);
    for (const name of ALERTS) expect(section).toMatch(new RegExp(`^#### ${name}\\n\\n\\S`, 'm'));
  });

  it('names the device or channel in the summary of the alerts that carry one', () => {
    for (const rule of alerting) {
      for (const label of ['device', 'channel']) {
        if (rule.annotations?.description?.includes(`$labels.${label}`))
          expect(rule.annotations.summary).toContain(`$labels.${label}`);
      }
    }
  });

  it.each(ALERTS)(
    '%s is tested firing, and not firing earlier or in another test (exact labels and annotations)',
    (name) => {
      const cases = ruleTests.tests.flatMap((group) =>
        (group.alert_rule_test ?? [])
          .filter((test) => test.alertname === name)
          .map((test) => ({ group: group.name, at: seconds(test.eval_time), alerts: test.exp_alerts ?? [] })),
      );
      const firing = cases.filter((test) => test.alerts.length > 0);
      const silent = cases.filter((test) => test.alerts.length === 0);
      expect(firing).not.toEqual([]);
      expect(
        silent.some((quiet) => firing.some((fires) => quiet.group !== fires.group || quiet.at < fires.at)),
      ).toBe(true);
      for (const alert of firing.flatMap((test) => test.alerts)) {
        expect(alert).toEqual({
          exp_labels: expect.objectContaining({ severity: expect.any(String) }),
          exp_annotations: {
            summary: expect.any(String),
            description: expect.any(String),
            runbook: `README.md#${name.toLowerCase()}`,
          },
        });
      }
    },
  );

  it('tests the value of every recording rule, each named level:metric:operations', () => {
    expect(ruleTests.rule_files).toEqual(['vigie-rules.yml']);
    expect(ruleTests.evaluation_interval).toBe('1m');
    const tested = ruleTests.tests.flatMap((group) => group.promql_expr_test ?? []);
    expect(recording).not.toEqual([]);
    for (const rule of recording) {
      expect(rule.record).toMatch(/^[a-z_]+:[a-z_]+:[a-z0-9_]+$/);
      expect(tested.filter((test) => test.expr === rule.record && test.exp_samples.length > 0)).not.toEqual(
        [],
      );
    }
  });

  it('the example config loads the rules and scrapes the server as job `vigie`, which VigieScrapeFailing watches', () => {
    expect(example.rule_files).toContain('vigie-rules.yml');
    const vigie = example.scrape_configs.filter((job) => job.job_name === 'vigie');
    expect(vigie).toHaveLength(1);
    expect(vigie[0]).toMatchObject({
      metrics_path: '/metrics',
      authorization: { type: 'Bearer', credentials_file: tokenPath },
      static_configs: [{ targets: ['localhost:3000'] }],
    });
    expect(example.alerting?.alertmanagers[0].static_configs[0].targets).toEqual(['127.0.0.1:9093']);
    const scrapeFailing = alerting.find((rule) => rule.alert === 'VigieScrapeFailing')!;
    expect(scrapeFailing.expr).toContain('up{job="vigie"}');
  });
});
