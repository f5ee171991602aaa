import { ExecutionContext, ForbiddenException, HttpException, UnauthorizedException } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { DEVICE_TOKEN_REFUSED, DeviceTokenRefusedEvent } from '@app/contracts';
import type { AppConfig } from '../config/app-config';
import type { DomainEvents } from '../events/domain-events';
import { Access, callerOf } from './access';
import { AuthGuard } from './auth.guard';
import { DeviceAuthService } from './device-auth.service';
import { CredentialsSnapshot, type DeviceCredentialsRepository } from './device-credentials.repository';
import type { DeviceCredentialsTable } from './credentials.schema';
import type { OperatorAuthService, Session } from './operator-auth.service';
import { hashSecret } from './secrets';

/**
 * The guard alone, with the real DeviceAuthService over credentials in memory: every branch
 * of its decision (who passes, with which status, header and audit event) in milliseconds,
 * where the e2e specs need a whole server per case.
 */
const PI_TOKEN = 'vgd_pi1-token-0123456789abcdefghijklmnop';
const PI2_TOKEN = 'vgd_pi2-token-0123456789abcdefghijklmnop';
const OLD_TOKEN = 'vgd_old-token-0123456789abcdefghijklmnop';

function credentials(): DeviceCredentialsRepository {
  const row = (
    device_id: string,
    token: string,
    revoked_at: string | null = null,
  ): DeviceCredentialsTable => ({
    device_id,
    token_hash: hashSecret(token),
    location: null,
    created_at: '2026-01-01T00:00:00.000Z',
    revoked_at,
  });
  const rows = [
    row('pi-1', PI_TOKEN),
    row('pi-2', PI2_TOKEN),
    row('pi-old', OLD_TOKEN, '2026-02-01T00:00:00.000Z'),
  ];
  return {
    current: () => Promise.resolve(new CredentialsSnapshot(0, rows)),
  } as unknown as DeviceCredentialsRepository;
}

interface Harness {
  guard: AuthGuard;
  events: Array<[string, unknown]>;
  sessions: Array<string | null>;
}

function harness(config: Partial<AppConfig> = {}, session: Session | null = null): Harness {
  const events: Array<[string, unknown]> = [];
  const sessions: Array<string | null> = [];
  const operators = {
    session: (token: string | null) => {
      sessions.push(token);
      return Promise.resolve(session);
    },
  } as unknown as OperatorAuthService;
  const domainEvents = {
    emit: (name: string, event: unknown) => events.push([name, event]),
  } as unknown as DomainEvents;
  const guard = new AuthGuard(
    {} as Reflector,
    { auth: 'required', metricsToken: null, ...config } as AppConfig,
    new DeviceAuthService(credentials()),
    operators,
    domainEvents,
  );
  return { guard, events, sessions };
}

interface Call {
  access?: Access;
  authorization?: string;
  body?: unknown;
  params?: Record<string, string>;
  ip?: string;
  cookie?: string;
}

function request(call: Call) {
  const req = {
    body: call.body,
    params: call.params ?? {},
    headers: { authorization: call.authorization, cookie: call.cookie },
    ip: call.ip ?? '10.0.0.1',
    method: 'POST',
    path: '/alerts',
  } as unknown as Request;
  const headers: Record<string, string> = {};
  const res = { setHeader: (name: string, value: string) => (headers[name] = value) } as unknown as Response;
  return { req, res, headers };
}

/** Runs the guard on a route with `call.access` (undefined: a route that says nothing). */
async function check(guard: AuthGuard, call: Call) {
  const { req, res, headers } = request(call);
  const handler = () => undefined;
  class Controller {}
  const reflector = {
    getAllAndOverride: (key: string, targets: unknown[]) => {
      expect(targets).toEqual([handler, Controller]);
      return call.access;
    },
  };
  (guard as unknown as { reflector: unknown }).reflector = reflector;
  const context = {
    getHandler: () => handler,
    getClass: () => Controller,
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
  } as unknown as ExecutionContext;
  try {
    return { passed: await guard.canActivate(context), error: null, headers, caller: callerOf(req) };
  } catch (error) {
    return { passed: false, error: error as HttpException, headers, caller: callerOf(req) };
  }
}

const deviceBody: Access = { kind: 'device', deviceIdFrom: 'body' };
const deviceParam: Access = { kind: 'device', deviceIdFrom: 'param' };

