import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, Env } from '@app/env';
import { readChannels } from './notify-channels';
import { NotifyConfig } from './notify-config';
import { readDevices, readEscalation } from './notify-escalation';
import { NotifyFileReader, describeReadError } from './notify-file-reader';

/** Without a notification file, the dashboard is the only channel. */
export const DASHBOARD_ONLY: NotifyConfig = Object.freeze({
  file: null,
  channels: new Map(),
  escalation: [],
  deviceOffline: null,
});

/**
 * Reads, substitutes (`${NAME}` from `env`) and validates the notification file; throws a
 * ConfigError listing every fault, one line each naming the file and the key.
 */
export function loadNotifyFile(file: string, env: Env): NotifyConfig {
  const reader = new NotifyFileReader(file, env);
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    reader.fault('', `cannot read the file: ${describeReadError(error)}`);
    throw new ConfigError(reader.faults);
  }
  const root = parseYaml(source, reader);
  // A tree YAML could not parse is a guess: checking its keys would only add misleading faults.
  if (reader.faults.length > 0) throw new ConfigError(reader.faults);

  const top = root == null ? {} : (reader.map(root, '', ['channels', 'escalation', 'devices']) ?? {});
  const { channels, names } = readChannels(reader, top.channels, dirname(resolve(file)));
  const escalation = readEscalation(reader, top.escalation, names);
  const deviceOffline = readDevices(reader, top.devices, names);
  if (reader.faults.length > 0) throw new ConfigError(reader.faults);
  return { file, channels, escalation, deviceOffline };
}

/** The document as plain values, or undefined with its syntax faults recorded (line and column). */
function parseYaml(source: string, reader: NotifyFileReader): unknown {
  // stringKeys: a key written as a list or a number is still a name to check, never an object.
  const document = parseDocument(source, { stringKeys: true, prettyErrors: true });
  const seen = new Set<string>();
  for (const problem of [...document.errors, ...document.warnings]) {
    const { line, col } = problem.linePos?.[0] ?? { line: 0, col: 0 };
    // YAML often reports one mistake twice at the same place: once is enough.
    if (seen.has(`${line}:${col}`)) continue;
    seen.add(`${line}:${col}`);
    const message = problem.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    reader.fault(`line ${line}, column ${col}`, message);
  }
  if (document.errors.length > 0) return undefined;
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // An alias to no anchor, or too many aliases (a "billion laughs" file).
    reader.fault('', (error as Error).message);
    return undefined;
  }
}
