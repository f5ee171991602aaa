import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHANNEL_KINDS } from '../apps/alert-server/src/notifications/notify-config';
import { loadNotifyFile } from '../apps/alert-server/src/notifications/notify-file';
import { AdminRun, runAdmin } from './support/admin-cli';
import { REPO_ROOT, ServerProcess, cleanupServerProcesses, makeTempDir } from './support/server-process';

/**
 * The notification file (VIGIE_NOTIFY_FILE) with the built server: `config check` as a
 * technician runs it before a restart, and start-up refusing a faulty file with every fault.
 * Build first: `npm run build`.
 */

const EXAMPLE = join(REPO_ROOT, 'deploy/notify.example.yml');

/** The secrets deploy/notify.example.yml takes from the environment. */
const EXAMPLE_ENV = {
  NTFY_TOKEN: 'tk_example_token',
  SMTP_PASSWORD: 'smtp-password',
  WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 0x5a).toString('base64')}`,
  MQTT_PASSWORD: 'mqtt-password',
};

/** A file with one fault of several kinds, and the line start-up and `config check` give for each. */
const FAULTY = `channels:
  phones: { ntfy: { url: "ftp://ntfy.lan/vigie" } }
  dispatch: { webhook: { url: "https://dispatch.lan/hook", secret: "\${DISPATCH_SECRET}" } }
  siren: { mqtt: { url: "mqtt://10.0.0.5", topic: "site/#" }, alertmanager: { url: "http://am" } }
escalation:
  - match: { type: [fire, flood] }
    steps:
      - { after: 2m, notify: [phones] }
      - { after: 1m, notify: [pager], repeat: 5s }
devices:
  offline: { notify: [phones], every: 1h }
