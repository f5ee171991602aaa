'use strict';
/**
 * `node bench/run.js ingest|list|agent|live|notify|feedback`: the benchmarks behind
 * `npm run bench:ingest`, `bench:list`, `bench:agent`, `bench:live`, `bench:notify` and
 * `bench:feedback`.
 */
const benches = {
  ingest: './ingest',
  list: './list',
  agent: './agent',
  live: './live',
  notify: './notify',
  feedback: './feedback',
};
const name = process.argv[2];

if (!Object.hasOwn(benches, name)) {
  process.stderr.write('usage: node bench/run.js ingest|list|agent|live|notify|feedback\n');
  process.exit(2);
}
require(benches[name])
  .main()
  .catch((error) => {
    process.stderr.write(`bench:${name} failed: ${String(error?.stack ?? error)}\n`);
    process.exit(1);
  });
