'use strict';
/**
 * `node bench/run.js ingest|list|agent|live|notify`: the benchmarks behind
 * `npm run bench:ingest`, `bench:list`, `bench:agent`, `bench:live` and `bench:notify`.
 */
const benches = {
  ingest: './ingest',
  list: './list',
  agent: './agent',
  live: './live',
  notify: './notify',
};
const name = process.argv[2];

if (!Object.hasOwn(benches, name)) {
  process.stderr.write('usage: node bench/run.js ingest|list|agent|live|notify\n');
  process.exit(2);
}
require(benches[name])
  .main()
  .catch((error) => {
    process.stderr.write(`bench:${name} failed: ${String(error?.stack ?? error)}\n`);
    process.exit(1);
  });
