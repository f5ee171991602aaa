'use strict';
/** Small timing helpers shared by the agent benches (bench:agent, bench:feedback). */

const sleep = (msToWait) => new Promise((resolve) => setTimeout(resolve, Math.max(0, msToWait)));

/** Rejects after `timeoutMs` unless `promise` settled first; `what()` says what did not happen. */
function within(promise, timeoutMs, what) {
  let timer;
  const timeout = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what()} after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Nearest-rank percentiles, as bench/lib/load.js computes them. */
function percentiles(values) {
  const sorted = Float64Array.from(values.filter(Number.isFinite)).sort();
  const at = (q) =>
    sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return {
    n: sorted.length,
    p50: at(0.5),
    p99: at(0.99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

module.exports = { sleep, within, percentiles };