describe('AuthGuard, devices (VIGIE_AUTH=required)', () => {
  it('lets a device through with its own token, named in the body or in the path', async () => {
    const { guard, events } = harness();
    const inBody = await check(guard, {
      access: deviceBody,
      authorization: `Bearer ${PI_TOKEN}`,
      body: { deviceId: 'pi-1' },
    });
    expect(inBody).toMatchObject({ passed: true, error: null, caller: { deviceId: 'pi-1' } });
    const inPath = await check(guard, {
      access: deviceParam,
      authorization: `Bearer ${PI_TOKEN}`,
      params: { deviceId: 'pi-1' },
      body: { deviceId: 'pi-2' },
    });
    expect(inPath).toMatchObject({ passed: true, caller: { deviceId: 'pi-1' } });
    expect(events).toEqual([]);
  });

  it('reads the device id from the place the route says, not the other', async () => {
    const { guard } = harness();
    // The path names pi-2, whose token this is not: the body's pi-1 must not be what is checked.
    const result = await check(guard, {
      access: deviceParam,
      authorization: `Bearer ${PI_TOKEN}`,
      params: { deviceId: 'pi-2' },
      body: { deviceId: 'pi-1' },
    });
    expect(result.error).toBeInstanceOf(ForbiddenException);
  });

  it('a body without a device id: any valid token passes as its own device (validation answers)', async () => {
    const { guard } = harness();
    for (const body of [undefined, {}, { deviceId: 42 }]) {
      const result = await check(guard, { access: deviceBody, authorization: `Bearer ${PI2_TOKEN}`, body });
      expect(result).toMatchObject({ passed: true, caller: { deviceId: 'pi-2' } });
    }
  });

  it('refuses a missing token with 401, WWW-Authenticate and an audit event', async () => {
    const { guard, events } = harness();
    const result = await check(guard, { access: deviceBody, body: { deviceId: 'pi-1' }, ip: '10.0.0.7' });
    expect(result.error).toBeInstanceOf(UnauthorizedException);
    expect(result.error?.message).toBe('a device token is required: Authorization: Bearer <token>');
    expect(result.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="vigie devices"' });
    expect(result.caller).toEqual({});
    expect(events).toEqual([
      [
        DEVICE_TOKEN_REFUSED,
        new DeviceTokenRefusedEvent('missing', 'pi-1', null, '10.0.0.7', 'POST /alerts'),
      ],
    ]);
  });

  it('refuses an unknown or revoked token with 401 and says which in the event', async () => {
    const { guard, events } = harness();
    const unknown = await check(guard, {
      access: deviceBody,
      authorization: 'Bearer vgd_nobody',
      body: { deviceId: 'pi-1' },
    });
    expect(unknown.error).toBeInstanceOf(UnauthorizedException);
    expect(unknown.error?.message).toBe('unknown or revoked device token');
    const revoked = await check(guard, {
      access: deviceBody,
      authorization: `Bearer ${OLD_TOKEN}`,
      body: { deviceId: 'pi-old' },
    });
    expect(revoked.error).toBeInstanceOf(UnauthorizedException);
    expect(revoked.headers['WWW-Authenticate']).toBe('Bearer realm="vigie devices"');
    expect(events.map(([, event]) => event)).toMatchObject([
      { reason: 'unknown', tokenDeviceId: null },
      { reason: 'revoked', deviceId: 'pi-old', tokenDeviceId: 'pi-old' },
    ]);
  });

  it("refuses another device's token with 403 and no WWW-Authenticate", async () => {
    const { guard, events } = harness();
    const result = await check(guard, {
      access: deviceBody,
      authorization: `Bearer ${PI2_TOKEN}`,
      body: { deviceId: 'pi-1' },
    });
    expect(result.error).toBeInstanceOf(ForbiddenException);
    expect(result.error?.message).toBe('this device token is not the one of device pi-1');
    expect(result.headers).toEqual({});
    expect(events).toMatchObject([[DEVICE_TOKEN_REFUSED, { reason: 'other_device', tokenDeviceId: 'pi-2' }]]);
  });

  it('after 60 refusals from an address: 429 with Retry-After, no event; valid tokens and other addresses pass', async () => {
    const { guard, events } = harness();
    const bad = (ip: string) =>
      check(guard, {
        access: deviceBody,
        authorization: 'Bearer vgd_nobody',
        body: { deviceId: 'pi-1' },
        ip,
      });
    for (let i = 0; i < 60; i++) expect((await bad('10.0.0.9')).error?.getStatus()).toBe(401);
    expect(events).toHaveLength(60);

    const blocked = await bad('10.0.0.9');
    expect(blocked.error?.getStatus()).toBe(429);
    expect(blocked.error?.getResponse()).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'too many requests with a bad device token from this address: retry after 60 s',
    });
    expect(blocked.headers).toEqual({ 'Retry-After': '60' });
    expect(events).toHaveLength(60);

    const valid = await check(guard, {
      access: deviceBody,
      authorization: `Bearer ${PI_TOKEN}`,
      body: { deviceId: 'pi-1' },
      ip: '10.0.0.9',
    });
    expect(valid.passed).toBe(true);
    expect((await bad('10.0.0.10')).error?.getStatus()).toBe(401);
  });
});

