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
  /** Presses of one button, within `pressWindowMs` of the first, that make one alert (1: every press). */
  presses: number;
  pressWindowMs: number;
  /** Alert types that never sound the buzzer: a silent alarm must not warn an aggressor. */
  silentTypes: AlertType[];
  /** BCM pins of the status light and the buzzer; null when there is none. */
  ledPin: number | null;
  buzzerPin: number | null;
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
    presses: read('VIGIE_PRESSES', 1, (raw) => integerIn(raw, 1, 10)),
    pressWindowMs: read('VIGIE_PRESS_WINDOW_MS', 1500, (raw) => integerIn(raw, 200, 10_000)),
    silentTypes: read<AlertType[]>('VIGIE_SILENT_TYPES', ['panic', 'intrusion'], parseAlertTypes),
    ledPin: read<number | null>('VIGIE_LED_PIN', null, (raw) => bcmPin(raw, 'expected')),
    buzzerPin: read<number | null>('VIGIE_BUZZER_PIN', null, (raw) => bcmPin(raw, 'expected')),
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
  checkOutputPins(config, reader);
  reader.check();
  return config;
}

/** A pin drives one thing: an output on a button's pin would fight the button (and its pull-up). */
function checkOutputPins(config: AgentConfig, reader: EnvReader): void {
  const outputs = [
    ['VIGIE_LED_PIN', config.ledPin],
    ['VIGIE_BUZZER_PIN', config.buzzerPin],
  ] as const;
  for (const [name, pin] of outputs) {
    if (pin !== null && config.buttons.some((button) => button.pin === pin)) {
      reader.problem(`${name}=${pin} is a button's pin in VIGIE_BUTTONS: expected a pin of its own`);
    }
  }
  if (config.ledPin !== null && config.ledPin === config.buzzerPin) {
    reader.problem(`VIGIE_LED_PIN and VIGIE_BUZZER_PIN are both ${config.ledPin}: expected a pin for each`);
  }
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
    const pin = bcmPin(pinText ?? '', `"${entry.trim()}": the pin must be`);
    if (!(ALERT_TYPES as readonly string[]).includes(type ?? '')) {
      throw new InvalidValue(`"${entry.trim()}": the type must be one of ${ALERT_TYPES.join(', ')}`);
    }
    if (label !== null && (label.length === 0 || label.length > 32)) {
      throw new InvalidValue(`"${entry.trim()}": the label must be 1 to 32 characters`);
    }
    return { pin, type: type as AlertType, label };
  });
  const pins = buttons.map((button) => button.pin);
  const repeated = pins.find((pin, index) => pins.indexOf(pin) !== index);
  if (repeated !== undefined) throw new InvalidValue(`pin ${repeated} is listed twice`);
  return buttons;
}

/** A BCM GPIO number (0 to 53, the range of the Pi's SoC), or an error starting with `lead`. */
function bcmPin(raw: string, lead: string): number {
  if (!/^\d{1,2}$/.test(raw) || Number(raw) > 53) {
    throw new InvalidValue(`${lead} a BCM GPIO number from 0 to 53`);
  }
  return Number(raw);
}

/** Alert types, comma separated (`panic,intrusion`), or `none` for an empty list. */
export function parseAlertTypes(raw: string): AlertType[] {
  if (raw.trim() === 'none') return [];
  const types = raw.split(',').map((entry) => entry.trim());
  for (const type of types) {
    if (!(ALERT_TYPES as readonly string[]).includes(type)) {
      throw new InvalidValue(`"${type}": expected alert types among ${ALERT_TYPES.join(', ')}, or none`);
    }
  }
  const repeated = types.find((type, index) => types.indexOf(type) !== index);
  if (repeated !== undefined) throw new InvalidValue(`${repeated} is listed twice`);
  return types as AlertType[];
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
