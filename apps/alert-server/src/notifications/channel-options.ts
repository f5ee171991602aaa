import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NotifyFileReader, describeReadError } from './notify-file-reader';

// The options of channels, each read as text (with `${NAME}` substituted) and checked: null when
// faulty, the fault recorded.

export function readUrl(
  reader: NotifyFileReader,
  value: unknown,
  path: string,
  schemes: string[],
  example: string,
): string | null {
  const text = reader.text(value, path);
  if (text === null) return null;
  const expected = `expected an ${schemes.map((scheme) => `${scheme}://`).join(' or ')} URL, e.g. ${example}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    reader.fault(path, expected);
    return null;
  }
  const scheme = url.protocol.slice(0, -1);
  if (!schemes.includes(scheme)) {
    reader.fault(path, `${expected} (not ${scheme}://)`);
    return null;
  }
  if (url.hostname === '') {
    reader.fault(path, `${expected} (no host)`);
    return null;
  }
  return text;
}

/**
 * Standard Webhooks' secret form. Checked here rather than at the first send: a wrong secret
 * would only show as every receiver refusing every signature, during an emergency.
 */
export function readSecret(reader: NotifyFileReader, value: unknown, path: string): string | null {
  const text = reader.text(value, path);
  if (text === null) return null;
  const base64 = text.startsWith('whsec_') ? text.slice('whsec_'.length) : '';
  const key = Buffer.from(base64, 'base64');
  const canonical = /^[A-Za-z0-9+/]+={0,2}$/.test(base64) && key.toString('base64') === base64;
  if (!canonical || key.length < 24 || key.length > 64) {
    // Never echo it: it is a secret.
    reader.fault(
      path,
      'expected whsec_ then the base64 of a 24 to 64 byte key (e.g. whsec_$(openssl rand -base64 32))',
    );
    return null;
  }
  return text;
}

/** Sent as an HTTP header: anything but printable ASCII would be mangled or refused. */
export function readToken(reader: NotifyFileReader, value: unknown, path: string): string | null {
  const text = reader.text(value, path);
  if (text === null) return null;
  if (!/^[\x21-\x7e]+$/.test(text)) {
    reader.fault(path, 'expected an access token: printable ASCII, no spaces');
    return null;
  }
  return text;
}

const ADDRESS =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

export function readAddress(reader: NotifyFileReader, value: unknown, path: string): string | null {
  const text = reader.text(value, path);
  if (text === null) return null;
  if (!ADDRESS.test(text)) {
    reader.fault(path, `expected an email address such as vigie@example.org, got ${JSON.stringify(text)}`);
    return null;
  }
  return text;
}

export function readAddresses(reader: NotifyFileReader, value: unknown, path: string): string[] | null {
  const items = reader.list(value, path);
  if (items === null) return null;
  if (items.length === 0) {
    reader.fault(path, 'expected at least one address');
    return null;
  }
  const addresses = items.map((item, index) => readAddress(reader, item, `${path}[${index}]`));
  return addresses.includes(null) ? null : (addresses as string[]);
}

export function readTopic(reader: NotifyFileReader, value: unknown, path: string): string | null {
  const text = reader.text(value, path);
  if (text === null) return null;
  // Wildcards cannot be published to, and a trailing / would make `vigie//alerts/fire`.
  if (!/^[^+#\0]+$/.test(text) || text.endsWith('/')) {
    reader.fault(path, 'expected a topic prefix such as vigie or site/vigie (no + or #, no trailing /)');
    return null;
  }
  return text;
}

/**
 * Read now, not at the first send: an unreadable CA would otherwise surface as a TLS failure
 * during an emergency. Relative to the notification file's folder, where it is kept beside it.
 */
export function readCa(
  reader: NotifyFileReader,
  value: unknown,
  path: string,
  folder: string,
): string | null {
  const text = reader.text(value, path);
  if (text === null) return null;
  const file = resolve(folder, text);
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    reader.fault(path, `cannot read ${file}: ${describeReadError(error)}`);
    return null;
  }
  try {
    new X509Certificate(pem);
  } catch {
    reader.fault(path, `${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    return null;
  }
  return file;
}
