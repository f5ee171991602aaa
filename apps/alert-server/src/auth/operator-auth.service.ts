import { Injectable } from '@nestjs/common';
import {
  OPERATOR_SIGNED_IN,
  OPERATOR_SIGNED_OUT,
  OPERATOR_SIGN_IN_FAILED,
  OperatorSignInFailedEvent,
  OperatorSignedInEvent,
  OperatorSignedOutEvent,
} from '@app/contracts';
import { LoginFailures } from './login-failures';
import { OperatorsRepository } from './operators.repository';
import { UNKNOWN_OPERATOR_HASH, hashPassword, hashSecret, newSecret, verifyPassword } from './secrets';
import { DomainEvents } from '../events/domain-events';

/** A shift at the security post; then the operator signs in again. */
export const SESSION_TTL_MS = 12 * 3600_000;
export const MIN_PASSWORD_LENGTH = 10;
const MAX_NAME_LENGTH = 64;
const SESSION_PREFIX = 'vgs_';

export interface OperatorIdentity {
  id: string;
  name: string;
}

export interface Session extends OperatorIdentity {
  expiresAt: Date;
}

export class OperatorInputError extends Error {}

/** Operator accounts and their sessions. */
@Injectable()
export class OperatorAuthService {
  private readonly failures = new LoginFailures();

  constructor(
    private readonly operators: OperatorsRepository,
    private readonly events: DomainEvents,
  ) {}

  /** False when the name is taken; throws OperatorInputError for a bad name or password. */
  async add(name: string, password: string, now = new Date()): Promise<boolean> {
    const display = checkName(name);
    if ([...password].length < MIN_PASSWORD_LENGTH) {
      throw new OperatorInputError(`the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
    }
    return this.operators.add({
      id: operatorId(display),
      name: display,
      password_hash: await hashPassword(password),
      created_at: now.toISOString(),
    });
  }

  remove(name: string): Promise<boolean> {
    return this.operators.remove(operatorId(name));
  }

  list() {
    return this.operators.list();
  }

  /**
   * A new session for the right name and password, else null; the same work and the same
   * answer whether or not the name exists. Failures from one address are answered slower
   * and slower (see LoginFailures).
   */
  async signIn(
    name: string,
    password: string,
    address: string,
    now = new Date(),
  ): Promise<{ token: string; session: Session } | null> {
    const operator = name.length <= MAX_NAME_LENGTH ? await this.operators.find(operatorId(name)) : undefined;
    const valid = await verifyPassword(password, operator?.password_hash ?? UNKNOWN_OPERATOR_HASH);
    if (!operator || !valid) {
      const delay = this.failures.delayMs(address);
      const recentFailures = this.failures.record(address);
      this.events.emit(
        OPERATOR_SIGN_IN_FAILED,
        new OperatorSignInFailedEvent(name.slice(0, MAX_NAME_LENGTH), address, recentFailures),
      );
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      return null;
    }
    this.failures.clear(address);
    const token = newSecret(SESSION_PREFIX);
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
    await this.operators.addSession(
      {
        id_hash: hashSecret(token),
        operator_id: operator.id,
        created_at: now.toISOString(),
        expires_at: expiresAt.toISOString(),
      },
      now.toISOString(),
    );
    this.events.emit(OPERATOR_SIGNED_IN, new OperatorSignedInEvent(operator.name, address));
    return { token, session: { id: operator.id, name: operator.name, expiresAt } };
  }

  /** The live session a cookie holds, or null (unknown, ended, expired, or its operator removed). */
  async session(token: string | null, now = new Date()): Promise<Session | null> {
    if (!token || token.length > 256) return null;
    const row = await this.operators.findSession(hashSecret(token));
    if (!row || Date.parse(row.expires_at) <= now.getTime()) return null;
    return { id: row.operator_id, name: row.name, expiresAt: new Date(row.expires_at) };
  }

  async signOut(token: string | null, address: string): Promise<void> {
    const session = await this.session(token);
    if (!session || !token) return;
    await this.operators.removeSession(hashSecret(token));
    this.events.emit(OPERATOR_SIGNED_OUT, new OperatorSignedOutEvent(session.name, address));
  }
}

/** One operator however the name is capitalised or its accents composed. */
export function operatorId(name: string): string {
  return name.normalize('NFC').trim().toLowerCase();
}

function checkName(name: string): string {
  const display = name.normalize('NFC').trim();
  if (display.length === 0 || display.length > MAX_NAME_LENGTH) {
    throw new OperatorInputError(`the name must be 1 to ${MAX_NAME_LENGTH} characters`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(display) || !display.isWellFormed()) {
    throw new OperatorInputError('the name must not hold control characters or lone surrogates');
  }
  return display;
}
