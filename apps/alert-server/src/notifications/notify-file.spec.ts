import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, Env } from '@app/env';
import { NotifyConfig, ruleFor } from './notify-config';
import { DASHBOARD_ONLY, loadNotifyFile } from './notify-file';

/** A self-signed CA certificate (EC P-256, valid until 2126): what a `ca` option points to. */
const CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBhjCCAS2gAwIBAgIURXbGymQk8yOF0I1wimfAQszPfTYwCgYIKoZIzj0EAwIw
GDEWMBQGA1UEAwwNdmlnaWUtdGVzdC1jYTAgFw0yNjEyMDIyMTQwMzRaGA8yMTI2
MTEwODIxNDAzNFowGDEWMBQGA1UEAwwNdmlnaWUtdGVzdC1jYTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABE/Fft3my6tMVI/T4ovcn7C3vUw4jVvzS0OmJJMytLkc
GisjacznlzRkKkwdUnrsOlG7pKzF7LbsBI6YxVX4fKejUzBRMB0GA1UdDgQWBBQC
Kzmjh55JjIua8iNznbpGwiA6EzAfBgNVHSMEGDAWgBQCKzmjh55JjIua8iNznbpG
wiA6EzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIF3q7o/pfqFR
tmv2/tH7FLCi9tbwQXrb6vfiQCDC938hAiBflNjeK9oGqlUVgWCMfs/W07drYxEr
EFLSMXIVCteHRA==
-----END CERTIFICATE-----
`;

/** Standard Webhooks secrets: `whsec_` and the base64 of a key of `bytes` bytes. */
const secret = (bytes: number) => `whsec_${Buffer.alloc(bytes, 0xa5).toString('base64')}`;

/** Two channels for the rules of a fault's file to name. */
const CHANNELS = `channels:
  phones: { ntfy: { url: "https://ntfy.example.org/vigie" } }
  direction: { alertmanager: { url: "http://127.0.0.1:9093" } }
