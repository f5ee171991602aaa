'use strict';
/**
 * Preloaded into the agent by `BENCH_PROBE=1 npm run bench:agent` (`node --expose-gc -r`):
 * on SIGUSR2, writes one `bench.memory` JSON line on stdout with V8's view of the process's
 * memory, then runs a full garbage collection and writes a second one (`afterGc: true`), so
 * that what is live can be told from what is only not yet collected. Nothing runs until the
 * signal: no timer, no polling.
 */
const { writeSync } = require('node:fs');
const v8 = require('node:v8');

const MB = 1024 * 1024;
const round = (bytes) => Math.round((bytes / MB) * 10) / 10;

function report(afterGc) {
  const usage = process.memoryUsage();
  const spaces = {};
  for (const space of v8.getHeapSpaceStatistics()) {
    spaces[space.space_name] = { sizeMb: round(space.space_size), usedMb: round(space.space_used_size) };
  }
  const line = {
    event: 'bench.memory',
    afterGc,
    rssMb: round(usage.rss),
    heapTotalMb: round(usage.heapTotal),
    heapUsedMb: round(usage.heapUsed),
    externalMb: round(usage.external),
    arrayBuffersMb: round(usage.arrayBuffers),
    spaces,
  };
  // One write of a short line: it cannot interleave with the agent's own (synchronous) log lines.
  writeSync(1, `${JSON.stringify(line)}\n`);
}

process.on('SIGUSR2', () => {
  report(false);
  if (typeof global.gc === 'function') {
    global.gc();
    report(true);
  }
});
