#!/usr/bin/env node
// First step of `npm test`: the programs the tests drive for real, which npm cannot install.
// As root on Debian (a CI runner, a fresh lab machine) they are installed with apt-get; anywhere
// else the run stops at once with the one command to type, rather than failing test by test.
'use strict';
const { existsSync } = require('node:fs');
const { spawnSync } = require('node:child_process');

/** What each tool is for, and the Debian package that brings it. */
const TOOLS = [
  {
    check: 'chromium',
    file: '/usr/bin/chromium',
    pkg: 'chromium',
    why: 'the dashboard tests (test/dashboard.spec.ts)',
  },
  { check: 'systemd-analyze', pkg: 'systemd', why: 'the systemd units check (test/deploy.spec.ts)' },
  { check: 'shellcheck', pkg: 'shellcheck', why: 'the install scripts check (test/deploy.spec.ts)' },
  { check: 'openssl', pkg: 'openssl', why: "the agent's private-CA test (test/agent-auth.spec.ts)" },
  { check: 'strace', pkg: 'strace', why: 'the fsync-before-answer checks (test/durability.spec.ts)' },
  {
    check: 'mosquitto',
    file: '/usr/sbin/mosquitto',
    pkg: 'mosquitto',
    why: 'the MQTT notification channel (a real broker on loopback)',
  },
  {
    check: 'prometheus-alertmanager',
    file: '/usr/bin/prometheus-alertmanager',
    pkg: 'prometheus-alertmanager',
    why: 'the Alertmanager notification channel (a real Alertmanager on loopback)',
  },
  {
    check: 'promtool',
    file: '/usr/bin/promtool',
    pkg: 'prometheus',
    why: "Vigie's rules (promtool test rules) and dashboard queries against a real Prometheus",
  },
  {
    check: 'python3',
    pkg: 'python3',
    why: 'the slow live-stream reader (apps/alert-server/test/live.e2e-spec.ts)',
  },
  // install.sh against a real systemd booted in namespaces (npm run test:pi): its D-Bus (for
  // systemd-run), ps (who the service runs as) and curl (the served command, as a Pi runs it).
  { check: 'dbus-daemon', pkg: 'dbus', why: 'systemd-run in test/pi/install-systemd.pi-spec.ts' },
  { check: 'ps', pkg: 'procps', why: "the service's user in test/pi/install-systemd.pi-spec.ts" },
  { check: 'curl', pkg: 'curl', why: 'the install command in test/pi/install-systemd.pi-spec.ts' },
];

function present(tool) {
  if (tool.file) return existsSync(tool.file);
  return spawnSync('sh', ['-c', `command -v ${tool.check}`], { stdio: 'ignore' }).status === 0;
}

function run(command, args) {
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return result.status === 0;
}

function main() {
  const missing = TOOLS.filter((tool) => !present(tool));
  if (missing.length === 0) return 0;
  const packages = [...new Set(missing.map((tool) => tool.pkg))];
  const command = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  for (const tool of missing) process.stderr.write(`test tools: ${tool.check} is missing (${tool.why})\n`);
  const canInstall = process.getuid?.() === 0 && present({ check: 'apt-get' });
  if (!canInstall) {
    process.stderr.write(
      `test tools: install them first, then run npm test again:\n  sudo apt-get update && sudo ${command}\n`,
    );
    return 1;
  }
  process.stderr.write(`test tools: installing ${packages.join(', ')} with apt-get\n`);
  if (
    !run('apt-get', ['update', '-qq']) ||
    !run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages])
  ) {
    process.stderr.write(`test tools: apt-get failed; fix what it says, then run:\n  ${command}\n`);
    return 1;
  }
  const stillMissing = TOOLS.filter((tool) => !present(tool));
  if (stillMissing.length > 0) {
    process.stderr.write(
      `test tools: still missing after apt-get: ${stillMissing.map((tool) => tool.check).join(', ')}\n`,
    );
    return 1;
  }
  return 0;
}

process.exitCode = main();
