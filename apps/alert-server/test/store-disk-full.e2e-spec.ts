import { unlinkSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import request from 'supertest';
import type { Response } from 'supertest';
import { eventually } from './support/eventually';
import { family } from './support/prometheus-text';
import { mountSmallDisk } from './support/tmpfs';
import { startTestServer, TestServer } from './support/test-server';
import { alertBody, Body, expectStatus, getAlert, postAlert, scrapeMetrics } from './support/vigie-api';

/**
 * The store's disk fills up, then space comes back, with one server running throughout: a real
 * full file system (an 8 MiB tmpfs), a real server, real commits. Mounted before the tests are
 * collected, so where mounting is not allowed the suite is reported as skipped, with the reason.
 */
const disk = mountSmallDisk(8);
const describeOnSmallDisk = disk.mounted ? describe : describe.skip;
const title = disk.mounted
  ? 'the store on a full disk'
  : `the store on a full disk (SKIPPED: ${disk.reason})`;

/** Long enough that the WAL fills within a few hundred alerts. */
const MESSAGE = 'Fumée dans le local technique, '.repeat(15).slice(0, 500);

let sent = 0;
/** A new alert; from one device of many, as a building's buttons: no device's rate limit is near. */
const newAlert = (): Body => alertBody({ deviceId: `pi-etage-${sent++ % 500}`, message: MESSAGE });

describeOnSmallDisk(title, () => {
  const dir = disk.mounted ? disk.dir : '';
  let server: TestServer;
  let filler: string | null = null;
  /** Every alert answered 2xx: each must be stored at the end. */
  const accepted = new Map<string, Body>();
  /** Alerts answered 503: an agent retries them; so does the test once space is back. */
  const refused = new Map<string, Body>();
  let refusal: Response;
  let errorLog: jest.SpyInstance;

  const rejectedTotal = async () =>
    Object.values(family(await scrapeMetrics(server.url), 'vigie_alerts_rejected_total')).reduce(
      (sum, value) => sum + value,
      0,
    );

  async function post(body: Body): Promise<Response> {
    const res = await postAlert(server.url, body);
    if (res.status === 201 || res.status === 200) accepted.set(body.id as string, body);
    else if (res.status === 503) refused.set(body.id as string, body);
    else throw new Error(`expected 2xx or 503, got ${res.status}: ${res.text}`);
    return res;
  }

  beforeAll(async () => {
    errorLog = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    server = await startTestServer({}, dir);
  });

  afterAll(async () => {
    try {
      await server?.close();
    } finally {
      errorLog.mockRestore();
      if (disk.mounted) disk.unmount();
    }
  });

  it('stores alerts while there is room', async () => {
    for (let i = 0; i < 20; i++) expectStatus(await post(newAlert()), 201);
  });

  it('answers 503 STORE_FULL with Retry-After once the disk is full, not 500, and counts no refusal', async () => {
    const rejectedBefore = await rejectedTotal();
    filler = disk.mounted ? disk.fill() : null;

    // The WAL may still have room inside its file: alerts fit there until it must grow.
    for (let i = 0; i < 3000 && refused.size === 0; i++) {
      const res = await post(newAlert());
      if (res.status === 503) refusal = res;
    }
    expectStatus(refusal, 503);
    expect(refusal.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: expect.stringContaining('(code STORE_FULL') as string,
    });
    expect(refusal.headers['retry-after']).toBe('5');

    // A flood of retries: each refused, still the same answer.
    const flood = await Promise.all(Array.from({ length: 50 }, () => post(newAlert())));
    expect(flood.map((res) => res.status)).toEqual(flood.map(() => 503));
    expect(await rejectedTotal()).toBe(rejectedBefore);
  });

  it('logs the failing commits with their code, not one line per refused request', () => {
    const storeFull = errorLog.mock.calls.filter(
      (call) => (call[0] as { code?: string } | undefined)?.code === 'STORE_FULL',
    );
    expect(storeFull.length).toBeGreaterThanOrEqual(1);
    expect(storeFull.length).toBeLessThan(refused.size);
    expect(storeFull[0][0]).toMatchObject({ reason: 'SQLITE_FULL' });
    const internal = errorLog.mock.calls.filter(
      (call) => (call[0] as { code?: string } | undefined)?.code === 'INTERNAL_ERROR',
    );
    expect(internal).toEqual([]);
  });

  it('answers readiness 503 naming STORE_FULL while commits fail; liveness stays 200', async () => {
    const ready = await request(server.url).get('/health/ready');
    expectStatus(ready, 503);
    expect(ready.body).toMatchObject({
      status: 'error',
      error: { store: { status: 'down', code: 'STORE_FULL' } },
    });
    expectStatus(await request(server.url).get('/health/live'), 200);
    // What the VigieNotReady rule reads, since Prometheus scrapes /metrics, not /health/ready.
    expect(family(await scrapeMetrics(server.url), 'vigie_ready')).toEqual({ '': 0 });
  });

  it('recovers without a restart once space is back: readiness, then commits', async () => {
    unlinkSync(filler!);

    // No write comes in: readiness alone finds the disk back (its probe commit).
    const ready = await eventually(
      async () => {
        const res = await request(server.url).get('/health/ready');
        expectStatus(res, 200);
        return res;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    expect(ready.body).toMatchObject({ status: 'ok', details: { store: { status: 'up' } } });
    expect(family(await scrapeMetrics(server.url), 'vigie_ready')).toEqual({ '': 1 });

    // What the agents do: retry each refused alert with its id, then send new ones.
    for (const body of refused.values()) {
      const res = await post(body);
      expect([200, 201]).toContain(res.status);
    }
    for (let i = 0; i < 20; i++) expectStatus(await post(newAlert()), 201);
  });

  it('has stored every alert it answered 2xx, as sent', async () => {
    expect(accepted.size).toBeGreaterThan(40);
    for (const [id, body] of accepted) {
      const alert = await getAlert(server.url, id);
      expect(alert).toMatchObject({ id, deviceId: body.deviceId, type: body.type, message: body.message });
    }
  });
});
