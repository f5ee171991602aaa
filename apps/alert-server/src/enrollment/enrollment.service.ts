import { Injectable, Logger } from '@nestjs/common';
import type { EnrolledDevice, Enrollment } from '@app/contracts';
import { DEVICE_TOKEN_PREFIX } from '../auth/device-auth.service';
import { hashSecret, newSecret } from '../auth/secrets';
import { shellQuoted } from '../agent-bundle/agent-bundle';
import { EnrollmentRepository } from './enrollment.repository';

/** A code is for installing a Pi now, not for later: an hour, then it is refused. */
export const ENROLLMENT_TTL_MS = 60 * 60 * 1000;
/** Codes start with this, so one pasted in the wrong place is recognisable. */
const CODE_PREFIX = 'vge_';
/** Base64url only: the code goes on a shell command line unquoted. */
const CODE_SHAPE = /^vge_[A-Za-z0-9_-]{43}$/;

export class EnrollmentRefusedError extends Error {
  constructor(readonly reason: 'unknown' | 'used' | 'expired' | 'malformed') {
    super(`enrollment code ${reason}`);
  }
}

/**
 * One-time codes that let a Pi fetch its own device token: an operator makes one (dashboard,
 * API or command line), the install command carries it, the Pi uses it once. Every code is
 * kept (hashed) with who made it and who used it, from where: the audit of who let which
 * device in.
 */
@Injectable()
export class EnrollmentService {
  private readonly logger = new Logger('Enrollment');

  constructor(private readonly enrollments: EnrollmentRepository) {}

  /** `serverUrl`: the address the Pi will use, which the command names. */
  async create(
    deviceId: string,
    location: string | null,
    createdBy: string | null,
    serverUrl: string,
    now = new Date(),
  ): Promise<Enrollment> {
    const code = newSecret(CODE_PREFIX);
    const expiresAt = new Date(now.getTime() + ENROLLMENT_TTL_MS).toISOString();
    await this.enrollments.create({
      code_hash: hashSecret(code),
      device_id: deviceId,
      location,
      created_at: now.toISOString(),
      created_by: createdBy,
      expires_at: expiresAt,
      used_at: null,
      used_from: null,
    });
    this.logger.log(
      { event: 'enrollment.created', deviceId, by: createdBy, expiresAt },
      'enrollment code made',
    );
    return { deviceId, code, expiresAt, command: installCommand(serverUrl, code) };
  }

  /** The device's new token for a good code, once; `EnrollmentRefusedError` for any other. */
  async redeem(
    code: string,
    from: string | null,
    serverUrl: string,
    now = new Date(),
  ): Promise<EnrolledDevice> {
    if (!CODE_SHAPE.test(code)) return this.refuse('malformed', null, from);
    const token = newSecret(DEVICE_TOKEN_PREFIX);
    const outcome = await this.enrollments.redeem({
      codeHash: hashSecret(code),
      at: now.toISOString(),
      from,
      tokenHash: hashSecret(token),
    });
    if (outcome.kind === 'refused') return this.refuse(outcome.reason, outcome.deviceId, from);
    this.logger.log(
      {
        event: 'device.enrolled',
        deviceId: outcome.deviceId,
        address: from,
        replacedToken: outcome.replacedToken,
      },
      outcome.replacedToken
        ? 'device enrolled: its new token replaces the one it had'
        : 'device enrolled: it has its token',
    );
    return { deviceId: outcome.deviceId, token, location: outcome.location, serverUrl };
  }

  private refuse(
    reason: EnrollmentRefusedError['reason'],
    deviceId: string | null,
    from: string | null,
  ): never {
    this.logger.warn(
      { code: 'ENROLLMENT_REFUSED', reason, deviceId, address: from },
      'an enrollment code was refused',
    );
    throw new EnrollmentRefusedError(reason);
  }
}

/** What an operator pastes on the Pi: the whole installation. */
export function installCommand(serverUrl: string, code: string): string {
  return `curl -fsSL ${shellWord(`${serverUrl}/agent/install.sh`)} | sudo sh -s -- ${code}`;
}

/** As it is when plain; quoted when a shell would read something in it (a `&`, a space). */
function shellWord(text: string): string {
  return /^[A-Za-z0-9:/._~%+=@-]+$/.test(text) ? text : shellQuoted(text);
}