`;
const faultLines = (file: string) =>
  [
    'channels.phones.ntfy.url: expected an http:// or https:// URL, e.g. https://ntfy.example.org/vigie (not ftp://)',
    'channels.dispatch.webhook.secret: ${DISPATCH_SECRET}: the environment variable DISPATCH_SECRET is not set',
    'channels.siren: a channel is exactly one kind, this one has 2: mqtt, alertmanager',
    'channels.siren.mqtt.topic: expected a topic prefix such as vigie or site/vigie (no + or #, no trailing /)',
    'escalation[0].match.type[1]: unknown alert type "flood" (types: fire, intrusion, medical, panic, test)',
    'escalation[0].steps[1].notify[0]: unknown channel "pager" (channels: phones, dispatch, siren)',
    'escalation[0].steps[1].repeat: expected a duration from 10s to 24h, such as 90s, 5m or 1h30m, got "5s"',
    'devices.offline.every: unknown key (expected: notify)',
  ].map((line) => `invalid configuration: ${file}: ${line}`);

function writeFaulty(): string {
  const file = join(makeTempDir(), 'notify.yml');
  writeFileSync(file, FAULTY);
  return file;
}

/** Fails with everything the command printed. */
function expectExit(run: AdminRun, code: number): void {
  if (run.code !== code) {
    throw new Error(
      `expected exit ${code}, got ${run.code}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`,
    );
  }
}

const lines = (text: string) => text.split('\n').filter((line) => line !== '');

afterAll(() => cleanupServerProcesses());

describe('config check', () => {
  it('accepts the shipped example with its variables set, in one line, without opening the store', async () => {
    const store = join(makeTempDir(), 'vigie.db');
    const run = await runAdmin(store, ['config', 'check', EXAMPLE], '', EXAMPLE_ENV);
    expectExit(run, 0);
    expect(lines(run.stdout)).toEqual([`${EXAMPLE}: 5 channels, 2 rules, devices.offline → phones`]);
    expect(run.stderr).toBe('');
    expect(existsSync(store)).toBe(false);
  });

  it('names every variable of the example that is not set', async () => {
    const run = await runAdmin(join(makeTempDir(), 'vigie.db'), ['config', 'check', EXAMPLE]);
    expectExit(run, 1);
    expect(lines(run.stderr)).toEqual(
      [
        'channels.phones.ntfy.token: ${NTFY_TOKEN}: the environment variable NTFY_TOKEN is not set',
        'channels.direction.email.smtp: ${SMTP_PASSWORD}: the environment variable SMTP_PASSWORD is not set',
        'channels.dispatch.webhook.secret: ${WEBHOOK_SECRET}: the environment variable WEBHOOK_SECRET is not set',
        'channels.building.mqtt.url: ${MQTT_PASSWORD}: the environment variable MQTT_PASSWORD is not set',
      ].map((line) => `invalid configuration: ${EXAMPLE}: ${line}`),
    );
  });

  it('lists each fault of a bad file on its own line and exits 1, without opening the store', async () => {
    const file = writeFaulty();
    const store = join(makeTempDir(), 'vigie.db');
    const run = await runAdmin(store, ['config', 'check', file]);
    expectExit(run, 1);
    expect(lines(run.stderr)).toEqual(faultLines(file));
    expect(run.stdout).toBe('');
    expect(existsSync(store)).toBe(false);
  });

  it('checks VIGIE_NOTIFY_FILE when no FILE is given, even when the rest of the environment is bad', async () => {
    const file = writeFaulty();
    const run = await runAdmin(join(makeTempDir(), 'vigie.db'), ['config', 'check'], '', {
      VIGIE_NOTIFY_FILE: file,
      PORT: 'abc',
    });
    expectExit(run, 1);
    expect(lines(run.stderr)).toEqual(faultLines(file));
  });

  it('is a usage error (exit 64) with neither FILE nor VIGIE_NOTIFY_FILE', async () => {
    const run = await runAdmin(join(makeTempDir(), 'vigie.db'), ['config', 'check']);
    expectExit(run, 64);
    expect(run.stderr).toMatch(/^config check needs a FILE, or VIGIE_NOTIFY_FILE set\nusage:\n/);
  });
});

describe('the shipped example', () => {
  it('uses every channel kind, a repeat, a drill rule without steps, and devices.offline', () => {
    const config = loadNotifyFile(EXAMPLE, EXAMPLE_ENV);
    expect(new Set([...config.channels.values()].map((channel) => channel.kind))).toEqual(
      new Set(CHANNEL_KINDS),
    );
    expect(config.escalation[0].steps).toHaveLength(3);
    expect(config.escalation[0].steps.some((step) => step.repeatMs !== null)).toBe(true);
    expect(config.escalation[1]).toEqual({ match: { type: ['test'], severity: null }, steps: [] });
    expect(config.deviceOffline).not.toBeNull();
  });

  it('shows the optional ca of email and mqtt, which need a file of the site', () => {
    const text = readFileSync(EXAMPLE, 'utf8');
    expect(text.match(/^ *# ca: \S+\.pem/gm)).toHaveLength(2);
  });
});

describe('start-up with VIGIE_NOTIFY_FILE', () => {
  it('refuses a faulty file with exit 78, every fault on its own line, and never listens', async () => {
    const file = writeFaulty();
    const store = join(makeTempDir(), 'vigie.db');
    const server = await ServerProcess.start({
      env: { VIGIE_NOTIFY_FILE: file, LOG_LEVEL: 'loud' },
      sqlitePath: store,
      waitForReady: false,
    });
    expect(await server.waitForExit(10_000)).toEqual({ code: 78, signal: null });
    expect(server.stderrLines.filter((line) => line.trim() !== '')).toEqual([
      'invalid configuration: LOG_LEVEL="loud": expected one of debug, info, warn, error',
      ...faultLines(file),
    ]);
    expect(server.stdoutLines.some((line) => line.includes('server.ready'))).toBe(false);
    expect(existsSync(store)).toBe(false);
  });

  it('starts with the shipped example', async () => {
    const server = await ServerProcess.start({ env: { VIGIE_NOTIFY_FILE: EXAMPLE, ...EXAMPLE_ENV } });
    expect(server.port).toBeGreaterThan(0);
    expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
