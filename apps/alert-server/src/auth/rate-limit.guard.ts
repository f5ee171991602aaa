import {
  ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  SetMetadata,
  UseGuards,
  applyDecorators,
} from '@nestjs/common';
import { SkipThrottle, ThrottlerGuard, ThrottlerModuleOptions } from '@nestjs/throttler';
import type { ThrottlerLimitDetail } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { callerOf } from './access';

/**
 * Sign-in attempts per address: ten a minute is more than a person retyping a password;
 * past that, refused for two minutes. Alerts per device: a button held down with the
 * shortest debounce cannot reach 12 a second for 10 s, so a real press is never refused,
 * while a flood from one token is stopped long before the server suffers.
 */
export const RATE_LIMITS: ThrottlerModuleOptions = {
  setHeaders: false,
  throttlers: [
    { name: 'login', ttl: 60_000, limit: 10, blockDuration: 120_000 },
    {
      name: 'device',
      ttl: 10_000,
      limit: 120,
      getTracker: (req: Record<string, unknown>) =>
        callerOf(req as unknown as Request).deviceId ?? (req as unknown as Request).ip ?? 'unknown',
    },
  ],
};

/** The throttler, answering 429 with a plain `Retry-After` (the stock one suffixes it by throttler name). */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly rateLimitLogger = new Logger('RateLimit');

  /** The stock key is a SHA-256 per request; a plain string is as unique and costs nothing. */
  protected override generateKey(context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${context.getClass().name}.${context.getHandler().name}:${tracker}`;
  }

  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    http.getResponse<Response>().setHeader('Retry-After', String(retryAfter));
    const deviceId = callerOf(req).deviceId;
    const subject = this.reflector.getAllAndOverride<string | undefined>(RATE_LIMITED_SUBJECT, [
      context.getHandler(),
      context.getClass(),
    ]);
    const what = subject ?? `requests from device ${deviceId ?? req.ip}`;
    this.rateLimitLogger.warn(
      { code: 'RATE_LIMITED', address: req.ip, deviceId, route: `${req.method} ${req.path}`, retryAfter },
      `too many ${what}`,
    );
    // The NestJS error shape every error has: ThrottlerException alone would answer `"error": "ThrottlerException"`.
    throw new HttpException(
      HttpException.createBody(`too many ${what}: retry after ${retryAfter} s`, 'Too Many Requests', 429),
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/** What a refusal of the route says it counted, when it is not a device's requests. */
const RATE_LIMITED_SUBJECT = 'vigie:rate-limited-subject';

/** POST /auth/login: attempts per address. */
export const LoginRateLimit = () =>
  applyDecorators(
    UseGuards(RateLimitGuard),
    SkipThrottle({ device: true }),
    SetMetadata(RATE_LIMITED_SUBJECT, 'sign-in attempts from this address'),
  );
/**
 * POST /devices/enroll: attempts per address, on the sign-in budget (its own count). A code is
 * 256 random bits, so this is not what stops guessing; it keeps a script from hammering the store.
 */
export const EnrollRateLimit = () =>
  applyDecorators(
    UseGuards(RateLimitGuard),
    SkipThrottle({ device: true }),
    SetMetadata(RATE_LIMITED_SUBJECT, 'enrollment attempts from this address'),
  );
/** Device routes: requests per device (after the token check, so per proven device). */
export const DeviceRateLimit = () =>
  applyDecorators(UseGuards(RateLimitGuard), SkipThrottle({ login: true }));
