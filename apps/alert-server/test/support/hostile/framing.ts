import http from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { MAX_BODY_BYTES } from './contract';
import { Answer, Outgoing, failure } from './http';
import { Judgement } from './oracle';

/**
 * Framing: how a JSON text is put on the wire (content type, charset, encoding, length, bytes
 * around and inside it), and what each way of framing it deserves.
 */

const JSON_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=UTF-8',
  'Application/JSON',
  'application/json ; charset="utf-8"',
  'application/json; charset=utf-8; profile=vigie',
];
const SUFFIX_JSON_TYPES = [
  'application/merge-patch+json',
  'application/vnd.vigie.alert+json',
  'application/problem+json',
];
const NOT_JSON_TYPES = [
  null,
  'text/plain',
  'text/html; charset=utf-8',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----vigie',
  'application/octet-stream',
  'image/png',
  'application/jsonx',
  'application/json-seq',
  'application/javascript',
  '*/*',
  'application/*',
];
const ODD_TYPES = [
  'application/json; charset',
  'application/json; charset=',
  'application/json;;;',
  ';',
  'application/json, text/plain',
  'application / json',
  'json',
  'application/json; charset=utf-8; charset=latin1',
  'text/json',
  '',
];
const TEXT_CHARSETS = [
  'utf-8',
  'UTF-8',
  'utf8',
  '"utf-8"',
  'iso-8859-1',
  'latin1',
  'us-ascii',
  'windows-1252',
];
const UNKNOWN_CHARSETS = ['foo', 'utf-9', 'klingon', 'x-vigie'];
export const BAD_UTF8 = [
  [0xff],
  [0xc3],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x80],
  [0xe2, 0x82],
  [0xf4, 0x90, 0x80, 0x80],
];
const NOT_OBJECTS = ['null', 'true', '0', '-1.5e3', '"text"', '[]', '[{}]', '""', '{}garbage', '{} {}'];
const ENCODINGS = ['gzip', 'deflate', 'br', 'x-gzip', 'compress', 'identity', 'gzip, identity'];

export type Variant =
  | { kind: 'json'; contentType: string; chunked: boolean }
  | { kind: 'suffixJson'; contentType: string }
  | { kind: 'notJson'; contentType: string | null }
  | { kind: 'oddType'; contentType: string }
  | { kind: 'charset'; charset: string; chunked: boolean }
  | { kind: 'utf16'; label: 'utf-16le' | 'utf-16be' | 'utf-16' }
  | { kind: 'unknownCharset'; charset: string }
  | { kind: 'truncated'; at: number }
  | { kind: 'badUtf8'; bytes: number[]; inString: boolean; at: number }
  | { kind: 'rawControl'; byte: number; at: number }
  | { kind: 'bom' }
  | { kind: 'padded'; size: number; chunked: boolean }
  | { kind: 'randomBytes'; bytes: Uint8Array; contentType: string; chunked: boolean }
  | { kind: 'empty'; contentType: string | null }
  | { kind: 'whitespace'; text: string }
  | { kind: 'notObject'; text: string; wrap: boolean }
  | { kind: 'deepArrays'; depth: number }
  | { kind: 'encoding'; encoding: string };

export const variantArb: fc.Arbitrary<Variant> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('json' as const),
      contentType: fc.constantFrom(...JSON_TYPES),
      chunked: fc.boolean(),
    }),
  },
  fc.record({ kind: fc.constant('suffixJson' as const), contentType: fc.constantFrom(...SUFFIX_JSON_TYPES) }),
  fc.record({ kind: fc.constant('notJson' as const), contentType: fc.constantFrom(...NOT_JSON_TYPES) }),
  fc.record({
    kind: fc.constant('oddType' as const),
    contentType: fc.oneof(
      fc.constantFrom(...ODD_TYPES),
      fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
    ),
  }),
  fc.record({
    kind: fc.constant('charset' as const),
    charset: fc.constantFrom(...TEXT_CHARSETS),
    chunked: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('utf16' as const),
    label: fc.constantFrom('utf-16le' as const, 'utf-16be' as const, 'utf-16' as const),
  }),
  fc.record({ kind: fc.constant('unknownCharset' as const), charset: fc.constantFrom(...UNKNOWN_CHARSETS) }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncated' as const), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('badUtf8' as const),
      bytes: fc.constantFrom(...BAD_UTF8),
      inString: fc.boolean(),
      at: fc.nat(),
    }),
  },
  fc.record({
    kind: fc.constant('rawControl' as const),
    byte: fc.integer({ min: 0, max: 0x1f }),
    at: fc.nat(),
  }),
  fc.record({ kind: fc.constant('bom' as const) }),
  fc.record({
    kind: fc.constant('padded' as const),
    size: fc.integer({ min: MAX_BODY_BYTES + 1, max: 3 * MAX_BODY_BYTES }),
    chunked: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('randomBytes' as const),
    bytes: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 1000, maxLength: 20_000 })),
    contentType: fc.constantFrom(...JSON_TYPES),
    chunked: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('empty' as const),
    contentType: fc.constantFrom('application/json', null, 'text/plain'),
  }),
  fc.record({
    kind: fc.constant('whitespace' as const),
    text: fc.constantFrom(' ', '\n', ' \t\r\n ', '\u00a0'),
  }),
  fc.record({
    kind: fc.constant('notObject' as const),
    text: fc.constantFrom(...NOT_OBJECTS),
    wrap: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('deepArrays' as const), depth: fc.integer({ min: 1, max: 9000 }) }),
  fc.record({ kind: fc.constant('encoding' as const), encoding: fc.constantFrom(...ENCODINGS) }),
);

