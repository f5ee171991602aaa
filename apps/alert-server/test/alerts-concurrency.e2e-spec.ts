import { randomUUID } from 'node:crypto';
import type { Alert } from '@app/contracts';
import { eventually } from './support/eventually';
import { sampleValue } from './support/prometheus-text';
import { stopAndRemove } from './support/lifecycle';
import { startTestServer, TestServer } from './support/test-server';
import { alertBody, expectStatus, listAlerts, postAlert, scrapeMetrics } from './support/vigie-api';

/**
 * A device that lost our answer retries while its first request may still be in flight, and
 * concurrent writes share one group commit: the id must still be stored at most once.
 */
describe('concurrent POST /alerts', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startTestServer();
  });

  afterEach(() => stopAndRemove(server));

  it('stores 50 simultaneous posts of one id exactly once: one 201, 49 200', async () => {
    const body = alertBody({ deviceId: 'pi-busy', message: 'pressed once, sent 50 times' });

    const responses = await Promise.all(Array.from({ length: 50 }, () => postAlert(server.url, body)));

    const statuses = responses.map((res) => res.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 200)).toHaveLength(49);
    // Every answer is the one stored alert, with the receivedAt of the post that stored it.
    const created = responses.find((res) => res.status === 201)!.body as Alert;
    for (const res of responses) expect(res.body).toEqual(created);

    const page = await listAlerts(server.url);
    expect(page.items).toEqual([created]);
    expect(page.nextCursor).toBeNull();

    await eventually(async () => {
      const samples = await scrapeMetrics(server.url);
      expect(
        sampleValue(samples, 'vigie_alerts_received_total', { type: 'fire', severity: 'critical' }),
      ).toBe(1);
      expect(sampleValue(samples, 'vigie_alerts_duplicate_total')).toBe(49);
    });
  });

  it('stores 50 simultaneous posts of distinct ids as 50 alerts', async () => {
    const bodies = Array.from({ length: 50 }, (_, index) =>
      alertBody({ id: randomUUID(), button: String(index) }),
    );

    const responses = await Promise.all(bodies.map((body) => postAlert(server.url, body)));

    for (const res of responses) expectStatus(res, 201);
    const page = await listAlerts(server.url, { limit: 500 });
    expect(page.items.map((alert) => alert.id).sort()).toEqual(
      bodies.map((body) => body.id as string).sort(),
    );
  });

  it('stores one of two contents posted 20 times at once under one id: 200 for its copies, 409 for the other', async () => {
    const id = randomUUID();
    const variants = Array.from({ length: 20 }, (_, index) =>
      alertBody({ id, message: index % 2 === 0 ? 'even' : 'odd' }),
    );

    const responses = await Promise.all(variants.map((body) => postAlert(server.url, body)));

    const created = responses.filter((res) => res.status === 201);
    expect(created).toHaveLength(1);
    const winner = (created[0].body as Alert).message;
    for (const [index, res] of responses.entries()) {
      if (res.status === 201) continue;
      expect(res.status).toBe(variants[index].message === winner ? 200 : 409);
    }
    expect((await listAlerts(server.url)).items).toEqual([created[0].body]);
  });
});
