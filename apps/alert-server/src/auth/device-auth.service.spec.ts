import { DeviceAuthService, bearerToken } from './device-auth.service';
import { CredentialsSnapshot, type DeviceCredentialsRepository } from './device-credentials.repository';
import type { DeviceCredentialsTable } from './credentials.schema';

/** The repository's contract, in memory. */
class FakeCredentials {
  readonly rows = new Map<string, DeviceCredentialsTable>();

  current() {
    return Promise.resolve(
      new CredentialsSnapshot(
        0,
        [...this.rows.values()].map((row) => ({ ...row })),
      ),
    );
  }

  add(row: DeviceCredentialsTable) {
    const existing = this.rows.get(row.device_id);
    if (existing && existing.revoked_at === null) return Promise.resolve(false);
    this.rows.set(row.device_id, { ...row });
    return Promise.resolve(true);
  }

  revoke(deviceId: string, at: string) {
    const row = this.rows.get(deviceId);
    if (!row || row.revoked_at !== null) return Promise.resolve(false);
    row.revoked_at = at;
    return Promise.resolve(true);
  }

  list() {
    return Promise.resolve([...this.rows.values()].map((row) => ({ ...row, last_seen_at: null })));
  }
}

describe('bearerToken', () => {
  const TOKEN = 'vgd_Ab3-_xyz0123456789abcdefghijklmnopqrstuvw';

  it.each([
    ['Bearer', `Bearer ${TOKEN}`],
    ['the scheme in lower case', `bearer ${TOKEN}`],
    ['the scheme in upper case', `BEARER ${TOKEN}`],
    ['several spaces', `Bearer   ${TOKEN}`],
    ['trailing spaces', `Bearer ${TOKEN}  `],
  ])('reads the token with %s', (_what, header) => {
    expect(bearerToken(header)).toBe(TOKEN);
  });

  it('takes the b64token characters of RFC 6750 (base64, base64url, ~ . + / =)', () => {
    expect(bearerToken('Bearer aZ09-._~+/==')).toBe('aZ09-._~+/==');
  });

  it('takes tokens up to 256 characters', () => {
    expect(bearerToken(`Bearer ${'a'.repeat(256)}`)).toBe('a'.repeat(256));
    expect(bearerToken(`Bearer ${'a'.repeat(257)}`)).toBeNull();
    expect(bearerToken(`Bearer ${'a'.repeat(100_000)}`)).toBeNull();
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['the scheme alone', 'Bearer'],
    ['the scheme and a space', 'Bearer '],
    ['no scheme', TOKEN],
    ['another scheme', `Basic ${TOKEN}`],
    ['a scheme glued to the token', `Bearer${TOKEN}`],
    ['a near scheme', `Bearerr ${TOKEN}`],
    ['a tab for the space', `Bearer\t${TOKEN}`],
    ['a space at the start', ` Bearer ${TOKEN}`],
    ['two tokens', `Bearer ${TOKEN} ${TOKEN}`],
    ['two credentials', `Bearer ${TOKEN}, Bearer ${TOKEN}`],
    ['a quoted token', `Bearer "${TOKEN}"`],
    ['a control character', `Bearer ${TOKEN}\u0000`],
    ['a line break', `Bearer ${TOKEN}\n`],
    ['non-ASCII', `Bearer ${TOKEN}é`],
    ['latin1 read as text', 'Bearer Ã©'],
    ['a lone surrogate', `Bearer ${TOKEN}\ud800`],
  ])('reads no token from %s', (_what, header) => {
    expect(bearerToken(header)).toBeNull();
  });
});

