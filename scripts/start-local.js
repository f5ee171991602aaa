#!/usr/bin/env node
// `npm start`: the whole system on one machine, for a first look. Runs what `npm run build`
// produced: the alert server on ./data/vigie.db. Ctrl+C stops everything gracefully.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const port = process.env.PORT || '3000';
const env = { ...process.env, PORT: port, LOG_FORMAT: process.env.LOG_FORMAT || 'pretty' };

const server = spawn(process.execPath, [path.join(root, 'dist/apps/alert-server/main.js')], {
  cwd: root,
  env,
  stdio: 'inherit',
});

process.stdout.write(
  [
    '',
    `Vigie alert server starting on http://localhost:${port}`,
    'Raise an alert from another terminal:',
    `  curl -i -H 'Content-Type: application/json' -d '{"deviceId":"pi-demo","type":"test","message":"Essai"}' http://localhost:${port}/alerts`,
    `  curl http://localhost:${port}/alerts`,
    `Metrics: http://localhost:${port}/metrics   Ctrl+C stops.`,
    '',
  ].join('\n') + '\n',
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.kill('SIGTERM');
  });
}
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
