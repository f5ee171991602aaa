'use strict';
/**
 * Preloaded into the alert server (`node -r bench/probe-store.js dist/...`) by
 * `BENCH_PROBE=1 npm run bench:ingest`: counts what reaches SQLite (statements, commits,
 * writes per commit) and the time the event loop spends blocked in it, then prints one
 * `bench.probe` JSON line at exit. It only wraps better-sqlite3; the server is unchanged.
 * It sees the main thread's connection only: the reads (device tokens, lists) and, should
 * the writer thread fail, the writes; the writer thread's own statements are not counted.
 */
const { monitorEventLoopDelay } = require('node:perf_hooks');
const Database = require('better-sqlite3');

const stats = {
  statements: 0,
  prepareMs: 0,
  executeMs: 0,
  commits: 0,
  commitMs: 0,
  maxCommitMs: 0,
  savepoints: 0,
  maxSavepointsPerCommit: 0,
};
let savepointsInTransaction = 0;
const started = performance.now();
const elu = performance.eventLoopUtilization();
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

const prepare = Database.prototype.prepare;
Database.prototype.prepare = function probedPrepare(source) {
  const t0 = performance.now();
  const statement = prepare.call(this, source);
  stats.prepareMs += performance.now() - t0;
  stats.statements++;
  const kind = source.trimStart().slice(0, 9).toLowerCase();
  if (kind.startsWith('savepoint')) {
    stats.savepoints++;
    savepointsInTransaction++;
  }
  const isCommit = kind.startsWith('commit');
  for (const method of ['run', 'all', 'get']) {
    const original = statement[method];
    statement[method] = function probed(...args) {
      const t1 = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        const ms = performance.now() - t1;
        stats.executeMs += ms;
        if (isCommit) {
          stats.commits++;
          stats.commitMs += ms;
          stats.maxCommitMs = Math.max(stats.maxCommitMs, ms);
          stats.maxSavepointsPerCommit = Math.max(stats.maxSavepointsPerCommit, savepointsInTransaction);
          savepointsInTransaction = 0;
        }
      }
    };
  }
  return statement;
};

process.on('exit', () => {
  const round = (value) => Math.round(value * 10) / 10;
  const line = {
    event: 'bench.probe',
    wallMs: round(performance.now() - started),
    eventLoopUtilization: round(performance.eventLoopUtilization(elu).utilization * 100) / 100,
    eventLoopDelayP99Ms: round(delay.percentile(99) / 1e6),
    ...Object.fromEntries(Object.entries(stats).map(([key, value]) => [key, round(value)])),
    savepointsPerCommit: round(stats.savepoints / Math.max(1, stats.commits)),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
});
