#!/usr/bin/env node
// `npm start`: the whole system on one machine, for a first look. Runs what `npm run build`
// produced: the alert server on ./data/vigie.db, then a button agent whose button is this
// terminal's keyboard (Enter sends an alert). Ctrl+C stops both gracefully.
// Security stays on, as in production: this run makes a demo device token for the agent and a
// demo operator with a fresh random password, and prints how to sign in.
'use strict';
const { randomBytes } = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const port = process.env.PORT || '3000';
const logFormat = process.env.LOG_FORMAT || 'pretty';
const children = [];

function start(name, args, env, stdin) {
  const child = spawn(process.execPath, [path.join(root, `dist/apps/${name}/main.js`), ...args], {
    cwd: root,
    env: { ...process.env, LOG_FORMAT: logFormat, ...env },
    stdio: [stdin, 'inherit', 'inherit'],
  });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`${name} stopped (${signal ?? `exit ${code}`}); stopping the rest\n`);
      stop(code || 1);
    }
  });
  return child;
}

function waitForReady(deadline) {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const request = http.get(`http://127.0.0.1:${port}/health/ready`, (response) => {
        response.resume();
        if (response.statusCode === 200) resolve();
        else retry();
      });
      request.on('error', retry);
    };
    const retry = () =>
      Date.now() > deadline
        ? reject(new Error('the alert server did not become ready'))
        : setTimeout(attempt, 200);
    attempt();
  });
}

let stopping = false;
let exitCode = 0;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  for (const child of children) child.kill('SIGTERM');
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stop(0));
process.on('exit', () => children.forEach((child) => child.exitCode === null && child.kill('SIGKILL')));

const DEMO_DEVICE = process.env.VIGIE_DEVICE_ID || 'pi-demo';
const DEMO_LOCATION = process.env.VIGIE_LOCATION || 'Bureau de démonstration';
const DEMO_OPERATOR = 'demo';

/** One admin command of the server's binary (`device ...`, `operator ...`), on the same store. */
function admin(args, input = '') {
  const run = spawnSync(process.execPath, [path.join(root, 'dist/apps/alert-server/main.js'), ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    input,
    encoding: 'utf8',
  });
  return { code: run.status, stdout: run.stdout ?? '', stderr: run.stderr ?? '' };
}

/** A fresh token for the demo device and a fresh password for the demo operator. */
function prepareDemoCredentials() {
  admin(['device', 'revoke', DEMO_DEVICE]);
  const device = admin(['device', 'add', DEMO_DEVICE, '--location', DEMO_LOCATION]);
  if (device.code !== 0) throw new Error(`could not create the demo device: ${device.stderr.trim()}`);
  const token = device.stdout.trimEnd().split('\n').at(-1);
  const password = randomBytes(9).toString('base64url');
  admin(['operator', 'remove', DEMO_OPERATOR]);
  const operator = admin(['operator', 'add', DEMO_OPERATOR, '--password-stdin'], `${password}\n`);
  if (operator.code !== 0) throw new Error(`could not create the demo operator: ${operator.stderr.trim()}`);
  return { token, password };
}

async function main() {
  const authOff = process.env.VIGIE_AUTH === 'off';
  const demo = authOff ? null : prepareDemoCredentials();
  start('alert-server', [], { PORT: port }, 'ignore');
  await waitForReady(Date.now() + 30_000);
  start(
    'button-agent',
    ['run'],
    {
      VIGIE_SERVER_URL: `http://127.0.0.1:${port}`,
      VIGIE_DEVICE_ID: DEMO_DEVICE,
      VIGIE_LOCATION: DEMO_LOCATION,
      ...(demo ? { VIGIE_DEVICE_TOKEN: demo.token } : {}),
      VIGIE_BUTTONS: process.env.VIGIE_BUTTONS || '17:panic,27:fire:Feu,22:medical:Malaise',
      VIGIE_GPIO_DRIVER: 'keyboard',
      VIGIE_SPOOL_DIR: process.env.VIGIE_SPOOL_DIR || path.join(root, 'data/spool'),
      VIGIE_HEARTBEAT_S: '10',
    },
    'inherit',
  );
  process.stdout.write(
    [
      '',
      `Vigie is running: alert server on http://localhost:${port}, button agent ${DEMO_DEVICE}.`,
      demo
        ? `Open http://localhost:${port} and sign in as "${DEMO_OPERATOR}" with the password ${demo.password} (new at each start).`
        : `Open http://localhost:${port} (VIGIE_AUTH=off: no sign-in, lab bench only).`,
      'Press Enter to press the button (panic); type "fire" or "medical" then Enter for the others.',
      `Metrics: http://localhost:${port}/metrics`,
      'Ctrl+C stops everything.',
      '',
    ].join('\n') + '\n',
  );
  await Promise.all(children.map((child) => new Promise((resolve) => child.on('exit', resolve))));
  process.exit(exitCode);
}

main().catch((error) => {
  process.stderr.write(`npm start: ${error.message}\n`);
  stop(1);
  setTimeout(() => process.exit(1), 2000).unref();
});
