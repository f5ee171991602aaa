import { MonotonicMs } from './button-input';

/** Both clocks read at the same instant, when a chunk of gpiomon output arrives. */
export interface ClockReading {
  /** `performance.now()`: the agent's monotonic milliseconds. */
  agentMs: MonotonicMs;
  /** CLOCK_MONOTONIC in milliseconds (libuv's hrtime), the clock the kernel stamps GPIO events with. */
  monotonicMs: number;
}

/**
 * A timestamp further in the past than this is not trusted to be on CLOCK_MONOTONIC: kernels
 * before 5.7 stamp libgpiod v1 events with the wall clock, `--event-clock=hte` with another one.
 */
const MAX_TRUSTED_AGE_MS = 2000;

export function readClocks(): ClockReading {
  return { agentMs: performance.now(), monotonicMs: Number(process.hrtime.bigint()) / 1e6 };
}

/**
 * The agent time of a kernel edge timestamp. The kernel's stamp is taken at the interrupt, so
 * edges that reach us in one chunk keep their real spacing (debounce and hold see the truth);
 * a stamp that cannot be on our clock falls back to the time the line was received.
 */
export function agentTimeOf(eventSeconds: number | null, clocks: ClockReading): MonotonicMs {
  if (eventSeconds === null || !Number.isFinite(eventSeconds)) return clocks.agentMs;
  const ageMs = clocks.monotonicMs - eventSeconds * 1000;
  // A few hundred microseconds "in the future" is rounding between the two readings.
  if (ageMs < -1 || ageMs > MAX_TRUSTED_AGE_MS) return clocks.agentMs;
  return clocks.agentMs - Math.max(0, ageMs);
}
