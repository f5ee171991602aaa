import { ConfigError, Env, EnvReader, InvalidValue, integerIn, oneOf } from '@app/env';
import { NotifyConfig } from '../notifications/notify-config';
import { DASHBOARD_ONLY, loadNotifyFile } from '../notifications/notify-file';

export { ConfigError };

/** The alert server's settings, read once from the environment at start-up. */
export interface AppConfig {
  port: number;
  host: string;
  sqlitePath: string;
  deviceOfflineAfterSeconds: number;
  logLevel: LogLevel;
  logFormat: 'json' | 'pretty';
  auth: 'required' | 'off';
  metricsToken: string | null;
  /** Period of the keep-alive comment on `GET /events` (the contract asks for at most 15 s). */
  liveKeepAliveSeconds: number;
  /**
   * The address people and Pis use to reach this server (VIGIE_PUBLIC_URL), or null: then the
   * request says it. Read-only: one parsed URL is shared by everything that builds links.
   */
  publicUrl: Readonly<URL> | null;
  /** Channels and escalation rules of VIGIE_NOTIFY_FILE; without it, the dashboard only. */
  notify: NotifyConfig;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Injection token of the validated configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** Validates every variable; throws a ConfigError listing all the bad ones. */
export function loadConfig(env: Env): AppConfig {
  const reader = new EnvReader(env);
  const config: AppConfig = {
    port: reader.read('PORT', 3000, (raw) =>
      integerIn(raw, 0, 65535, 'expected a port number from 0 to 65535'),
    ),
    host: reader.read('HOST', '0.0.0.0', (raw) => raw),
    sqlitePath: reader.read('VIGIE_SQLITE_PATH', './data/vigie.db', (raw) => raw),
    deviceOfflineAfterSeconds: reader.read('VIGIE_DEVICE_OFFLINE_AFTER_S', 90, (raw) =>
      integerIn(raw, 1, 86_400, 'expected a whole number of seconds from 1 to 86400'),
    ),
    logLevel: reader.read('LOG_LEVEL', 'info', (raw) => oneOf(raw, LOG_LEVELS)),
    logFormat: reader.read('LOG_FORMAT', 'json', (raw) => oneOf(raw, ['json', 'pretty'] as const)),
    auth: reader.read('VIGIE_AUTH', 'required', (raw) => oneOf(raw, ['required', 'off'] as const)),
    metricsToken: reader.read<string | null>('VIGIE_METRICS_TOKEN', null, (raw) => {
      if (raw.length < 16) throw new InvalidValue('expected at least 16 characters');
      // HTTP headers carry bytes read as latin1: only printable ASCII arrives as it was set.
      if (!/^[\x21-\x7e]+(?: [\x21-\x7e]+)*$/.test(raw)) {
        throw new InvalidValue('expected printable ASCII characters (single spaces allowed between them)');
      }
      return raw;
    }),
    liveKeepAliveSeconds: reader.read('VIGIE_LIVE_KEEPALIVE_S', 15, (raw) =>
      integerIn(raw, 1, 15, 'expected a whole number of seconds from 1 to 15'),
    ),
    publicUrl: reader.read<Readonly<URL> | null>('VIGIE_PUBLIC_URL', null, publicUrl),
    notify: notifyConfig(reader, env),
  };
  reader.read('DATABASE_URL', null, () => {
    throw new InvalidValue('the PostgreSQL backend is not available in this version; unset it to use SQLite');
  });
  reader.check();
  return config;
}

/** The file's faults join the environment's: one start-up attempt shows them all. */
function notifyConfig(reader: EnvReader, env: Env): NotifyConfig {
  const file = reader.read<string | null>('VIGIE_NOTIFY_FILE', null, (raw) => raw);
  if (file === null) return DASHBOARD_ONLY;
  try {
    return loadNotifyFile(file, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    reader.problems.push(...error.problems);
    return DASHBOARD_ONLY;
  }
}

/**
 * An absolute http(s) URL. No credentials, query or fragment: links are built on it, and a
 * password in it would end up in every notification and install command.
 */
function publicUrl(raw: string): URL {
  const expected = 'expected an absolute http:// or https:// URL, e.g. https://security-post.lan';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidValue(expected);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidValue(expected);
  if (url.username || url.password) throw new InvalidValue('expected a URL without user name or password');
  if (url.search || url.hash || raw.includes('?') || raw.includes('#')) {
    throw new InvalidValue('expected a URL without query (?) or fragment (#)');
  }
  return url;
}
