'use strict';
/** Output helpers: the machine line, Markdown tables for the README, verdicts. */
const os = require('node:os');
const { execFileSync } = require('node:child_process');

function print(line = '') {
  process.stdout.write(`${line}\n`);
}

function nproc() {
  try {
    return execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    return String(os.availableParallelism());
  }
}

/** What the numbers depend on; the load average shows whether the machine was busy. */
function machine() {
  const [one, five] = os.loadavg();
  return {
    cpus: nproc(),
    model: os.cpus()[0]?.model ?? 'unknown CPU',
    node: process.version,
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    load: `${one.toFixed(2)} / ${five.toFixed(2)}`,
  };
}

function machineLine(info, loadAfter) {
  return (
    `Machine: ${info.cpus} CPUs (${info.model}), Node.js ${info.node}, ${info.date}; ` +
    `load average (1/5 min) ${info.load} before, ${loadAfter ?? machine().load} after.`
  );
}

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const ms = (value, digits = 1) => (Number.isFinite(value) ? `${value.toFixed(digits)} ms` : 'n/a');
const rate = (value) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');
const verdict = (ok) => (ok ? 'PASS' : 'FAIL');

module.exports = { print, machine, machineLine, table, ms, rate, verdict };