export interface Framed {
  headers: http.OutgoingHttpHeaders;
  body: Buffer;
  chunked: boolean;
  /** The JSON text the server must read, when the framing is unambiguous; else null. */
  text: string | null;
  /** How to read the bytes back to judge a 2xx answer. */
  charset: string;
}

/** Position just inside the first string value (after `":"`), or `fallback` when there is none. */
function insideFirstString(bytes: Buffer, fallback: number): number {
  const at = bytes.indexOf('":"');
  return at === -1 ? fallback : at + 3;
}

function insert(bytes: Buffer, at: number, extra: Buffer): Buffer {
  return Buffer.concat([bytes.subarray(0, at), extra, bytes.subarray(at)]);
}

export function frame(text: string, v: Variant, j: Judgement): Framed {
  const utf8 = Buffer.from(text, 'utf8');
  const base = (contentType: string | null, body: Buffer, chunked = false): Framed => ({
    headers: contentType === null ? {} : { 'content-type': contentType },
    body,
    chunked,
    text: null,
    charset: 'utf-8',
  });
  switch (v.kind) {
    case 'json':
      return { ...base(v.contentType, utf8, v.chunked), text };
    case 'suffixJson':
      j.debatable(415, `${v.contentType} is JSON by suffix`);
      return { ...base(v.contentType, utf8), text };
    case 'notJson':
      j.fault(415, `content type ${v.contentType ?? 'absent'}`);
      return base(v.contentType, utf8);
    case 'oddType':
      j.unknown = true;
      j.debatable(415, `odd content type ${JSON.stringify(v.contentType)}`);
      j.debatable(400, `odd content type ${JSON.stringify(v.contentType)}`);
      return base(v.contentType, utf8);
    case 'charset': {
      const label = v.charset.replaceAll('"', '');
      const ascii = !/[^\x20-\x7e]/.test(text);
      const headers = { 'content-type': `application/json; charset=${v.charset}` };
      if (/^utf-?8$/i.test(label)) return { ...base(null, utf8, v.chunked), headers, text };
      // Single-byte charsets differ in 0x80-0x9F between decoders: only ASCII texts are sent so.
      if (!ascii) return { ...base('application/json', utf8, v.chunked), text };
      j.debatable(415, `charset ${label}: JSON is UTF-8`);
      return { ...base(null, Buffer.from(text, 'latin1'), v.chunked), headers, text, charset: label };
    }
    case 'utf16': {
      const le = Buffer.from(text, 'utf16le');
      const body =
        v.label === 'utf-16le'
          ? le
          : v.label === 'utf-16be'
            ? Buffer.from(le).swap16()
            : Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
      j.debatable(415, `charset ${v.label}: JSON is UTF-8`);
      j.debatable(400, `charset ${v.label}: JSON is UTF-8`);
      return { ...base(`application/json; charset=${v.label}`, body), text, charset: v.label };
    }
    case 'unknownCharset':
      j.fault(415, `unknown charset ${v.charset}`);
      j.debatable(400, `unknown charset ${v.charset}`);
      return base(`application/json; charset=${v.charset}`, utf8);
    case 'truncated': {
      if (utf8.length < 2) return { ...base('application/json', utf8), text };
      j.fault(400, 'truncated JSON');
      return base('application/json', utf8.subarray(0, 1 + (v.at % (utf8.length - 1))));
    }
    case 'badUtf8': {
      const at = v.inString ? insideFirstString(utf8, 1) : v.at % (utf8.length + 1);
      j.fault(400, `invalid UTF-8 bytes ${Buffer.from(v.bytes).toString('hex')} at byte ${at}`);
      return base('application/json', insert(utf8, at, Buffer.from(v.bytes)));
    }
    case 'rawControl': {
      j.fault(400, `raw control byte 0x${v.byte.toString(16)} inside a string`);
      const at = insideFirstString(utf8, -1);
      if (at === -1) return base('application/json', insert(utf8, 0, Buffer.from([0x22, v.byte, 0x22])));
      return base('application/json', insert(utf8, at, Buffer.from([v.byte])));
    }
    case 'bom':
      j.debatable(400, 'a byte order mark before the JSON text');
      return { ...base('application/json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8])), text };
    case 'padded': {
      j.fault(413, 'over 16 KiB (padded with whitespace)');
      const padding = Buffer.alloc(Math.max(0, v.size - utf8.length), 0x20);
      return base(
        'application/json',
        Buffer.concat([utf8.subarray(0, 1), padding, utf8.subarray(1)]),
        v.chunked,
      );
    }
    case 'randomBytes':
      if (v.bytes.length === 0) {
        // Zero random bytes is the empty body: judged as the 'empty' case is.
        j.debatable(400, 'empty body');
        j.debatable(415, 'empty body');
        return { ...base(v.contentType, Buffer.alloc(0)), text: '{}' };
      }
      if (v.bytes.length > MAX_BODY_BYTES) j.fault(413, 'over 16 KiB of random bytes');
      else {
        j.unknown = true;
        j.debatable(400, 'random bytes');
      }
      return base(v.contentType, Buffer.from(v.bytes), v.chunked);
    case 'empty':
      // No body at all: the server may read it as {} or refuse it.
      j.debatable(400, 'empty body');
      j.debatable(415, 'empty body');
      return { ...base(v.contentType, Buffer.alloc(0)), text: '{}' };
    case 'whitespace':
      j.fault(400, 'a body of whitespace');
      return base('application/json', Buffer.from(v.text, 'utf8'));
    case 'notObject':
      j.fault(400, 'JSON that is not an object');
      return base('application/json', Buffer.from(v.wrap ? `[${text}]` : v.text, 'utf8'));
    case 'deepArrays': {
      j.fault(400, `an object inside ${v.depth} arrays`);
      const body = Buffer.from('['.repeat(v.depth) + text + ']'.repeat(v.depth), 'utf8');
      if (body.length > MAX_BODY_BYTES) j.fault(413, 'over 16 KiB');
      return base('application/json', body);
    }
    case 'encoding': {
      const headers = { 'content-type': 'application/json', 'content-encoding': v.encoding };
      if (v.encoding === 'identity') {
        j.debatable(415, 'content-encoding identity');
        return { ...base(null, utf8), headers, text };
      }
      j.fault(415, `content-encoding ${v.encoding}`);
      j.debatable(400, `content-encoding ${v.encoding}`);
      const body = v.encoding.includes('gzip')
        ? gzipSync(utf8)
        : v.encoding === 'deflate'
          ? deflateSync(utf8)
          : v.encoding === 'br'
            ? brotliCompressSync(utf8)
            : utf8;
      return { ...base(null, body), headers };
    }
  }
}

/** After a 2xx: the text the server must have read, decoded strictly (no replacement characters). */
export function acceptedText(out: Outgoing, framed: Framed, answer: Answer): string {
  if (framed.text !== null) return framed.text;
  try {
    return new TextDecoder(framed.charset, { fatal: true }).decode(framed.body);
  } catch (error) {
    throw failure(
      out,
      answer,
      `accepted a body that is not valid ${framed.charset} (${(error as Error).message})`,
    );
  }
}

export function afterFraming(framed: Framed, j: Judgement): void {
  if (framed.body.length > MAX_BODY_BYTES) j.fault(413, 'over 16 KiB');
}

/** A JSON text framed as a well-behaved client frames it. */
export function plainJson(chunked: boolean): Variant {
  return { kind: 'json', contentType: 'application/json', chunked };
}

/** Mostly plain JSON, sometimes any framing: for properties about paths and fields. */
export const mostlyPlainJson: fc.Arbitrary<Variant> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Variant>(plainJson(false)) },
  variantArb,
);
