import { Injectable } from '@nestjs/common';
import { TokenRefusal } from '@app/contracts';
import { DeviceCredentialListing, DeviceCredentialsRepository } from './device-credentials.repository';
import { hashSecret, newSecret, sameDigest } from './secrets';

export type DeviceTokenCheck =
  { ok: true; deviceId: string } | { ok: false; reason: TokenRefusal; tokenDeviceId: string | null };

/** Device tokens start with this, so a leaked one is recognisable in a log or a file. */
export const DEVICE_TOKEN_PREFIX = 'vgd_';
/** Far longer than any token we make; longer values are refused before hashing. */
const MAX_TOKEN_LENGTH = 256;

/**
 * Device tokens: made here, shown once, stored as a SHA-256. Every check asks
 * the store whether the tokens changed, so a token revoked from the command line is refused
 * on the very next request.
 */
@Injectable()
export class DeviceAuthService {
  constructor(private readonly credentials: DeviceCredentialsRepository) {}

  /** The new token, or null when the device already has a token that is not revoked. */
  async create(deviceId: string, location: string | null, now = new Date()): Promise<string | null> {
    const token = newSecret(DEVICE_TOKEN_PREFIX);
    const added = await this.credentials.add({
      device_id: deviceId,
      token_hash: hashSecret(token),
      location,
      created_at: now.toISOString(),
      revoked_at: null,
    });
    return added ? token : null;
  }

  revoke(deviceId: string, now = new Date()): Promise<boolean> {
    return this.credentials.revoke(deviceId, now.toISOString());
  }

  list(): Promise<DeviceCredentialListing[]> {
    return this.credentials.list();
  }

  /** Devices with a valid token (added or enrolled), whether or not they ever spoke. */
  async withValidToken(): Promise<
    Array<{ deviceId: string; location: string | null; tokenCreatedAt: string }>
  > {
    const credentials = await this.credentials.current();
    return credentials.active().map((row) => ({
      deviceId: row.device_id,
      location: row.location,
      tokenCreatedAt: row.created_at,
    }));
  }

  /**
   * Whether `authorization` carries a valid token for `deviceId`. Without a device id (a body
   * too malformed to name one), any valid token passes and validation answers the request.
   */
  async check(authorization: string | undefined, deviceId: string | null): Promise<DeviceTokenCheck> {
    const token = bearerToken(authorization);
    if (token === null)
      return { ok: false, reason: authorization ? 'unknown' : 'missing', tokenDeviceId: null };
    const hash = hashSecret(token);
    const credentials = await this.credentials.current();
    if (deviceId !== null) {
      const own = credentials.ofDevice(deviceId);
      if (own && own.revoked_at === null && sameDigest(own.token_hash, hash)) return { ok: true, deviceId };
    }
    const owner = credentials.withTokenHash(hash);
    if (!owner) return { ok: false, reason: 'unknown', tokenDeviceId: null };
    if (owner.revoked_at !== null) return { ok: false, reason: 'revoked', tokenDeviceId: owner.device_id };
    if (deviceId === null) return { ok: true, deviceId: owner.device_id };
    return { ok: false, reason: 'other_device', tokenDeviceId: owner.device_id };
  }
}

/** The token of `Authorization: Bearer <token>`, or null for anything else. */
export function bearerToken(authorization: string | undefined): string | null {
  if (!authorization || authorization.length > MAX_TOKEN_LENGTH + 7) return null;
  const match = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(authorization);
  return match ? match[1] : null;
}
