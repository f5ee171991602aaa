'use strict';
/**
 * `node bench/run.js ingest|list|agent`: the benchmarks behind `npm run bench:ingest`,
 * `bench:list` and `bench:agent`.
 */
const benches = { ingest: './ingest', list: './list', agent: './agent' };
const name = process.argv[2];

if (!Object.hasOwn(benches, name)) {
  process.stderr.write('usage: node bench/run.js ingest|list|agent\n');
  process.exit(2);
}
require(benches[name])
  .main()
  .catch((error) => {
    process.stderr.write(`bench:${name} failed: ${String(error?.stack ?? error)}\n`);
    process.exit(1);
  });