describe('DeviceAuthService', () => {
  let credentials: FakeCredentials;
  let service: DeviceAuthService;
  let tokenA: string;
  let tokenB: string;

  beforeEach(async () => {
    credentials = new FakeCredentials();
    service = new DeviceAuthService(credentials as unknown as DeviceCredentialsRepository);
    tokenA = (await service.create('pi-a', 'Hall A'))!;
    tokenB = (await service.create('pi-b', null))!;
  });

  it('makes a vgd_ token of 32 random bytes, and stores only its SHA-256', () => {
    expect(tokenA).toMatch(/^vgd_[A-Za-z0-9_-]{43}$/);
    const stored = JSON.stringify([...credentials.rows.values()]);
    expect(stored).not.toContain(tokenA.slice(4));
    expect(credentials.rows.get('pi-a')!.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses to make a second token while the first is active', async () => {
    expect(await service.create('pi-a', null)).toBeNull();
  });

  it('accepts the device with its own token', async () => {
    expect(await service.check(`Bearer ${tokenA}`, 'pi-a')).toEqual({ ok: true, deviceId: 'pi-a' });
  });

  it('tells the refusals apart: missing, unknown, another device, revoked', async () => {
    expect(await service.check(undefined, 'pi-a')).toEqual({
      ok: false,
      reason: 'missing',
      tokenDeviceId: null,
    });
    expect(await service.check('', 'pi-a')).toEqual({ ok: false, reason: 'missing', tokenDeviceId: null });
    expect(await service.check('Basic abc', 'pi-a')).toEqual({
      ok: false,
      reason: 'unknown',
      tokenDeviceId: null,
    });
    expect(await service.check('Bearer vgd_nope', 'pi-a')).toEqual({
      ok: false,
      reason: 'unknown',
      tokenDeviceId: null,
    });
    expect(await service.check(`Bearer ${tokenB}`, 'pi-a')).toEqual({
      ok: false,
      reason: 'other_device',
      tokenDeviceId: 'pi-b',
    });
    await service.revoke('pi-a');
    expect(await service.check(`Bearer ${tokenA}`, 'pi-a')).toEqual({
      ok: false,
      reason: 'revoked',
      tokenDeviceId: 'pi-a',
    });
    expect(await service.check(`Bearer ${tokenA}`, 'pi-b')).toEqual({
      ok: false,
      reason: 'revoked',
      tokenDeviceId: 'pi-a',
    });
  });

  it('a token for a device the request does not name (a malformed body) proves its own device', async () => {
    expect(await service.check(`Bearer ${tokenB}`, null)).toEqual({ ok: true, deviceId: 'pi-b' });
    expect((await service.check('Bearer vgd_nope', null)).ok).toBe(false);
  });

  it('after revoke and a new token, the old one stays refused and the new one works', async () => {
    expect(await service.revoke('pi-a')).toBe(true);
    expect(await service.revoke('pi-a')).toBe(false);
    const renewed = (await service.create('pi-a', null))!;
    expect(renewed).not.toBe(tokenA);
    expect((await service.check(`Bearer ${tokenA}`, 'pi-a')).ok).toBe(false);
    expect(await service.check(`Bearer ${renewed}`, 'pi-a')).toEqual({ ok: true, deviceId: 'pi-a' });
  });

  it('one character off is unknown', async () => {
    const changed = tokenA.slice(0, -1) + (tokenA.endsWith('A') ? 'B' : 'A');
    expect((await service.check(`Bearer ${changed}`, 'pi-a')).ok).toBe(false);
    expect((await service.check(`Bearer ${tokenA.slice(0, -1)}`, 'pi-a')).ok).toBe(false);
    expect((await service.check(`Bearer ${tokenA}x`, 'pi-a')).ok).toBe(false);
  });
  it('lists the devices with their location and state, never a token', async () => {
    await service.revoke('pi-b');
    const listing = await service.list();
    expect(listing.map((row) => [row.device_id, row.location, row.revoked_at !== null])).toEqual([
      ['pi-a', 'Hall A', false],
      ['pi-b', null, true],
    ]);
    expect(JSON.stringify(listing)).not.toContain(tokenA.slice(4));
  });
});
