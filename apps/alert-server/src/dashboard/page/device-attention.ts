import type { Device } from '@app/contracts/wire';
import { isOlderVersion } from './versions';

/**
 * What can be wrong with a device, most serious first: offline after having been seen (a
 * button that worked and went silent), never seen (installed or not, it never spoke), a spool
 * backlog (alerts it holds that the server has not yet had), an outdated agent.
 */
export const PROBLEMS = ['offline', 'never-seen', 'backlog', 'outdated'] as const;
export type Problem = (typeof PROBLEMS)[number];

/** A device's problems, most serious first; empty for a healthy device. */
export function problemsOf(device: Device, currentAgent: string | null): Problem[] {
  const problems: Problem[] = [];
  if (device.lastSeenAt === null) problems.push('never-seen');
  else if (device.status === 'offline') problems.push('offline');
  if ((device.spoolDepth ?? 0) > 0) problems.push('backlog');
  if (isOutdated(device, currentAgent)) problems.push('outdated');
  // Pushed in the order of PROBLEMS: most serious first.
  return problems;
}

/** Unknown versions (either side) claim nothing: only a proven older agent is a problem. */
export function isOutdated(device: Device, currentAgent: string | null): boolean {
  if (!device.agentVersion || !currentAgent) return false;
  return isOlderVersion(device.agentVersion, currentAgent) === true;
}

/** The order of the problem list: the most serious problem first, then by id. */
export function byUrgency(
  a: { id: string; problems: Problem[] },
  b: { id: string; problems: Problem[] },
): number {
  const rank = (problems: Problem[]) => (problems.length ? PROBLEMS.indexOf(problems[0]) : PROBLEMS.length);
  return rank(a.problems) - rank(b.problems) || a.id.localeCompare(b.id);
}

/** The counts at the top of the devices section. */
export interface DeviceCounts {
  online: number;
  /** Seen before, now silent (never-seen devices are counted apart). */
  offline: number;
  neverSeen: number;
  backlog: number;
  outdated: number;
  /** Devices with at least one problem: the badge. */
  problems: number;
}

export function noCounts(): DeviceCounts {
  return { online: 0, offline: 0, neverSeen: 0, backlog: 0, outdated: 0, problems: 0 };
}

/** Adds (sign 1) or removes (sign -1) one device's share, so a live event costs O(1), not O(n). */
export function tally(counts: DeviceCounts, device: Device, problems: Problem[], sign: 1 | -1): void {
  if (device.status === 'online') counts.online += sign;
  if (problems.includes('offline')) counts.offline += sign;
  if (problems.includes('never-seen')) counts.neverSeen += sign;
  if (problems.includes('backlog')) counts.backlog += sign;
  if (problems.includes('outdated')) counts.outdated += sign;
  if (problems.length > 0) counts.problems += sign;
}

/**
 * Text folded for search: lower case, accents dropped ("Salle à manger" is found by "salle a"),
 * so the operator types as fast as they can without caring about either.
 */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

/** What a device is found by: its id and its location, folded once (not on every keystroke). */
export function searchKey(device: Device): string {
  return fold(`${device.id}\n${device.location ?? ''}`);
}

/** The words typed; every one must be found (in any order) for a device to match. */
export function searchTerms(query: string): string[] {
  return fold(query).split(/\s+/).filter(Boolean);
}

export function matchesSearch(key: string, terms: string[]): boolean {
  return terms.length > 0 && terms.every((term) => key.includes(term));
}

/** Two reads of the same device that would draw the same row. */
export function sameDevice(a: Device, b: Device): boolean {
  return (
    a.id === b.id &&
    a.location === b.location &&
    a.status === b.status &&
    a.lastSeenAt === b.lastSeenAt &&
    a.agentVersion === b.agentVersion &&
    a.spoolDepth === b.spoolDepth
  );
}