`;

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigie-notify-'));
  file = join(dir, 'notify.yml');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function load(yaml: string, env: Env = {}): NotifyConfig {
  writeFileSync(file, yaml);
  return loadNotifyFile(file, env);
}

/** The fault lines, without the prefix every one of them shares. */
function faults(yaml: string, env: Env = {}): string[] {
  try {
    load(yaml, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const prefix = `invalid configuration: ${file}: `;
    for (const line of error.problems) expect(line.startsWith(prefix)).toBe(true);
    return error.problems.map((line) => line.slice(prefix.length));
  }
  throw new Error('expected a ConfigError');
}

describe('loadNotifyFile', () => {
  describe('reports each fault on one line naming the key', () => {
    it.each([
      [
        'a YAML syntax error, with line and column',
        'channels:\n  phones: [\n',
        [
          'line 3, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]',
        ],
      ],
      ['a key given twice', 'devices: {}\ndevices: {}\n', ['line 2, column 1: Map keys must be unique']],
      [
        'an unknown root key',
        'chanels: {}\n',
        ['chanels: unknown key (expected: channels, escalation, devices)'],
      ],
      [
        'an unknown channel kind',
        'channels: { a: { sms: {} } }',
        ['channels.a.sms: unknown channel kind (kinds: webhook, ntfy, email, mqtt, alertmanager)'],
      ],
      [
        'an unknown option of a kind',
        'channels: { a: { ntfy: { url: "https://n/t", tokn: x } } }',
        ['channels.a.ntfy.tokn: unknown key (expected: url, token)'],
      ],
      [
        'a channel with no kind',
        'channels: { a: {} }',
        ['channels.a: expected one kind: webhook, ntfy, email, mqtt, alertmanager'],
      ],
      [
        'a channel with two kinds',
        'channels: { a: { ntfy: { url: "https://n/t" }, alertmanager: { url: "http://am" } } }',
        ['channels.a: a channel is exactly one kind, this one has 2: ntfy, alertmanager'],
      ],
      [
        'a channel name that needs quoting',
        'channels: { "my phones": { alertmanager: { url: "http://am" } } }',
        [
          'channels["my phones"]: a channel name is 1 to 64 of A-Z a-z 0-9 . _ - (starting with a letter or digit)',
        ],
      ],
      [
        'a missing url',
        'channels: { a: { alertmanager: {} } }',
        ['channels.a.alertmanager.url: missing (required)'],
      ],
      [
        'a missing secret',
        'channels: { a: { webhook: { url: "https://h/x" } } }',
        ['channels.a.webhook.secret: missing (required)'],
      ],
      [
        'a missing smtp, from and to',
        'channels: { a: { email: {} } }',
        [
          'channels.a.email.smtp: missing (required)',
          'channels.a.email.from: missing (required)',
          'channels.a.email.to: missing (required)',
        ],
      ],
      [
        'a missing topic',
        'channels: { a: { mqtt: { url: "mqtt://b" } } }',
        ['channels.a.mqtt.topic: missing (required)'],
      ],
      [
        'a URL that is no URL',
        'channels: { a: { ntfy: { url: "ntfy.example.org/vigie" } } }',
        ['channels.a.ntfy.url: expected an http:// or https:// URL, e.g. https://ntfy.example.org/vigie'],
      ],
      [
        'a webhook URL of another scheme',
        'channels: { a: { webhook: { url: "ftp://h/x", secret: "' + secret(32) + '" } } }',
        [
          'channels.a.webhook.url: expected an http:// or https:// URL, e.g. https://dispatch.example.org/hooks/vigie (not ftp://)',
        ],
      ],
      [
        'an alertmanager URL of another scheme',
        'channels: { a: { alertmanager: { url: "mqtt://am" } } }',
        [
          'channels.a.alertmanager.url: expected an http:// or https:// URL, e.g. http://127.0.0.1:9093 (not mqtt://)',
        ],
      ],
      [
        'an SMTP URL of another scheme',
        'channels: { a: { email: { smtp: "https://mail", from: a@b.org, to: [c@d.org] } } }',
        [
          'channels.a.email.smtp: expected an smtp:// or smtps:// URL, e.g. smtp://mail.example.org:587 (not https://)',
        ],
      ],
      [
        'an MQTT URL of another scheme',
        'channels: { a: { mqtt: { url: "tcp://broker", topic: vigie } } }',
        ['channels.a.mqtt.url: expected an mqtt:// or mqtts:// URL, e.g. mqtt://10.0.0.5:1883 (not tcp://)'],
      ],
      [
        'an invalid sender address',
        'channels: { a: { email: { smtp: "smtp://mail", from: "vigie at example.org", to: [c@d.org] } } }',
        [
          'channels.a.email.from: expected an email address such as vigie@example.org, got "vigie at example.org"',
        ],
      ],
      [
        'an invalid recipient',
        'channels: { a: { email: { smtp: "smtps://mail", from: a@b.org, to: [c@d.org, "@d.org"] } } }',
        ['channels.a.email.to[1]: expected an email address such as vigie@example.org, got "@d.org"'],
      ],
      [
        'no recipient',
        'channels: { a: { email: { smtp: "smtps://mail", from: a@b.org, to: [] } } }',
        ['channels.a.email.to: expected at least one address'],
      ],
      [
        'an MQTT topic with a wildcard',
        'channels: { a: { mqtt: { url: "mqtts://b", topic: "site/#" } } }',
        [
          'channels.a.mqtt.topic: expected a topic prefix such as vigie or site/vigie (no + or #, no trailing /)',
        ],
      ],
      [
        'an ntfy token with a space',
        'channels: { a: { ntfy: { url: "https://n/t", token: "tk 1" } } }',
        ['channels.a.ntfy.token: expected an access token: printable ASCII, no spaces'],
      ],
      [
        'a CA file that cannot be read',
        'channels: { a: { mqtt: { url: "mqtts://b", topic: t, ca: missing.pem } } }',
        ['channels.a.mqtt.ca: cannot read <dir>/missing.pem: no such file'],
      ],
      [
        'a CA file that holds no certificate',
        'channels: { a: { mqtt: { url: "mqtts://b", topic: t, ca: notify.yml } } }',
        ['channels.a.mqtt.ca: <dir>/notify.yml holds no PEM certificate (-----BEGIN CERTIFICATE-----)'],
      ],
      [
        'an unknown key in a rule',
        `${CHANNELS}escalation: [{ steps: [], when: always }]`,
        ['escalation[0].when: unknown key (expected: match, steps)'],
      ],
      [
        'an unknown key in a match',
        `${CHANNELS}escalation: [{ match: { types: [fire] }, steps: [] }]`,
        ['escalation[0].match.types: unknown key (expected: type, severity)'],
      ],
      [
        'an unknown key in a step',
        `${CHANNELS}escalation: [{ steps: [{ after: 0s, notify: [phones], every: 1m }] }]`,
        ['escalation[0].steps[0].every: unknown key (expected: after, notify, repeat)'],
      ],
      [
        'an unknown key in devices',
        `${CHANNELS}devices: { online: { notify: [phones] } }`,
        ['devices.online: unknown key (expected: offline)'],
      ],
      [
        'an unknown key in devices.offline',
        `${CHANNELS}devices: { offline: { notify: [phones], after: 1m } }`,
        ['devices.offline.after: unknown key (expected: notify)'],
      ],
      [
        'a rule without steps',
        `${CHANNELS}escalation: [{ match: { type: [fire] } }]`,
        ['escalation[0].steps: missing (required)'],
      ],
      [
        'a duration without unit',
        `${CHANNELS}escalation: [{ steps: [{ after: 60, notify: [phones] }] }]`,
        [
          'escalation[0].steps[0].after: expected a duration from 0s to 24h, such as 90s, 5m or 1h30m (a bare number has no unit)',
        ],
      ],
      [
        'a duration in words',
        `${CHANNELS}escalation: [{ steps: [{ after: 5 minutes, notify: [phones] }] }]`,
        [
          'escalation[0].steps[0].after: expected a duration from 0s to 24h, such as 90s, 5m or 1h30m, got "5 minutes"',
        ],
      ],
      [
        'an after beyond a day',
        `${CHANNELS}escalation: [{ steps: [{ after: 24h1s, notify: [phones] }] }]`,
        [
          'escalation[0].steps[0].after: expected a duration from 0s to 24h, such as 90s, 5m or 1h30m, got "24h1s"',
        ],
      ],
      [
        'a repeat under 10s',
        `${CHANNELS}escalation: [{ steps: [{ after: 0s, notify: [phones], repeat: 9s }] }]`,
        [
          'escalation[0].steps[0].repeat: expected a duration from 10s to 24h, such as 90s, 5m or 1h30m, got "9s"',
        ],
      ],
      [
        'an unknown alert type',
        `${CHANNELS}escalation: [{ match: { type: [fire, flood] }, steps: [] }]`,
        [
          'escalation[0].match.type[1]: unknown alert type "flood" (types: fire, intrusion, medical, panic, test)',
        ],
      ],
      [
        'an unknown severity',
        `${CHANNELS}escalation: [{ match: { severity: [high] }, steps: [] }]`,
        ['escalation[0].match.severity[0]: unknown severity "high" (severities: critical, warning, info)'],
      ],
      [
        'an empty match list',
        `${CHANNELS}escalation: [{ match: { type: [] }, steps: [] }]`,
        ['escalation[0].match.type: expected at least one alert type (leave the key out for any)'],
      ],
      [
        'a step naming an unknown channel',
        `${CHANNELS}escalation: [{ steps: [{ after: 0s, notify: [phone] }] }]`,
        ['escalation[0].steps[0].notify[0]: unknown channel "phone" (channels: phones, direction)'],
      ],
      [
        'a step naming a channel twice',
        `${CHANNELS}escalation: [{ steps: [{ after: 0s, notify: [phones, phones] }] }]`,
        ['escalation[0].steps[0].notify[1]: "phones" is listed twice'],
      ],
      [
        'a step notifying nobody',
        `${CHANNELS}escalation: [{ steps: [{ after: 0s, notify: [] }] }]`,
        ['escalation[0].steps[0].notify: expected at least one channel'],
      ],
      [
        'devices.offline naming an unknown channel',
        'devices: { offline: { notify: [phones] } }',
        ['devices.offline.notify[0]: unknown channel "phones" (no channel is defined)'],
      ],
      [
        'steps whose after decreases',
        `${CHANNELS}escalation: [{ steps: [{ after: 2m, notify: [phones] }, { after: 90s, notify: [direction] }] }]`,
        ["escalation[0].steps[1].after: 1m30s comes before the previous step's 2m (steps go in time order)"],
      ],
      [
        'an unset variable, named',
        'channels: { a: { ntfy: { url: "https://n/${NTFY_TOPIC}", token: "${NTFY_TOKEN}" } } }',
        [
          'channels.a.ntfy.url: ${NTFY_TOPIC}: the environment variable NTFY_TOPIC is not set',
          'channels.a.ntfy.token: ${NTFY_TOKEN}: the environment variable NTFY_TOKEN is not set',
        ],
      ],
      [
        'a ${ that names no variable',
        'channels: { a: { ntfy: { url: "https://n/${1x}" } } }',
        ['channels.a.ntfy.url: "${" must start ${NAME} (letters, digits, _); write $${ for a literal "${"'],
      ],
      ['a list where a map is expected', 'channels: [phones]', ['channels: expected a map, got a list']],
      [
        'a map where a list is expected',
        'escalation: { steps: [] }',
        ['escalation: expected a list, got a map'],
      ],
      [
        'text where a list is expected',
        `${CHANNELS}devices: { offline: { notify: phones } }`,
        ['devices.offline.notify: expected a list, got text ("phones")'],
      ],
      [
        'a number where text is expected',
        'channels: { a: { mqtt: { url: "mqtt://b", topic: 42 } } }',
        ['channels.a.mqtt.topic: expected text, got a number (42)'],
      ],
      ['a list as the whole file', '- phones\n', ['expected a map, got a list']],
      [
        'an alias to no anchor',
        'channels: *phones\n',
        ['Unresolved alias (the anchor must be set before the alias): phones'],
      ],
    ])('%s', (_what, yaml, expected) => {
      expect(faults(yaml)).toEqual(expected.map((line) => line.replace('<dir>', dir)));
    });

    it('names the file it could not read', () => {
      expect(() => loadNotifyFile(join(dir, 'absent.yml'), {})).toThrow(
        new ConfigError([
          `invalid configuration: ${join(dir, 'absent.yml')}: cannot read the file: no such file`,
        ]),
      );
    });
  });

  it('lists every fault of a file at once, in the order of the file', () => {
    const yaml = `colour: red