describe('AuthGuard, VIGIE_AUTH=off', () => {
  it('lets devices through unchecked, as the device they name', async () => {
    const { guard, events } = harness({ auth: 'off' });
    const named = await check(guard, { access: deviceBody, body: { deviceId: 'pi-9' } });
    expect(named).toMatchObject({ passed: true, caller: { deviceId: 'pi-9' } });
    const unnamed = await check(guard, { access: deviceParam, params: {} });
    expect(unnamed).toMatchObject({ passed: true });
    expect(unnamed.caller.deviceId).toBeUndefined();
    expect(events).toEqual([]);
  });

  it('lets operators through without a session, as nobody', async () => {
    const { guard, sessions } = harness({ auth: 'off' });
    const result = await check(guard, { access: { kind: 'operator' } });
    expect(result).toMatchObject({ passed: true, caller: { operator: null } });
    expect(sessions).toEqual([]);
  });
});

describe('AuthGuard, operators and public routes', () => {
  it('a route that says nothing needs a signed-in operator', async () => {
    const { guard, sessions } = harness();
    const result = await check(guard, { access: undefined, cookie: 'vigie_session=abc' });
    expect(result.error).toBeInstanceOf(UnauthorizedException);
    expect(result.error?.message).toBe('sign in first (POST /auth/login)');
    expect(sessions).toEqual(['abc']);
  });

  it('a signed-in operator passes, known by id and name', async () => {
    const session: Session = { id: '7', name: 'ana', expiresAt: new Date(Date.now() + 60_000) };
    const { guard } = harness({}, session);
    const result = await check(guard, { access: { kind: 'operator' }, cookie: 'vigie_session=abc' });
    expect(result).toMatchObject({ passed: true, caller: { operator: { id: '7', name: 'ana' } } });
    expect(result.caller.operator).toEqual({ id: '7', name: 'ana' });
  });

  it('public routes pass with nothing', async () => {
    const { guard } = harness();
    expect(await check(guard, { access: { kind: 'public' } })).toMatchObject({ passed: true, error: null });
  });

  it('public routes pass with nothing, even when the metrics need a token', async () => {
    const { guard } = harness({ metricsToken: 'a pass phrase!' });
    expect(await check(guard, { access: { kind: 'public' } })).toMatchObject({ passed: true, error: null });
  });
});

describe('AuthGuard, metrics', () => {
  it('without VIGIE_METRICS_TOKEN, /metrics is open', async () => {
    const { guard } = harness();
    expect(await check(guard, { access: { kind: 'metrics' } })).toMatchObject({ passed: true });
  });

  it('with one, only `Bearer <that token>` passes, whatever the case of the scheme and the spaces', async () => {
    const { guard } = harness({ metricsToken: 'a pass phrase!' });
    for (const authorization of ['Bearer a pass phrase!', 'bearer   a pass phrase!']) {
      expect(await check(guard, { access: { kind: 'metrics' }, authorization })).toMatchObject({
        passed: true,
      });
    }
    for (const authorization of [
      undefined,
      '',
      'Bearer a pass phrase',
      'Basic a pass phrase!',
      'Bearer ',
      'xBearer a pass phrase!',
      `Bearer ${'a'.repeat(4096)}`,
    ]) {
      const result = await check(guard, { access: { kind: 'metrics' }, authorization });
      expect(result.error).toBeInstanceOf(UnauthorizedException);
      expect(result.error?.message).toBe('the metrics need Authorization: Bearer <VIGIE_METRICS_TOKEN>');
      expect(result.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="vigie metrics"' });
    }
  });

  it('accepts a metrics token of exactly 4096 characters of header, not one more', async () => {
    const token = 'x'.repeat(4096 - 'Bearer '.length);
    const { guard } = harness({ metricsToken: token });
    const at = await check(guard, { access: { kind: 'metrics' }, authorization: `Bearer ${token}` });
    expect(at.passed).toBe(true);
    const { guard: longer } = harness({ metricsToken: `${token}x` });
    const over = await check(longer, { access: { kind: 'metrics' }, authorization: `Bearer ${token}x` });
    expect(over.error).toBeInstanceOf(UnauthorizedException);
  });
});
