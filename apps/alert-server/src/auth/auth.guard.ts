import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { DEVICE_TOKEN_REFUSED, DeviceTokenRefusedEvent } from '@app/contracts';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { routeAccess, setCaller } from './access';
import { DeviceAuthService } from './device-auth.service';
import { OperatorAuthService } from './operator-auth.service';
import { RefusedAddresses } from './refused-addresses';
import { hashSecret, sameDigest } from './secrets';
import { sessionCookie } from './session-cookie';
import { DomainEvents } from '../events/domain-events';

/**
 * The one gate of every route (registered as APP_GUARD): reads the route's `Access` and
 * checks the caller's device token, operator session or metrics token. With VIGIE_AUTH=off,
 * devices and operators pass unchecked; the metrics token is checked whenever it is set.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly metricsTokenHash: string | null;
  private readonly refused = new RefusedAddresses();

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly devices: DeviceAuthService,
    private readonly operators: OperatorAuthService,
    private readonly events: DomainEvents,
  ) {
    this.metricsTokenHash = config.metricsToken ? hashSecret(config.metricsToken) : null;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = routeAccess(this.reflector, context.getHandler(), context.getClass());
    const req = context.switchToHttp().getRequest<Request>();
    switch (access.kind) {
      case 'public':
        return true;
      case 'metrics':
        return this.checkMetrics(req, context.switchToHttp().getResponse<Response>());
      case 'device':
        return this.checkDevice(req, context.switchToHttp().getResponse<Response>(), access.deviceIdFrom);
      case 'operator':
        return this.checkOperator(req);
    }
  }

  private async checkDevice(req: Request, res: Response, from: 'body' | 'param'): Promise<boolean> {
    const named =
      from === 'body' ? (req.body as { deviceId?: unknown } | undefined)?.deviceId : req.params.deviceId;
    const deviceId = typeof named === 'string' ? named : null;
    if (this.config.auth === 'off') {
      setCaller(req, { deviceId: deviceId ?? undefined });
      return true;
    }
    // The token first, whatever the address did: a valid token always passes, so nobody who
    // shares a Pi's address (a NAT, a proxy, a spoofing neighbour) can delay its alerts by
    // sending bad tokens from there. Only refusals are held back by the address's block.
    const result = await this.devices.check(req.headers.authorization, deviceId);
    if (result.ok) {
      setCaller(req, { deviceId: result.deviceId });
      return true;
    }
    const blockedFor = this.refused.anyBlocked() ? this.refused.blockedForSeconds(req.ip ?? '') : 0;
    if (blockedFor > 0) {
      // No audit line per request while blocked: a flood of bad tokens must not flood the log.
      res.setHeader('Retry-After', String(blockedFor));
      throw new HttpException(
        HttpException.createBody(
          `too many requests with a bad device token from this address: retry after ${blockedFor} s`,
          'Too Many Requests',
          HttpStatus.TOO_MANY_REQUESTS,
        ),
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    const address = req.ip ?? '';
    this.refused.record(address);
    this.events.emit(
      DEVICE_TOKEN_REFUSED,
      new DeviceTokenRefusedEvent(
        result.reason,
        deviceId,
        result.tokenDeviceId,
        address,
        `${req.method} ${req.path}`,
      ),
    );
    if (result.reason === 'other_device') {
      throw new ForbiddenException(`this device token is not the one of device ${deviceId}`);
    }
    res.setHeader('WWW-Authenticate', 'Bearer realm="vigie devices"');
    throw new UnauthorizedException(
      result.reason === 'missing'
        ? 'a device token is required: Authorization: Bearer <token>'
        : 'unknown or revoked device token',
    );
  }

  private async checkOperator(req: Request): Promise<boolean> {
    if (this.config.auth === 'off') {
      setCaller(req, { operator: null });
      return true;
    }
    const session = await this.operators.session(sessionCookie(req));
    if (!session) throw new UnauthorizedException('sign in first (POST /auth/login)');
    setCaller(req, { operator: { id: session.id, name: session.name } });
    return true;
  }

  private checkMetrics(req: Request, res: Response): boolean {
    if (this.metricsTokenHash === null) return true;
    const token = metricsCredential(req.headers.authorization);
    if (token !== null && sameDigest(hashSecret(token), this.metricsTokenHash)) return true;
    res.setHeader('WWW-Authenticate', 'Bearer realm="vigie metrics"');
    throw new UnauthorizedException('the metrics need Authorization: Bearer <VIGIE_METRICS_TOKEN>');
  }
}

/**
 * The credentials of `Authorization: Bearer <VIGIE_METRICS_TOKEN>` as sent. Not `bearerToken`:
 * the operator chooses this token, and a passphrase with spaces or symbols (which the config
 * accepts) must work as Prometheus sends it; device tokens are ours and stricter.
 */
function metricsCredential(authorization: string | undefined): string | null {
  if (!authorization || authorization.length > 4096) return null;
  const match = /^Bearer +(\S.*)$/i.exec(authorization);
  return match ? match[1] : null;
}
