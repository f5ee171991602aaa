#!/usr/bin/env node
/**
 * npm run test:mutation                      every module of scripts/mutation-modules.js, in turn
 * npm run test:mutation -- --module spool    one module
 * npm run test:mutation -- --mutate <file>   one file (or file:lines), with its module's specs
 * Other arguments are passed to `stryker run`. One Stryker process per module so that each
 * mutant runs only against the specs of its module; a summary table ends the run.
 */
const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { modules } = require('./mutation-modules.js');

const ROOT = join(__dirname, '..');
const say = (line) => process.stdout.write(`${line}\n`);
const args = process.argv.slice(2);
const take = (flag) => {
  const at = args.indexOf(flag);
  if (at === -1) return undefined;
  const [, value] = args.splice(at, 2);
  return value;
};

const only = take('--module');
const mutate = take('--mutate');
let names = Object.keys(modules);
if (only) names = [only];
if (mutate) {
  // Stryker takes a comma-separated list, each file optionally with `:lines`.
  const files = mutate.split(',').map((file) => file.replace(/:[\d:-]+$/, ''));
  names = names.filter((name) => files.every((file) => modules[name].mutate.includes(file)));
  if (names.length === 0) {
    process.stderr.write(`${files.join(', ')}: not all in one module of scripts/mutation-modules.js\n`);
    process.exit(2);
  }
  names = names.slice(0, 1);
}
for (const name of names) {
  if (!modules[name]) {
    process.stderr.write(`unknown module ${name}; known: ${Object.keys(modules).join(', ')}\n`);
    process.exit(2);
  }
}

/** Mutant counts of one Stryker JSON report (mutation-testing-report-schema). */
function summary(name) {
  const report = join(ROOT, 'reports/mutation', `${name}.json`);
  if (!existsSync(report)) return null;
  const counts = {
    Killed: 0,
    Survived: 0,
    Timeout: 0,
    NoCoverage: 0,
    CompileError: 0,
    RuntimeError: 0,
    Ignored: 0,
  };
  for (const file of Object.values(JSON.parse(readFileSync(report, 'utf8')).files)) {
    for (const mutant of file.mutants) counts[mutant.status] = (counts[mutant.status] ?? 0) + 1;
  }
  const detected = counts.Killed + counts.Timeout;
  const valid = detected + counts.Survived + counts.NoCoverage;
  return { ...counts, valid, score: valid ? (100 * detected) / valid : 100 };
}

const rows = [];
let failed = false;
for (const name of names) {
  const started = Date.now();
  const strykerArgs = ['run', 'stryker.config.mjs', ...(mutate ? ['--mutate', mutate] : []), ...args];
  say(`\n=== mutation testing: ${name} (stryker ${strykerArgs.join(' ')})`);
  const run = spawnSync(join(ROOT, 'node_modules/.bin/stryker'), strykerArgs, {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, STRYKER_MODULE: name },
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  if (run.status !== 0) failed = true;
  rows.push({ name, seconds, status: run.status, counts: run.status === 0 ? summary(name) : null });
}

say('\nmodule         mutants  killed  survived  timeout  no-cov  score    time');
for (const { name, seconds, status, counts } of rows) {
  const time = `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  if (!counts) {
    say(`${name.padEnd(14)} stryker failed (exit ${status})  ${time}`);
    continue;
  }
  say(
    [
      name.padEnd(14),
      String(counts.valid).padStart(7),
      String(counts.Killed).padStart(7),
      String(counts.Survived).padStart(9),
      String(counts.Timeout).padStart(8),
      String(counts.NoCoverage).padStart(7),
      `${counts.score.toFixed(1)} %`.padStart(8),
      time.padStart(7),
    ].join(' '),
  );
}
process.exit(failed ? 1 : 0);
