import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DASHBOARD_ONLY } from '../notifications/notify-file';
import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('applies the contract defaults', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: '0.0.0.0',
      sqlitePath: './data/vigie.db',
      deviceOfflineAfterSeconds: 90,
      logLevel: 'info',
      logFormat: 'json',
      auth: 'required',
      metricsToken: null,
      liveKeepAliveSeconds: 15,
      publicUrl: null,
      notify: DASHBOARD_ONLY,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      VIGIE_SQLITE_PATH: '/var/lib/vigie/vigie.db',
      VIGIE_DEVICE_OFFLINE_AFTER_S: '30',
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'pretty',
      VIGIE_AUTH: 'off',
      VIGIE_METRICS_TOKEN: 'a-long-enough-secret',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      sqlitePath: '/var/lib/vigie/vigie.db',
      deviceOfflineAfterSeconds: 30,
      logLevel: 'debug',
      logFormat: 'pretty',
      auth: 'off',
      metricsToken: 'a-long-enough-secret',
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['VIGIE_DEVICE_OFFLINE_AFTER_S', '0'],
    ['VIGIE_DEVICE_OFFLINE_AFTER_S', 'soon'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_FORMAT', 'xml'],
    ['VIGIE_AUTH', 'maybe'],
    ['VIGIE_METRICS_TOKEN', 'short'],
    ['VIGIE_METRICS_TOKEN', 'un-secret-très-long'],
    ['VIGIE_METRICS_TOKEN', 'two  spaces-in-a-long-secret'],
    ['DATABASE_URL', 'postgres://vigie@db/vigie'],
    ['VIGIE_LIVE_KEEPALIVE_S', '30'],
    ['VIGIE_PUBLIC_URL', 'security-post.lan'],
    ['VIGIE_PUBLIC_URL', 'security-post.lan:3000'],
    ['VIGIE_PUBLIC_URL', '/vigie'],
    ['VIGIE_PUBLIC_URL', 'ftp://security-post.lan'],
    ['VIGIE_PUBLIC_URL', 'https://'],
    ['VIGIE_PUBLIC_URL', 'https://admin:secret@security-post.lan'],
    ['VIGIE_PUBLIC_URL', 'https://security-post.lan/?x=1'],
    ['VIGIE_PUBLIC_URL', 'https://security-post.lan/#top'],
  ])('refuses %s=%s with one line naming it', (name, value) => {
    const error = captureConfigError({ [name]: value });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain(`${name}=${JSON.stringify(value)}`);
  });

  it('reads VIGIE_PUBLIC_URL as a parsed URL whose origin is normalised', () => {
    const config = loadConfig({ VIGIE_PUBLIC_URL: 'HTTPS://Security-Post.LAN:443/vigie/' });
    expect(config.publicUrl?.origin).toBe('https://security-post.lan');
    expect(config.publicUrl?.href).toBe('https://security-post.lan/vigie/');
    expect(loadConfig({ VIGIE_PUBLIC_URL: 'http://192.168.1.10:3000' }).publicUrl?.origin).toBe(
      'http://192.168.1.10:3000',
    );
  });

  it('names VIGIE_PUBLIC_URL and what it expects on one line', () => {
    expect(captureConfigError({ VIGIE_PUBLIC_URL: 'security-post.lan' }).problems).toEqual([
      'invalid configuration: VIGIE_PUBLIC_URL="security-post.lan": expected an absolute http:// or https:// URL, e.g. https://security-post.lan',
    ]);
  });

  it('reports every bad variable at once', () => {
    const error = captureConfigError({ PORT: 'abc', LOG_LEVEL: 'loud' });
    expect(error.problems).toEqual([
      'invalid configuration: PORT="abc": expected a port number from 0 to 65535',
      'invalid configuration: LOG_LEVEL="loud": expected one of debug, info, warn, error',
    ]);
  });
});

describe('loadConfig with VIGIE_NOTIFY_FILE', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'vigie-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function notifyFile(yaml: string): string {
    const file = join(dir, 'notify.yml');
    writeFileSync(file, yaml);
    return file;
  }

  it('reads the file, substituting from the same environment', () => {
    const file = notifyFile(
      'channels:\n  phones: { ntfy: { url: "https://ntfy.lan/vigie", token: "${NTFY_TOKEN}" } }\n',
    );
    const config = loadConfig({ VIGIE_NOTIFY_FILE: file, NTFY_TOKEN: 'tk_1' });
    expect(config.notify.file).toBe(file);
    expect(config.notify.channels.get('phones')).toEqual({
      kind: 'ntfy',
      url: 'https://ntfy.lan/vigie',
      token: 'tk_1',
    });
  });

  it("adds the file's faults to the environment's, one line each", () => {
    const file = notifyFile('channels: { phones: { sms: {} } }\nescalation: {}\n');
    expect(captureConfigError({ PORT: 'abc', VIGIE_NOTIFY_FILE: file }).problems).toEqual([
      'invalid configuration: PORT="abc": expected a port number from 0 to 65535',
      `invalid configuration: ${file}: channels.phones.sms: unknown channel kind (kinds: webhook, ntfy, email, mqtt, alertmanager)`,
      `invalid configuration: ${file}: escalation: expected a list, got a map`,
    ]);
  });

  it('reports a file it cannot read', () => {
    expect(captureConfigError({ VIGIE_NOTIFY_FILE: join(dir, 'absent.yml') }).problems).toEqual([
      `invalid configuration: ${join(dir, 'absent.yml')}: cannot read the file: no such file`,
    ]);
  });
});

function captureConfigError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a configuration error');
}
