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
  ])('refuses %s=%s with one line naming it', (name, value) => {
    const error = captureConfigError({ [name]: value });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain(`${name}=${JSON.stringify(value)}`);
  });

  it('reports every bad variable at once', () => {
    const error = captureConfigError({ PORT: 'abc', LOG_LEVEL: 'loud' });
    expect(error.problems).toEqual([
      'invalid configuration: PORT="abc": expected a port number from 0 to 65535',
      'invalid configuration: LOG_LEVEL="loud": expected one of debug, info, warn, error',
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