channels:
  phones: { ntfy: { url: "ftp://ntfy/vigie" } }
  dispatch: { webhook: { url: "https://d/x", secret: "whsec_c2hvcnQ=" } }
  building: { mqtt: { topic: vigie } }
escalation:
  - match: { type: [fire, flood] }
    steps:
      - { after: 1m, notify: [phone] }
      - { after: 1h, notify: [dispatch], repeat: 1s }
devices:
  offline: { notify: [ghost] }
`;
    expect(faults(yaml)).toEqual([
      'colour: unknown key (expected: channels, escalation, devices)',
      'channels.phones.ntfy.url: expected an http:// or https:// URL, e.g. https://ntfy.example.org/vigie (not ftp://)',
      'channels.dispatch.webhook.secret: expected whsec_ then the base64 of a 24 to 64 byte key (e.g. whsec_$(openssl rand -base64 32))',
      'channels.building.mqtt.url: missing (required)',
      'escalation[0].match.type[1]: unknown alert type "flood" (types: fire, intrusion, medical, panic, test)',
      'escalation[0].steps[0].notify[0]: unknown channel "phone" (channels: phones, dispatch, building)',
      'escalation[0].steps[1].repeat: expected a duration from 10s to 24h, such as 90s, 5m or 1h30m, got "1s"',
      'devices.offline.notify[0]: unknown channel "ghost" (channels: phones, dispatch, building)',
    ]);
  });

  describe('webhook secrets', () => {
    const webhook = (value: string) =>
      `channels: { a: { webhook: { url: "https://h/x", secret: "${value}" } } }`;
    const refused =
      'channels.a.webhook.secret: expected whsec_ then the base64 of a 24 to 64 byte key (e.g. whsec_$(openssl rand -base64 32))';

    it.each([24, 32, 64])('accepts a key of %i bytes', (bytes) => {
      expect(load(webhook(secret(bytes))).channels.get('a')).toEqual({
        kind: 'webhook',
        url: 'https://h/x',
        secret: secret(bytes),
      });
    });

    it.each([
      ['a key of 23 bytes', secret(23)],
      ['a key of 65 bytes', secret(65)],
      ['no whsec_ prefix', secret(32).slice('whsec_'.length)],
      ['a key that is not base64', `whsec_${'!'.repeat(44)}`],
      ['base64url instead of base64', `whsec_${Buffer.alloc(32, 0xfb).toString('base64url')}`],
    ])('refuses %s, without echoing it', (_what, value) => {
      expect(faults(webhook(value))).toEqual([refused]);
    });
  });

  describe('durations', () => {
    const step = (after: string, repeat?: string) =>
      `${CHANNELS}escalation: [{ steps: [{ after: ${after}, notify: [phones]${repeat ? `, repeat: ${repeat}` : ''} }] }]`;

    it.each([
      ['0s', 0],
      ['90s', 90_000],
      ['5m', 300_000],
      ['1h', 3_600_000],
      ['1h30m', 5_400_000],
      ['24h', 86_400_000],
    ])('reads after: %s', (text, ms) => {
      expect(load(step(text)).escalation[0].steps[0].afterMs).toBe(ms);
    });

    it('reads repeat from 10s', () => {
      expect(load(step('0s', '10s')).escalation[0].steps[0].repeatMs).toBe(10_000);
    });

    it('lets two steps share an after', () => {
      const yaml = `${CHANNELS}escalation: [{ steps: [{ after: 1m, notify: [phones] }, { after: 60s, notify: [direction] }] }]`;
      expect(load(yaml).escalation[0].steps.map((s) => s.afterMs)).toEqual([60_000, 60_000]);
    });
  });

  describe('${NAME} substitution', () => {
    it('replaces a variable inside a string value', () => {
      const config = load(
        'channels: { a: { ntfy: { url: "https://${NTFY_HOST}/vigie", token: "${NTFY_TOKEN}" } } }',
        {
          NTFY_HOST: 'ntfy.example.org',
          NTFY_TOKEN: 'tk_secret',
        },
      );
      expect(config.channels.get('a')).toEqual({
        kind: 'ntfy',
        url: 'https://ntfy.example.org/vigie',
        token: 'tk_secret',
      });
    });

    it('reads $${ as a literal ${', () => {
      const config = load('channels: { a: { mqtt: { url: "mqtt://b", topic: "site/$${X}" } } }', {
        X: 'substituted',
      });
      expect(config.channels.get('a')).toMatchObject({ topic: 'site/${X}' });
    });

    it('takes an empty variable as unset', () => {
      expect(
        faults('channels: { a: { ntfy: { url: "https://n/t", token: "${NTFY_TOKEN}" } } }', {
          NTFY_TOKEN: '',
        }),
      ).toEqual(['channels.a.ntfy.token: ${NTFY_TOKEN}: the environment variable NTFY_TOKEN is not set']);
    });

    it('substitutes into values only: never into keys or comments', () => {
      const yaml = 'channels:\n  "${NAME}": { alertmanager: { url: "http://am" } } # token: ${UNSET}\n';
      expect(faults(yaml, { NAME: 'routing' })).toEqual([
        'channels["${NAME}"]: a channel name is 1 to 64 of A-Z a-z 0-9 . _ - (starting with a letter or digit)',
      ]);
    });

    it('keeps a value as text: YAML in a variable is never parsed', () => {
      const config = load('channels: { a: { mqtt: { url: "mqtt://b", topic: "${TOPIC}" } } }', {
        TOPIC: 'x: [y',
      });
      expect(config.channels.get('a')).toMatchObject({ topic: 'x: [y' });
    });
  });

  it('reads an empty file, or one without escalation and devices, as notifying nobody', () => {
    expect(load('')).toEqual({ ...DASHBOARD_ONLY, file });
    expect(load(`${CHANNELS}escalation: []\ndevices:\n`)).toMatchObject({
      escalation: [],
      deviceOffline: null,
    });
  });

  it('reads a full file into the typed configuration', () => {
    mkdirSync(join(dir, 'tls'));
    writeFileSync(join(dir, 'tls', 'site-ca.pem'), CA_PEM);
    const yaml = `channels:
  phones: { ntfy: { url: "https://ntfy.example.org/vigie", token: "\${NTFY_TOKEN}" } }
  open: { ntfy: { url: "http://ntfy.lan/drills" } }
  direction:
    email: { smtp: "smtps://vigie:\${SMTP_PASSWORD}@mail.example.org", from: vigie@example.org, to: [direction@example.org, it@example.org], ca: tls/site-ca.pem }
  dispatch: { webhook: { url: "https://dispatch.example.org/hooks/vigie", secret: "\${WEBHOOK_SECRET}" } }
  building: { mqtt: { url: "mqtts://10.0.0.5:8883", topic: site-a/vigie, ca: ${join(dir, 'tls', 'site-ca.pem')} } }
  routing: { alertmanager: { url: "http://127.0.0.1:9093" } }
