import { CHANNEL_KINDS, ChannelConfig, ChannelKind } from './notify-config';
import { NotifyFileReader, keyPath } from './notify-file-reader';
import {
  readAddress,
  readAddresses,
  readCa,
  readSecret,
  readToken,
  readTopic,
  readUrl,
} from './channel-options';

const OPTIONS: { readonly [K in ChannelKind]: readonly string[] } = {
  webhook: ['url', 'secret'],
  ntfy: ['url', 'token'],
  email: ['smtp', 'from', 'to', 'ca'],
  mqtt: ['url', 'topic', 'ca'],
  alertmanager: ['url'],
};

const HTTP = ['http', 'https'];
/** Names go in logs and the timeline: kept to what needs no quoting there. */
const CHANNEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * The `channels` map, and every name in it, valid or not: a step naming a channel whose options
 * are wrong is not also blamed for naming an unknown channel.
 */
export function readChannels(
  reader: NotifyFileReader,
  value: unknown,
  folder: string,
): { channels: Map<string, ChannelConfig>; names: string[] } {
  const channels = new Map<string, ChannelConfig>();
  const entries = value == null ? {} : (reader.map(value, 'channels') ?? {});
  for (const [name, body] of Object.entries(entries)) {
    const path = keyPath('channels', name);
    if (!CHANNEL_NAME.test(name)) {
      reader.fault(path, 'a channel name is 1 to 64 of A-Z a-z 0-9 . _ - (starting with a letter or digit)');
    }
    const channel = readChannel(reader, body, path, folder);
    if (channel) channels.set(name, channel);
  }
  return { channels, names: Object.keys(entries) };
}

function readChannel(
  reader: NotifyFileReader,
  value: unknown,
  path: string,
  folder: string,
): ChannelConfig | null {
  const body = reader.map(value, path);
  if (!body) return null;
  const kinds = CHANNEL_KINDS.filter((kind) => kind in body);
  for (const key of Object.keys(body)) {
    if (!(CHANNEL_KINDS as readonly string[]).includes(key)) {
      reader.fault(keyPath(path, key), `unknown channel kind (kinds: ${CHANNEL_KINDS.join(', ')})`);
    }
  }
  if (Object.keys(body).length === 0) {
    reader.fault(path, `expected one kind: ${CHANNEL_KINDS.join(', ')}`);
  }
  if (kinds.length > 1) {
    reader.fault(path, `a channel is exactly one kind, this one has ${kinds.length}: ${kinds.join(', ')}`);
  }
  // Every kind given is read, so that its faults are reported too.
  const read = kinds.map((kind) => readKind(reader, kind, body[kind], keyPath(path, kind), folder));
  return read.length === 1 ? read[0] : null;
}

function readKind(
  reader: NotifyFileReader,
  kind: ChannelKind,
  value: unknown,
  path: string,
  folder: string,
): ChannelConfig | null {
  const faultsBefore = reader.faults.length;
  const options = reader.map(value, path, OPTIONS[kind]);
  if (!options) return null;
  const at = (key: string) => keyPath(path, key);
  const url = (schemes: string[], example: string) =>
    reader.required(options.url, at('url'), (raw, where) => readUrl(reader, raw, where, schemes, example));
  const optional = <T>(key: string, read: (value: unknown, path: string) => T | null): T | null =>
    options[key] == null ? null : read(options[key], at(key));
  const ca = () => optional('ca', (raw, where) => readCa(reader, raw, where, folder));
  const config = ((): ChannelConfig => {
    switch (kind) {
      case 'webhook':
        return {
          kind,
          url: url(HTTP, 'https://dispatch.example.org/hooks/vigie')!,
          secret: reader.required(options.secret, at('secret'), (raw, where) =>
            readSecret(reader, raw, where),
          )!,
        };
      case 'ntfy':
        return {
          kind,
          url: url(HTTP, 'https://ntfy.example.org/vigie')!,
          token: optional('token', (raw, where) => readToken(reader, raw, where)),
        };
      case 'email':
        return {
          kind,
          smtp: reader.required(options.smtp, at('smtp'), (raw, where) =>
            readUrl(reader, raw, where, ['smtp', 'smtps'], 'smtp://mail.example.org:587'),
          )!,
          from: reader.required(options.from, at('from'), (raw, where) => readAddress(reader, raw, where))!,
          to: reader.required(options.to, at('to'), (raw, where) => readAddresses(reader, raw, where))!,
          ca: ca(),
        };
      case 'mqtt':
        return {
          kind,
          url: url(['mqtt', 'mqtts'], 'mqtt://10.0.0.5:1883')!,
          topic: reader.required(options.topic, at('topic'), (raw, where) => readTopic(reader, raw, where))!,
          ca: ca(),
        };
      case 'alertmanager':
        return { kind, url: url(HTTP, 'http://127.0.0.1:9093')! };
    }
  })();
  // Each reader returns null only with a fault recorded: no new fault, no null in `config`.
  return reader.faults.length === faultsBefore ? config : null;
}
