import type { AxiosInstance } from 'axios';
import { AlertSender, classify } from './alert-sender';
import { MAX_RETRY_AFTER_MS, backoffDelay, parseRetryAfter } from './backoff';
import { ALERT_RESPONSE_TIMEOUT_MS } from './http-client';
import type { AlertBody } from '../spool/spooled-alert';

/** What the server's answer makes of an alert: the one decision that can lose or keep it. */
describe('classify', () => {
  it.each([200, 201, 204, 299])('%i: accepted, the alert leaves the spool', (status) => {
    expect(classify(status, {})).toEqual({ kind: 'accepted', status });
  });

  it.each([400, 409, 413, 415, 422])('%i: rejected for its content, kept with the answer', (status) => {
    const data = { statusCode: status, message: ['type must be one of panic, medical'] };
    expect(classify(status, data)).toEqual({
      kind: 'rejected',
      status,
      code: `HTTP_${status}`,
      answer: { status, body: data },
    });
  });

  it.each([199, 300, 301, 401, 403, 404, 408, 429, 500, 502, 503])('%i: retried, never dropped', (status) => {
    expect(classify(status, 'x')).toMatchObject({ kind: 'retry', code: `HTTP_${status}`, status });
  });

  it('honours Retry-After on 429 and 503 only', () => {
    expect(classify(429, {}, '7')).toMatchObject({ retryAfterMs: 7000 });
    expect(classify(503, {}, '2')).toMatchObject({ retryAfterMs: 2000 });
    expect(classify(500, {}, '7')).toMatchObject({ retryAfterMs: null });
    expect(classify(408, {}, '7')).toMatchObject({ retryAfterMs: null });
    expect(classify(429, {}, undefined)).toMatchObject({ retryAfterMs: null });
  });

  it("says why in `detail`: the server's message, joined when a list, or its text, cut at 200", () => {
    expect(classify(401, { message: 'unknown token' })).toMatchObject({ detail: 'unknown token' });
    expect(classify(500, { message: ['a', 'b'] })).toMatchObject({ detail: 'a; b' });
    expect(classify(500, { message: 42 })).toMatchObject({ detail: '42' });
    expect(classify(502, 'y'.repeat(300))).toMatchObject({ detail: 'y'.repeat(200) });
    expect(classify(500, { error: 'no message' })).toMatchObject({ detail: '' });
    expect(classify(500, null)).toMatchObject({ detail: '' });
    expect(classify(500, 17)).toMatchObject({ detail: '' });
  });
});

describe('AlertSender.send', () => {
  const alert: AlertBody = {
    id: '01900000-0000-7000-8000-000000000001',
    deviceId: 'pi-1',
    type: 'panic',
    triggeredAt: '2026-11-25T08:00:00.000Z',
  };

  it('posts the alert to /alerts with the alert timeout and classifies the answer', async () => {
    const calls: unknown[][] = [];
    const http = {
      post: (...args: unknown[]) => {
        calls.push(args);
        return Promise.resolve({
          status: 429,
          data: { message: 'slow down' },
          headers: { 'retry-after': '3' },
        });
      },
    } as unknown as AxiosInstance;
    expect(await new AlertSender(http).send(alert)).toEqual({
      kind: 'retry',
      code: 'HTTP_429',
      status: 429,
      retryAfterMs: 3000,
      detail: 'slow down',
    });
    expect(calls).toEqual([['/alerts', alert, { timeout: ALERT_RESPONSE_TIMEOUT_MS }]]);
  });

  it('turns a network failure into a retry with its code and message', async () => {
    const http = {
      post: () =>
        Promise.reject(
          Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
        ),
    } as unknown as AxiosInstance;
    expect(await new AlertSender(http).send(alert)).toEqual({
      kind: 'retry',
      code: 'ECONNREFUSED',
      status: null,
      retryAfterMs: null,
      detail: 'connect ECONNREFUSED 127.0.0.1:1',
    });
  });
});

describe('backoffDelay', () => {
  it('is random(0, min(max, base * 2^attempt)), rounded down', () => {
    expect(backoffDelay(0, 100, 10_000, () => 0.999)).toBe(99);
    expect(backoffDelay(3, 100, 10_000, () => 0.5)).toBe(400);
    expect(backoffDelay(10, 100, 10_000, () => 0.5)).toBe(5000);
    expect(backoffDelay(3, 100, 10_000, () => 0)).toBe(0);
  });

  it('stays finite for any number of failures', () => {
    expect(backoffDelay(10_000, 100, 30_000, () => 0.5)).toBe(15_000);
    expect(backoffDelay(31, 1, Number.MAX_SAFE_INTEGER, () => 1)).toBe(2 ** 30);
  });

  it('uses Math.random by default', () => {
    const delay = backoffDelay(2, 1000, 10_000);
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThan(4000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 10, 25, 8, 0, 0);

  it('reads seconds, with spaces around', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 12 ', now)).toBe(12_000);
  });

  it('reads an HTTP date, from now, never negative', () => {
    expect(parseRetryAfter(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(parseRetryAfter(new Date(now - 30_000).toUTCString(), now)).toBe(0);
  });

  it('takes a date for a date even when it starts or ends with digits', () => {
    expect(parseRetryAfter('Wed, 25 Nov 2026 08:00:30 +0000', now)).toBe(30_000);
    expect(parseRetryAfter('25 Nov 2026 08:00:30 GMT', now)).toBe(30_000);
  });

  it('caps at five minutes', () => {
    expect(parseRetryAfter('3600', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(MAX_RETRY_AFTER_MS).toBe(300_000);
    expect(parseRetryAfter('300', now)).toBe(300_000);
  });

  it.each([[undefined], [null], [12], [''], ['   '], ['soon'], ['12s']])('ignores %p', (value) => {
    expect(parseRetryAfter(value, now)).toBeNull();
  });

  it('measures from the current time by default', () => {
    const ms = parseRetryAfter(new Date(Date.now() + 60_000).toUTCString());
    expect(ms).toBeGreaterThan(55_000);
    expect(ms).toBeLessThanOrEqual(60_000);
  });
});
