#!/usr/bin/env node
// Bundles the security-post page (apps/alert-server/src/dashboard/page) into the alert
// server's dist folder, where DashboardController serves it. No CDN: everything ships here.
const { mkdirSync, copyFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const esbuild = require('esbuild');

const root = join(__dirname, '..');
const source = join(root, 'apps/alert-server/src/dashboard/page');
const out = join(root, 'dist/apps/alert-server/dashboard');

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

esbuild.buildSync({
  entryPoints: { dashboard: join(source, 'main.ts'), 'dashboard-style': join(source, 'style.css') },
  outdir: join(out, 'assets'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  tsconfig: join(source, 'tsconfig.json'),
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(join(source, 'index.html'), join(out, 'index.html'));
process.stdout.write(`dashboard built in ${out}\n`);
