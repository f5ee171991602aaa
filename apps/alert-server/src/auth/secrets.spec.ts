import { createHash, scryptSync } from 'node:crypto';
import {
  UNKNOWN_OPERATOR_HASH,
  hashPassword,
  hashSecret,
  newSecret,
  sameDigest,
  verifyPassword,
} from './secrets';

describe('secrets', () => {
  describe('newSecret', () => {
    it('is the prefix and 32 random bytes in base64url (43 characters), different each time', () => {
      const secrets = Array.from({ length: 50 }, () => newSecret('vgd_'));
      for (const secret of secrets) {
        expect(secret).toMatch(/^vgd_[A-Za-z0-9_-]{43}$/);
        expect(Buffer.from(secret.slice(4), 'base64url')).toHaveLength(32);
      }
      expect(new Set(secrets).size).toBe(secrets.length);
    });
  });

  describe('hashSecret and sameDigest', () => {
    it('hashSecret is the SHA-256 in hex, never the secret itself', () => {
      const hash = hashSecret('vgd_abc');
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(hash).toBe(createHash('sha256').update('vgd_abc').digest('hex'));
      expect(hashSecret('vgd_abc')).toBe(hash);
      expect(hashSecret('vgd_abd')).not.toBe(hash);
    });

    it('sameDigest is true only for equal digests, and false (not a throw) for unequal lengths', () => {
      const a = hashSecret('a');
      expect(sameDigest(a, hashSecret('a'))).toBe(true);
      expect(sameDigest(a, hashSecret('b'))).toBe(false);
      expect(sameDigest(a, a.slice(0, 62))).toBe(false);
      expect(sameDigest(a, '')).toBe(false);
      expect(sameDigest('', '')).toBe(true);
    });
  });

  describe('passwords', () => {
    let stored: string;

    beforeAll(async () => {
      stored = await hashPassword('correct horse battery');
    });

    it('stores scrypt with its parameters, a salt and the hash; never the password', () => {
      const [scheme, n, r, p, salt, hash] = stored.split('$');
      expect({ scheme, n, r, p }).toEqual({ scheme: 'scrypt', n: String(2 ** 15), r: '8', p: '1' });
      expect(Buffer.from(salt, 'base64')).toHaveLength(16);
      expect(Buffer.from(hash, 'base64')).toHaveLength(64);
      expect(stored).not.toContain('correct horse battery');
    });

    it('salts each hash: the same password hashes differently twice', async () => {
      expect(await hashPassword('correct horse battery')).not.toBe(stored);
    });

    it('verifies the right password, and only it', async () => {
      expect(await verifyPassword('correct horse battery', stored)).toBe(true);
      for (const wrong of [
        'correct horse batterY',
        'correct horse battery ',
        'correct horse batter',
        '',
        'x'.repeat(1024),
      ]) {
        expect(await verifyPassword(wrong, stored)).toBe(false);
      }
    });

    it('compares composed and decomposed accents alike (NFC)', async () => {
      const composed = await hashPassword('mot de passe \u00e9t\u00e9');
      expect(await verifyPassword('mot de passe e\u0301te\u0301', composed)).toBe(true);
    });

    it('verifies a hash made with other scrypt parameters, as stored beside it', async () => {
      const salt = Buffer.alloc(16, 7);
      const key = scryptSync('older password', salt, 32, { N: 1024, r: 8, p: 1 });
      const older = ['scrypt', 1024, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
      expect(await verifyPassword('older password', older)).toBe(true);
      expect(await verifyPassword('other password', older)).toBe(false);
    });

    it.each([
      ['empty', ''],
      ['another scheme', stored_('bcrypt')],
      ['too few fields', 'scrypt$32768$8$1$c2FsdA=='],
      ['an empty hash', 'scrypt$32768$8$1$c2FsdA==$'],
      ['a hash that decodes to no bytes', 'scrypt$16$8$1$c2FsdA==$!!!!'],
      ['a hash of a single byte', `scrypt$16$8$1$c2FsdA==$${Buffer.alloc(1).toString('base64')}`],
      ['N not a power of two', `scrypt$1000$8$1$c2FsdA==$${Buffer.alloc(64).toString('base64')}`],
      ['N not a number', `scrypt$many$8$1$c2FsdA==$${Buffer.alloc(64).toString('base64')}`],
      [
        'N asking for more memory than allowed',
        `scrypt$${2 ** 24}$8$1$c2FsdA==$${Buffer.alloc(64).toString('base64')}`,
      ],
      ['r zero', `scrypt$16$0$1$c2FsdA==$${Buffer.alloc(64).toString('base64')}`],
    ])('a malformed stored value (%s) verifies no password, without throwing', async (_what, value) => {
      await expect(verifyPassword('anything at all', value)).resolves.toBe(false);
      await expect(verifyPassword('', value)).resolves.toBe(false);
    });

    it('UNKNOWN_OPERATOR_HASH is well-formed scrypt at full cost, and verifies nothing', async () => {
      expect(UNKNOWN_OPERATOR_HASH.split('$').slice(0, 4)).toEqual(['scrypt', String(2 ** 15), '8', '1']);
      for (const password of ['', 'correct horse battery', '\u0000'.repeat(64)]) {
        expect(await verifyPassword(password, UNKNOWN_OPERATOR_HASH)).toBe(false);
      }
    });

    it('checking against UNKNOWN_OPERATOR_HASH costs what a real check costs (same scrypt work)', async () => {
      const time = async (hash: string) => {
        const started = performance.now();
        await verifyPassword('wrong password', hash);
        return performance.now() - started;
      };
      await time(stored); // warm up
      const real = Math.min(await time(stored), await time(stored));
      const unknown = Math.min(await time(UNKNOWN_OPERATOR_HASH), await time(UNKNOWN_OPERATOR_HASH));
      // Same parameters, so the same order of cost; generous bounds for a shared machine.
      expect(unknown).toBeGreaterThan(real / 4);
      expect(unknown).toBeLessThan(real * 4);
    });
  });
});

/** A well-formed value of another scheme. */
function stored_(scheme: string): string {
  return [scheme, 32768, 8, 1, Buffer.alloc(16).toString('base64'), Buffer.alloc(64).toString('base64')].join(
    '$',
  );
}
