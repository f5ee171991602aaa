/** The alert server's settings, read once from the environment at start-up (contract §2). */
export interface AppConfig {
  port: number;
  host: string;
  sqlitePath: string;
  deviceOfflineAfterSeconds: number;
  logLevel: LogLevel;
  logFormat: 'json' | 'pretty';
  auth: 'required' | 'off';
  metricsToken: string | null;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Injection token of the validated configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** Every bad variable, one line each, so a technician fixes them all in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

class Invalid extends Error {}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env): AppConfig {
  const problems: string[] = [];
  const read = <T>(name: string, fallback: T, parse: (raw: string) => T): T => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    try {
      return parse(raw);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      problems.push(`invalid configuration: ${name}=${JSON.stringify(raw)}: ${error.message}`);
      return fallback;
    }
  };

  const config: AppConfig = {
    port: read('PORT', 3000, (raw) => integerIn(raw, 0, 65535, 'expected a port number from 0 to 65535')),
    host: read('HOST', '0.0.0.0', (raw) => raw),
    sqlitePath: read('VIGIE_SQLITE_PATH', './data/vigie.db', (raw) => raw),
    deviceOfflineAfterSeconds: read('VIGIE_DEVICE_OFFLINE_AFTER_S', 90, (raw) =>
      integerIn(raw, 1, 86_400, 'expected a whole number of seconds from 1 to 86400'),
    ),
    logLevel: read('LOG_LEVEL', 'info', (raw) => oneOf(raw, LOG_LEVELS)),
    logFormat: read('LOG_FORMAT', 'json', (raw) => oneOf(raw, ['json', 'pretty'] as const)),
    auth: read('VIGIE_AUTH', 'required', (raw) => oneOf(raw, ['required', 'off'] as const)),
    metricsToken: read<string | null>('VIGIE_METRICS_TOKEN', null, (raw) => {
      if (raw.length < 16) throw new Invalid('expected at least 16 characters');
      return raw;
    }),
  };
  read('DATABASE_URL', null, () => {
    throw new Invalid('the PostgreSQL backend is not available in this version; unset it to use SQLite');
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function integerIn(raw: string, min: number, max: number, expected: string): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) throw new Invalid(expected);
  return value;
}

function oneOf<T extends string>(raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw))
    throw new Invalid(`expected one of ${allowed.join(', ')}`);
  return raw as T;
}
