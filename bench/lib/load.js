'use strict';
/**
 * autocannon in the bench process (no workers, so request hooks can share state with the
 * caller), keeping every response's latency so that several rounds merge exactly.
 */
const autocannon = require('autocannon');

/**
 * @returns {Promise<Sample>} one measured run
 * @typedef {{ responses: number, seconds: number, latencies: number[], statuses: Record<string, number>,
 *             errors: number, timeouts: number, cpuMs: number }} Sample
 * `cpu`, when given, reads the server's CPU time (ms) so the sample says what each request cost it.
 */
function load({ url, connections, seconds, requests, path = '/', cpu = () => null }) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    const cpuBefore = cpu();
    const instance = autocannon(
      // autocannon takes the path of plain requests from the URL.
      { url: new URL(path, url).href, connections, duration: seconds, requests, timeout: 10 },
      (error, result) => {
        if (error) return reject(error);
        const cpuAfter = cpu();
        const statuses = {};
        for (const [code, { count }] of Object.entries(result.statusCodeStats)) statuses[code] = count;
        resolve({
          responses: latencies.length,
          seconds: result.duration,
          latencies,
          statuses,
          errors: result.errors,
          timeouts: result.timeouts,
          cpuMs: cpuBefore === null || cpuAfter === null ? NaN : cpuAfter - cpuBefore,
        });
      },
    );
    instance.on('response', (_client, _statusCode, _bytes, responseTime) => latencies.push(responseTime));
  });
}

/** Several samples of one target, as if they were one run. */
function merge(samples) {
  const merged = { responses: 0, seconds: 0, latencies: [], statuses: {}, errors: 0, timeouts: 0, cpuMs: 0 };
  for (const sample of samples) {
    merged.responses += sample.responses;
    merged.seconds += sample.seconds;
    merged.errors += sample.errors;
    merged.timeouts += sample.timeouts;
    merged.cpuMs += sample.cpuMs;
    // Measures a caller added to its samples (e.g. CPU of one thread), summed the same way.
    for (const field of ['mainCpuMs', 'loadCpuMs']) {
      if (field in sample) merged[field] = (merged[field] ?? 0) + sample[field];
    }
    for (const latency of sample.latencies) merged.latencies.push(latency);
    for (const [code, count] of Object.entries(sample.statuses)) {
      merged.statuses[code] = (merged.statuses[code] ?? 0) + count;
    }
  }
  return merged;
}

/** Requests per second and latency percentiles (ms) of a sample; non-2xx count as errors. */
function summarize(sample) {
  const sorted = Float64Array.from(sample.latencies).sort();
  const at = (q) =>
    sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  let ok = 0;
  for (const [code, count] of Object.entries(sample.statuses)) if (code.startsWith('2')) ok += count;
  return {
    rps: ok / sample.seconds,
    ok,
    failed: sample.responses - ok + sample.errors + sample.timeouts,
    p50: at(0.5),
    p99: at(0.99),
    max: sorted.length === 0 ? NaN : sorted[sorted.length - 1],
    /** Server CPU time per answered request (NaN when it could not be read). */
    cpuMsPerRequest: sample.cpuMs / sample.responses,
    statuses: sample.statuses,
  };
}

module.exports = { load, merge, summarize };
