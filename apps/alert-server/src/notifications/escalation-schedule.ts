import { MAX_REPEATS, type EscalationStep } from './notify-config';

/** One firing of an escalation: a step (1 for the first), or one of its repeats. */
export interface Firing {
  /** After the alert's `receivedAt`. */
  offsetMs: number;
  step: number;
  /** 0 for the step itself, 1.. for its repeats. */
  repeat: number;
}

/**
 * Every firing an escalation can make, in time order: each step at its `after`, and its repeats
 * at `after + k·repeat` (k = 1..20). Repeats go on after later steps have fired: a phone keeps
 * ringing while the director is told. The escalation stores only its index in this list, so
 * the list must come out the same for the same steps: ties keep step order, then repeat order.
 */
export function escalationSchedule(steps: readonly EscalationStep[]): Firing[] {
  const firings: Firing[] = [];
  steps.forEach((step, index) => {
    firings.push({ offsetMs: step.afterMs, step: index + 1, repeat: 0 });
    if (step.repeatMs === null) return;
    for (let repeat = 1; repeat <= MAX_REPEATS; repeat++) {
      firings.push({ offsetMs: step.afterMs + repeat * step.repeatMs, step: index + 1, repeat });
    }
  });
  return firings.sort((a, b) => a.offsetMs - b.offsetMs || a.step - b.step || a.repeat - b.repeat);
}
