import { ALERT_SEVERITIES, ALERT_TYPES } from '@app/contracts';
import { formatDuration, parseDuration } from './duration';
import { EscalationRule, EscalationStep } from './notify-config';
import { NotifyFileReader, keyPath } from './notify-file-reader';

const DAY_MS = 24 * 3600 * 1000;
/** Below this, a repeat is a flood that hides the other alerts on a phone. */
const MIN_REPEAT_MS = 10_000;

/** The `escalation` list; an absent or empty one notifies nobody (the dashboard still shows alerts). */
export function readEscalation(
  reader: NotifyFileReader,
  value: unknown,
  channels: string[],
): EscalationRule[] {
  if (value == null) return [];
  const rules = reader.list(value, 'escalation') ?? [];
  return rules.flatMap((rule, index) => readRule(reader, rule, `escalation[${index}]`, channels) ?? []);
}

function readRule(
  reader: NotifyFileReader,
  value: unknown,
  path: string,
  channels: string[],
): EscalationRule | null {
  const faultsBefore = reader.faults.length;
  const rule = reader.map(value, path, ['match', 'steps']);
  if (!rule) return null;
  const matchPath = keyPath(path, 'match');
  const match = rule.match == null ? {} : (reader.map(rule.match, matchPath, ['type', 'severity']) ?? {});
  const type = readChoices(
    reader,
    match.type,
    keyPath(matchPath, 'type'),
    ['alert type', 'types'],
    ALERT_TYPES,
  );
  const severity = readChoices(
    reader,
    match.severity,
    keyPath(matchPath, 'severity'),
    ['severity', 'severities'],
    ALERT_SEVERITIES,
  );
  const stepsPath = keyPath(path, 'steps');
  const steps = reader.required(rule.steps, stepsPath, (raw) => readSteps(reader, raw, stepsPath, channels));
  return reader.faults.length === faultsBefore ? { match: { type, severity }, steps: steps ?? [] } : null;
}

/** null: any (the key is absent); otherwise a non-empty list of known values. */
function readChoices<T extends string>(
  reader: NotifyFileReader,
  value: unknown,
  path: string,
  [what, plural]: [string, string],
  known: readonly T[],
): T[] | null {
  if (value == null) return null;
  const items = reader.list(value, path);
  if (items === null) return null;
  if (items.length === 0) reader.fault(path, `expected at least one ${what} (leave the key out for any)`);
  const isKnown = (text: string): text is T => (known as readonly string[]).includes(text);
  return items.flatMap((item, index) => {
    const text = reader.text(item, `${path}[${index}]`);
    if (text === null) return [];
    if (!isKnown(text)) {
      reader.fault(
        `${path}[${index}]`,
        `unknown ${what} ${JSON.stringify(text)} (${plural}: ${known.join(', ')})`,
      );
      return [];
    }
    return [text];
  });
}

function readSteps(
  reader: NotifyFileReader,
  value: unknown,
  path: string,
  channels: string[],
): EscalationStep[] | null {
  const items = reader.list(value, path);
  if (items === null) return null;
  let previous: EscalationStep | null = null;
  const steps: EscalationStep[] = [];
  for (const [index, item] of items.entries()) {
    const stepPath = `${path}[${index}]`;
    const step = readStep(reader, item, stepPath, channels);
    if (!step) continue;
    // Steps in time order let a reader see the escalation at a glance, and the scheduler trust it.
    if (previous && step.afterMs < previous.afterMs) {
      reader.fault(
        keyPath(stepPath, 'after'),
        `${formatDuration(step.afterMs)} comes before the previous step's ${formatDuration(previous.afterMs)} (steps go in time order)`,
      );
    }
    previous = step;
    steps.push(step);
  }
  return steps;
}

function readStep(
  reader: NotifyFileReader,
  value: unknown,
  path: string,
  channels: string[],
): EscalationStep | null {
  const faultsBefore = reader.faults.length;
  const step = reader.map(value, path, ['after', 'notify', 'repeat']);
  if (!step) return null;
  const afterMs = reader.required(step.after, keyPath(path, 'after'), (raw, where) =>
    readDuration(reader, raw, where, 0, DAY_MS),
  );
  const notify = reader.required(step.notify, keyPath(path, 'notify'), (raw, where) =>
    readChannelNames(reader, raw, where, channels),
  );
  const repeatMs =
    step.repeat == null
      ? null
      : readDuration(reader, step.repeat, keyPath(path, 'repeat'), MIN_REPEAT_MS, DAY_MS);
  if (reader.faults.length !== faultsBefore || afterMs === null || notify === null) return null;
  return { afterMs, notify, repeatMs };
}

function readDuration(
  reader: NotifyFileReader,
  value: unknown,
  path: string,
  minMs: number,
  maxMs: number,
): number | null {
  const range = `from ${formatDuration(minMs)} to ${formatDuration(maxMs)}`;
  const expected = `expected a duration ${range}, such as 90s, 5m or 1h30m`;
  if (typeof value === 'number') {
    reader.fault(path, `${expected} (a bare number has no unit)`);
    return null;
  }
  const text = reader.text(value, path);
  if (text === null) return null;
  const ms = parseDuration(text);
  if (ms === null || ms < minMs || ms > maxMs) {
    reader.fault(path, `${expected}, got ${JSON.stringify(text)}`);
    return null;
  }
  return ms;
}

/** The `notify` list of a step or of `devices.offline`: at least one channel, each defined. */
export function readChannelNames(
  reader: NotifyFileReader,
  value: unknown,
  path: string,
  channels: string[],
): string[] | null {
  const items = reader.list(value, path);
  if (items === null) return null;
  if (items.length === 0) reader.fault(path, 'expected at least one channel');
  const names = items.map((item, index) => {
    const where = `${path}[${index}]`;
    const name = reader.text(item, where);
    if (name !== null && !channels.includes(name)) {
      const known = channels.length > 0 ? `channels: ${channels.join(', ')}` : 'no channel is defined';
      reader.fault(where, `unknown channel ${JSON.stringify(name)} (${known})`);
    }
    if (name !== null && items.indexOf(item) !== index)
      reader.fault(where, `${JSON.stringify(name)} is listed twice`);
    return name;
  });
  return names.includes(null) ? null : (names as string[]);
}

/** `devices.offline`: where a button that went silent is announced; null: the dashboard only. */
export function readDevices(
  reader: NotifyFileReader,
  value: unknown,
  channels: string[],
): { notify: string[] } | null {
  if (value == null) return null;
  const devices = reader.map(value, 'devices', ['offline']);
  if (!devices || devices.offline == null) return null;
  const offline = reader.map(devices.offline, 'devices.offline', ['notify']);
  if (!offline) return null;
  const notify = reader.required(offline.notify, 'devices.offline.notify', (raw, where) =>
    readChannelNames(reader, raw, where, channels),
  );
  return notify && { notify };
}
