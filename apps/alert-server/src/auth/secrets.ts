import { hash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, the floor the issue sets for device tokens; sessions get the same. */
const SECRET_BYTES = 32;

/** A new random secret, URL- and header-safe, with a prefix telling what it is (`vgd_`: device). */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

/**
 * How a high-entropy secret is stored: its SHA-256. A slow hash protects guessable
 * passwords; a 256-bit random token cannot be guessed, so a fast hash is enough and keeps
 * the per-request check cheap (the one-shot `hash` costs less than half of a `createHash`).
 */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'hex');
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** scrypt, memory-hard: 2^15 × 8 × 128 bytes = 32 MiB per hash, about 140 ms here. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLength: 64, saltBytes: 16 };
const SCRYPT_MAXMEM = 64 * 1024 * 1024;
/** Shorter stored hashes are not ones this code made (it makes 64 bytes), and are refused. */
const MIN_HASH_BYTES = 32;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltBytes);
  const hash = await scryptAsync(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keyLength);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** False for a wrong password and for a stored value this version cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  // A hash that decodes to nothing (or next to nothing) would make any password "match".
  if (expected.length < MIN_HASH_BYTES) return false;
  try {
    const actual = await scryptAsync(
      password,
      Buffer.from(salt, 'base64'),
      Number(n),
      Number(r),
      Number(p),
      expected.length,
    );
    return timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}

/**
 * A hash of no one's password, checked when the name is unknown so that an unknown name
 * takes as long to refuse as a wrong password: the answer's timing does not tell names apart.
 */
export const UNKNOWN_OPERATOR_HASH = [
  'scrypt',
  SCRYPT.N,
  SCRYPT.r,
  SCRYPT.p,
  Buffer.alloc(SCRYPT.saltBytes).toString('base64'),
  Buffer.alloc(SCRYPT.keyLength).toString('base64'),
].join('$');

function scryptAsync(
  password: string,
  salt: Buffer,
  N: number,
  r: number,
  p: number,
  keyLength: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, { N, r, p, maxmem: SCRYPT_MAXMEM }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}
