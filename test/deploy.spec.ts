import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../apps/alert-server/src/config/app-config';

/**
 * The deployment files a technician installs: the systemd units must load, the scripts
 * must parse and pass shellcheck. `npm test` installs the tools first (scripts/test-tools.js);
 * a run of this file alone on a machine without them reports those checks as skipped.
 */
const root = join(__dirname, '..');
const units = ['deploy/systemd/vigie-alert-server.service', 'deploy/systemd/vigie-button-agent.service'];
const scripts = ['deploy/agent-doctor.sh'];
/** Run by `sh` on a Pi (`curl ... | sudo sh`): POSIX sh, not bash. */
const posixScripts = ['deploy/install.sh'];
/** What `npm run build` packs for a Pi: its unit is the repository's, rewritten (scripts/build-agent-bundle.js). */
const bundle = join(root, 'dist/agent/vigie-agent.tgz');

/** `it`, or `it.skip` with the reason in its name when `tool` is not installed. */
function withTool(tool: string): { it: jest.It; reason: string } {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0) return { it, reason: '' };
  return { it: it.skip, reason: ` (skipped: ${tool} is not installed; npm test installs it)` };
}

const systemdAnalyze = withTool('systemd-analyze');
const shellcheck = withTool('shellcheck');

describe('deployment files', () => {
  systemdAnalyze.it.each(units)(
    `%s is accepted by systemd-analyze verify${systemdAnalyze.reason}`,
    (unit) => {
      const result = spawnSync('systemd-analyze', ['verify', join(root, unit)], { encoding: 'utf8' });
      expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
      expect(result.status).toBe(0);
    },
  );

  systemdAnalyze.it(
    `the agent bundle's unit (dist/agent/vigie-agent.tgz) is accepted by systemd-analyze verify${systemdAnalyze.reason}`,
    () => {
      const folder = mkdtempSync(join(tmpdir(), 'vigie-unit-'));
      try {
        execFileSync('tar', ['-xzf', bundle, '-C', folder, 'vigie-agent/vigie-button-agent.service']);
        const unit = join(folder, 'vigie-agent/vigie-button-agent.service');
        const result = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
        expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
        expect(result.status).toBe(0);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
  );

  it.each(units)(
    '%s restarts on failure but not on a configuration error, and stops with SIGTERM',
    (unit) => {
      const text = readFileSync(join(root, unit), 'utf8');
      expect(text).toMatch(/^Restart=always$/m);
      expect(text).toMatch(/^RestartPreventExitStatus=78$/m);
      expect(text).toMatch(/^KillSignal=SIGTERM$/m);
      expect(text).toMatch(/^User=vigie$/m);
      expect(text).toMatch(/^StateDirectory=/m);
    },
  );

  it('runs the agent in the gpio group with its settings from /etc/vigie/button-agent.env', () => {
    const text = readFileSync(join(root, 'deploy/systemd/vigie-button-agent.service'), 'utf8');
    expect(text).toMatch(/^SupplementaryGroups=gpio$/m);
    expect(text).toMatch(/^EnvironmentFile=\/etc\/vigie\/button-agent.env$/m);
    expect(text).toMatch(/^ExecStart=\/usr\/bin\/node (-\S+ )*\/opt\/vigie-agent\/vigie-agent.js run$/m);
  });

  it.each(scripts)('%s parses (bash -n)', (script) => {
    const result = spawnSync('bash', ['-n', join(root, script)], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each(posixScripts)('%s parses as POSIX sh (sh -n)', (script) => {
    const result = spawnSync('sh', ['-n', join(root, script)], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  shellcheck.it.each(posixScripts)(`%s passes shellcheck as sh${shellcheck.reason}`, (script) => {
    const result = spawnSync('shellcheck', ['--shell=sh', join(root, script)], { encoding: 'utf8' });
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });

  shellcheck.it.each(scripts)(`%s passes shellcheck${shellcheck.reason}`, (script) => {
    const result = spawnSync('shellcheck', [join(root, script)], { encoding: 'utf8' });
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });

  it('documents every variable of the agent in the example env file', () => {
    const example = readFileSync(join(root, 'deploy/button-agent.env.example'), 'utf8');
    for (const name of [
      'VIGIE_SERVER_URL',
      'VIGIE_DEVICE_ID',
      'VIGIE_DEVICE_TOKEN',
      'VIGIE_LOCATION',
      'VIGIE_BUTTONS',
      'VIGIE_PRESSES',
      'VIGIE_PRESS_WINDOW_MS',
      'VIGIE_SILENT_TYPES',
      'VIGIE_LED_PIN',
      'VIGIE_BUZZER_PIN',
    ]) {
      expect(example).toContain(name);
    }
  });

  it('ships a server env example the server accepts, naming the security settings', () => {
    const example = readFileSync(join(root, 'deploy/alert-server.env.example'), 'utf8');
    const env = Object.fromEntries(
      example
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(() => loadConfig(env)).not.toThrow();
    expect(env.VIGIE_AUTH).toBe('required');
    expect(example).toContain('VIGIE_METRICS_TOKEN');
  });
});
