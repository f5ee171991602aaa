'use strict';
/**
 * What a process costs, read from /proc (Linux): CPU time, resident memory and wake-ups.
 * Reading /proc does not disturb the process measured.
 */
const { execFileSync } = require('node:child_process');
const { readFileSync, readdirSync } = require('node:fs');

/** Clock ticks per second of /proc/<pid>/stat times. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  } catch {
    return 100;
  }
})();

/** `Key:   123 kB` lines of /proc/<pid>/status as numbers (kB for the memory ones). */
function statusFields(text) {
  const fields = {};
  for (const line of text.split('\n')) {
    const match = /^(\w+):\s+(\d+)/.exec(line);
    if (match) fields[match[1]] = Number(match[2]);
  }
  return fields;
}

/** user + system ms from a /proc stat line (of a process or of one of its threads). */
function statCpuMs(path) {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** Context switches of every thread of the process: how often it woke up. */
function wakeUps(pid) {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const fields = statusFields(readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8'));
      total += (fields.voluntary_ctxt_switches ?? 0) + (fields.nonvoluntary_ctxt_switches ?? 0);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return total;
}

/**
 * One reading, or null when the process is gone (or this is not Linux).
 * @returns {{ at: number, cpuMs: number, mainCpuMs: number, rssKb: number, hwmKb: number,
 *             anonKb: number, fileKb: number, threads: number, wakeUps: number } | null}
 * `cpuMs` is user + system time of all threads so far (resolution: one clock tick), `mainCpuMs`
 * that of the main thread (JavaScript) alone, the rest being V8's helper threads (concurrent
 * GC, compilers) and libuv's thread pool (file system calls);
 * `hwmKb` the peak RSS over the process's life; `anonKb`/`fileKb` split RSS into the heap and
 * other private memory, and mapped files (the node binary, shared libraries).
 */
function procSample(pid) {
  try {
    const status = statusFields(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return {
      at: performance.now(),
      cpuMs: statCpuMs(`/proc/${pid}/stat`),
      mainCpuMs: statCpuMs(`/proc/${pid}/task/${pid}/stat`),
      rssKb: status.VmRSS,
      hwmKb: status.VmHWM,
      anonKb: status.RssAnon,
      fileKb: status.RssFile,
      threads: status.Threads,
      wakeUps: wakeUps(pid),
    };
  } catch {
    return null;
  }
}

/**
 * Samples `pid` every `everyMs` for `seconds`; resolves with the readings, first and last
 * included, so the CPU used over the window is last.cpuMs - first.cpuMs.
 */
async function sampleFor(pid, seconds, everyMs = 250) {
  // Steps on a fixed schedule, so that every `1000 / everyMs` samples make one second.
  const start = performance.now();
  const samples = [procSample(pid)];
  for (let step = 1; step * everyMs <= seconds * 1000; step++) {
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, start + step * everyMs - performance.now())),
    );
    samples.push(procSample(pid));
  }
  if (samples.includes(null)) throw new Error(`process ${pid} ended while it was being sampled`);
  return samples;
}

const mb = (kb) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : 'n/a');

module.exports = { CLOCK_TICKS, procSample, sampleFor, statCpuMs, mb };
