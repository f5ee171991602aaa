import type { ArgumentsHost } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import type { DomainEvents } from '../events/domain-events';
import { StoreDiskError } from '../store/disk-error';
import { HttpErrorFilter, STORE_RETRY_AFTER_S } from './http-error.filter';

/** The filter's view of one `POST /alerts` whose commit failed. */
function answer(exception: unknown) {
  const emit = jest.fn();
  const res = {
    headersSent: false,
    headers: {} as Record<string, string>,
    statusCode: 0,
    body: undefined as unknown,
    setHeader(name: string, value: string) {
      this.headers[name.toLowerCase()] = value;
    },
    status(code: number) {
      this.statusCode = code;
      return this;
    },
    json(body: unknown) {
      this.body = body;
    },
  };
  const req = { method: 'POST', path: '/alerts', body: { deviceId: 'pi-1', id: 'x' } };
  const host = {
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
  } as unknown as ArgumentsHost;
  new HttpErrorFilter({ emit } as unknown as DomainEvents).catch(exception, host);
  return { res, emit };
}

describe("HttpErrorFilter, for a failure of the store's disk", () => {
  let error: jest.SpyInstance;

  beforeEach(() => {
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => error.mockRestore());

  it.each([
    ['STORE_FULL', 'SQLITE_FULL'],
    ['STORE_IO_ERROR', 'SQLITE_IOERR_WRITE'],
  ] as const)('answers %s with 503, its code in the message and Retry-After', (code, reason) => {
    const { res, emit } = answer(new StoreDiskError(code, reason));

    expect(res.statusCode).toBe(503);
    expect(res.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: expect.stringContaining(`(code ${code}, ${reason})`) as string,
    });
    expect(res.headers['retry-after']).toBe(String(STORE_RETRY_AFTER_S));
    // Not a refusal of the alert (the client retries it), and logged by the store, not per request.
    expect(emit).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });

  it('still answers any other fault 500 INTERNAL_ERROR, logged, without Retry-After', () => {
    const { res } = answer(new Error('a bug'));

    expect(res.statusCode).toBe(500);
    expect(res.body).toMatchObject({ statusCode: 500, error: 'Internal Server Error' });
    expect(res.headers['retry-after']).toBeUndefined();
    expect(error.mock.calls[0][0]).toMatchObject({ code: 'INTERNAL_ERROR' });
  });
});