escalation:
  - match: { type: [fire, medical], severity: [critical] }
    steps:
      - { after: 0s, notify: [building, routing] }
      - { after: 1m, notify: [phones], repeat: 30s }
      - { after: 3m, notify: [direction, dispatch] }
  - match: { type: [test] }
    steps: []
  - steps: [{ after: 5m, notify: [open] }]
devices:
  offline: { notify: [phones, direction] }
`;
    const config = load(yaml, { NTFY_TOKEN: 'tk_1', SMTP_PASSWORD: 'pw', WEBHOOK_SECRET: secret(32) });
    const expected: NotifyConfig = {
      file,
      channels: new Map([
        ['phones', { kind: 'ntfy', url: 'https://ntfy.example.org/vigie', token: 'tk_1' }],
        ['open', { kind: 'ntfy', url: 'http://ntfy.lan/drills', token: null }],
        [
          'direction',
          {
            kind: 'email',
            smtp: 'smtps://vigie:pw@mail.example.org',
            from: 'vigie@example.org',
            to: ['direction@example.org', 'it@example.org'],
            ca: join(dir, 'tls', 'site-ca.pem'),
          },
        ],
        [
          'dispatch',
          { kind: 'webhook', url: 'https://dispatch.example.org/hooks/vigie', secret: secret(32) },
        ],
        [
          'building',
          {
            kind: 'mqtt',
            url: 'mqtts://10.0.0.5:8883',
            topic: 'site-a/vigie',
            ca: join(dir, 'tls', 'site-ca.pem'),
          },
        ],
        ['routing', { kind: 'alertmanager', url: 'http://127.0.0.1:9093' }],
      ]),
      escalation: [
        {
          match: { type: ['fire', 'medical'], severity: ['critical'] },
          steps: [
            { afterMs: 0, notify: ['building', 'routing'], repeatMs: null },
            { afterMs: 60_000, notify: ['phones'], repeatMs: 30_000 },
            { afterMs: 180_000, notify: ['direction', 'dispatch'], repeatMs: null },
          ],
        },
        { match: { type: ['test'], severity: null }, steps: [] },
        {
          match: { type: null, severity: null },
          steps: [{ afterMs: 300_000, notify: ['open'], repeatMs: null }],
        },
      ],
      deviceOffline: { notify: ['phones', 'direction'] },
    };
    expect(config).toEqual(expected);
    expect([...config.channels.keys()]).toEqual([...expected.channels.keys()]);
  });
});

describe('ruleFor', () => {
  const step = { afterMs: 0, notify: ['phones'], repeatMs: null };
  const fire = { match: { type: ['fire' as const], severity: null }, steps: [step] };
  const critical = { match: { type: null, severity: ['critical' as const] }, steps: [step] };
  const drills = { match: { type: ['test' as const], severity: null }, steps: [] };
  const anything = { match: { type: null, severity: null }, steps: [step] };

  it('returns the first rule whose match fits', () => {
    const config = { escalation: [fire, critical, anything] };
    expect(ruleFor(config, { type: 'fire', severity: 'info' })).toBe(fire);
    expect(ruleFor(config, { type: 'medical', severity: 'critical' })).toBe(critical);
    expect(ruleFor(config, { type: 'medical', severity: 'warning' })).toBe(anything);
  });

  it('needs both the type and the severity to fit', () => {
    const fireCritical = {
      match: { type: ['fire' as const], severity: ['critical' as const] },
      steps: [step],
    };
    expect(ruleFor({ escalation: [fireCritical] }, { type: 'fire', severity: 'warning' })).toBeNull();
    expect(ruleFor({ escalation: [fireCritical] }, { type: 'panic', severity: 'critical' })).toBeNull();
    expect(ruleFor({ escalation: [fireCritical] }, { type: 'fire', severity: 'critical' })).toBe(
      fireCritical,
    );
  });

  it('gives a test alert only to a rule that names test, never to a catch-all', () => {
    expect(ruleFor({ escalation: [anything, critical] }, { type: 'test', severity: 'critical' })).toBeNull();
    expect(ruleFor({ escalation: [anything, drills] }, { type: 'test', severity: 'info' })).toBe(drills);
  });

  it('returns null when no rule fits, or there is none', () => {
    expect(ruleFor({ escalation: [fire] }, { type: 'intrusion', severity: 'critical' })).toBeNull();
    expect(ruleFor(DASHBOARD_ONLY, { type: 'fire', severity: 'critical' })).toBeNull();
  });
});
