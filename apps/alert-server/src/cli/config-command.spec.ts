import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Env } from '@app/env';
import { EXIT_USAGE } from './admin-command';
import { EXIT_INVALID, isConfigCommand, runConfigCommand } from './config-command';

describe('config check', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'vigie-config-check-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function run(args: string[], env: Env = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const code = runConfigCommand(args, env, {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    });
    return { code, out, err };
  }

  function notifyFile(yaml: string): string {
    const file = join(dir, 'notify.yml');
    writeFileSync(file, yaml);
    return file;
  }

  const CHANNELS = `channels:
  phones: { ntfy: { url: "https://ntfy.lan/vigie" } }
  routing: { alertmanager: { url: "http://127.0.0.1:9093" } }
`;

  it('is the config command, not a device or operator one', () => {
    expect(isConfigCommand(['config', 'check'])).toBe(true);
    expect(isConfigCommand(['device', 'list'])).toBe(false);
    expect(isConfigCommand([])).toBe(false);
  });

  it('summarises a valid file on one line', () => {
    const file = notifyFile(
      `${CHANNELS}escalation: [{ steps: [{ after: 0s, notify: [routing] }] }]\ndevices: { offline: { notify: [phones, routing] } }\n`,
    );
    expect(run(['config', 'check', file])).toEqual({
      code: 0,
      out: [`${file}: 2 channels, 1 rule, devices.offline → phones, routing`],
      err: [],
    });
  });

  it('says when device offline goes to the dashboard only', () => {
    const file = notifyFile(CHANNELS);
    expect(run(['config', 'check', file]).out).toEqual([
      `${file}: 2 channels, 0 rules, devices.offline → dashboard only`,
    ]);
  });

  it('checks VIGIE_NOTIFY_FILE when no FILE is given, substituting from the environment', () => {
    const file = notifyFile('channels: { phones: { ntfy: { url: "https://${NTFY_HOST}/vigie" } } }\n');
    expect(run(['config', 'check'], { VIGIE_NOTIFY_FILE: file, NTFY_HOST: 'ntfy.lan' }).out).toEqual([
      `${file}: 1 channel, 0 rules, devices.offline → dashboard only`,
    ]);
  });

  it('prints every fault on its own line and exits 1', () => {
    const file = notifyFile(
      'channels: { phones: {} }\nescalation: [{ steps: [{ after: 0s, notify: [pager] }] }]\n',
    );
    expect(run(['config', 'check', file])).toEqual({
      code: EXIT_INVALID,
      out: [],
      err: [
        `invalid configuration: ${file}: channels.phones: expected one kind: webhook, ntfy, email, mqtt, alertmanager`,
        `invalid configuration: ${file}: escalation[0].steps[0].notify[0]: unknown channel "pager" (channels: phones)`,
      ],
    });
  });

  it.each([
    [['config'], 'config needs a command'],
    [['config', 'lint', 'notify.yml'], 'unknown command: config lint'],
    [['config', 'check', 'a.yml', 'b.yml'], 'config check takes one FILE at most'],
    [['config', 'check', '--strict'], 'config check takes one FILE at most'],
    [['config', 'check'], 'config check needs a FILE, or VIGIE_NOTIFY_FILE set'],
  ])('refuses %j with the usage, exit 64', (args, problem) => {
    const { code, out, err } = run(args);
    expect(code).toBe(EXIT_USAGE);
    expect(out).toEqual([]);
    expect(err.join('\n')).toMatch(
      new RegExp(`^${problem}\nusage:\n(.*\n)*.*main\\.js config check \\[FILE\\]`),
    );
  });
});
