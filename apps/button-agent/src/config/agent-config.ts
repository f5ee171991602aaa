import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { ALERT_TYPES, AlertType, DEVICE_ID_PATTERN } from '@app/contracts/wire';
import { ConfigError, Env, EnvReader, InvalidValue, integerIn, oneOf } from '@app/env';

export { ConfigError };

export const GPIO_DRIVERS = ['auto', 'gpiod', 'rpi-gpio', 'keyboard'] as const;
export type GpioDriverName = (typeof GPIO_DRIVERS)[number];

/** One physical button: a BCM pin, the alert it raises, and how people call it. */
export interface ButtonConfig {
  pin: number;
  type: AlertType;
  label: string | null;
}

/** The agent's settings (its environment, as the README lists it), validated once at start-up. */
export interface AgentConfig {
  serverUrl: URL;
  deviceId: string;
  deviceToken: string | null;
  location: string | null;
  buttons: ButtonConfig[];
  gpioDriver: GpioDriverName;
  debounceMs: number;
  holdMs: number;
  spoolDir: string;
  heartbeatSeconds: number;
  retryBaseMs: number;
  retryMaxMs: number;
  caFile: string | null;
  /** PEM read from `caFile` at start-up, so a bad path is a configuration error, not a send error. */
  caCertificate: string | null;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  logFormat: 'json' | 'pretty';
}

export const AGENT_CONFIG = Symbol('AGENT_CONFIG');

export function loadAgentConfig(env: Env): AgentConfig {
  const reader = new EnvReader(env);
  const read: EnvReader['read'] = (name, fallback, parse) => reader.read(name, fallback, parse);

  const serverUrl = read<URL | null>('VIGIE_SERVER_URL', null, parseServerUrl);
  if (!reader.has('VIGIE_SERVER_URL'))
    reader.problem('VIGIE_SERVER_URL is required, e.g. http://192.168.1.10:3000');
  const caFile = read<string | null>('VIGIE_CA_FILE', null, (raw) => raw);
  let caCertificate: string | null = null;
  if (caFile) {
    try {
      caCertificate = readFileSync(caFile, 'utf8');
      if (!caCertificate.includes('-----BEGIN CERTIFICATE-----') || !parsesAsCertificate(caCertificate)) {
        reader.problem(`VIGIE_CA_FILE=${JSON.stringify(caFile)}: not a PEM certificate`);
      }
    } catch (error) {
      reader.problem(
        `VIGIE_CA_FILE=${JSON.stringify(caFile)}: cannot be read (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }

  const config: AgentConfig = {
    serverUrl: serverUrl ?? new URL('http://unset.invalid'),
    deviceId: read('VIGIE_DEVICE_ID', defaultDeviceId(), (raw) => {
      if (!DEVICE_ID_PATTERN.test(raw)) throw new InvalidValue('expected 1 to 64 of A-Z a-z 0-9 . _ -');
      return raw;
    }),
    deviceToken: read<string | null>('VIGIE_DEVICE_TOKEN', null, (raw) => {
      if (!/^[\x21-\x7e]+$/.test(raw)) throw new InvalidValue('expected printable characters without spaces');
      return raw;
    }),
    location: read<string | null>('VIGIE_LOCATION', null, (raw) => {
      if (raw.length > 120) throw new InvalidValue('expected at most 120 characters');
      return raw;
    }),
    buttons: read('VIGIE_BUTTONS', [{ pin: 17, type: 'panic', label: null }], parseButtons),
    gpioDriver: read('VIGIE_GPIO_DRIVER', 'auto', (raw) => oneOf(raw, GPIO_DRIVERS)),
    debounceMs: read('VIGIE_DEBOUNCE_MS', 30, (raw) => integerIn(raw, 0, 10_000)),
    holdMs: read('VIGIE_HOLD_MS', 0, (raw) => integerIn(raw, 0, 60_000)),
    spoolDir: read('VIGIE_SPOOL_DIR', './data/spool', (raw) => raw),
    heartbeatSeconds: read('VIGIE_HEARTBEAT_S', 30, (raw) => integerIn(raw, 1, 3600)),
    retryBaseMs: read('VIGIE_RETRY_BASE_MS', 500, (raw) => integerIn(raw, 1, 600_000)),
    retryMaxMs: read('VIGIE_RETRY_MAX_MS', 30_000, (raw) => integerIn(raw, 1, 3_600_000)),
    caFile,
    caCertificate,
    logLevel: read('LOG_LEVEL', 'info', (raw) => oneOf(raw, ['debug', 'info', 'warn', 'error'] as const)),
    logFormat: read('LOG_FORMAT', 'json', (raw) => oneOf(raw, ['json', 'pretty'] as const)),
  };
  if (config.retryBaseMs > config.retryMaxMs) {
    reader.problem(
      `VIGIE_RETRY_BASE_MS=${config.retryBaseMs} is above VIGIE_RETRY_MAX_MS=${config.retryMaxMs}`,
    );
  }
  reader.check();
  return config;
}

function parseServerUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidValue('expected an http:// or https:// URL, e.g. http://192.168.1.10:3000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidValue('expected an http:// or https:// URL');
  if (url.search || url.hash) throw new InvalidValue('expected no query or fragment');
  return url;
}

/** `PIN:TYPE[:LABEL]`, comma separated, e.g. `17:fire,27:intrusion:Porte arrière`. */
export function parseButtons(raw: string): ButtonConfig[] {
  const buttons = raw.split(',').map((entry) => {
    const [pinText, type, ...labelParts] = entry.trim().split(':');
    const label = labelParts.length > 0 ? labelParts.join(':').trim() : null;
    if (!/^\d{1,2}$/.test(pinText ?? '') || Number(pinText) > 53) {
      throw new InvalidValue(`"${entry.trim()}": the pin must be a BCM GPIO number from 0 to 53`);
    }
    if (!(ALERT_TYPES as readonly string[]).includes(type ?? '')) {
      throw new InvalidValue(`"${entry.trim()}": the type must be one of ${ALERT_TYPES.join(', ')}`);
    }
    if (label !== null && (label.length === 0 || label.length > 32)) {
      throw new InvalidValue(`"${entry.trim()}": the label must be 1 to 32 characters`);
    }
    return { pin: Number(pinText), type: type as AlertType, label };
  });
  const pins = buttons.map((button) => button.pin);
  const repeated = pins.find((pin, index) => pins.indexOf(pin) !== index);
  if (repeated !== undefined) throw new InvalidValue(`pin ${repeated} is listed twice`);
  return buttons;
}

/** TLS would silently skip a damaged certificate: say so at start-up instead (its first one is parsed). */
function parsesAsCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/** The host name, cut to what a device id allows, so a fresh Pi works without setting one. */
function defaultDeviceId(): string {
  const name = hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 64);
  return name || 'vigie-device';
}
