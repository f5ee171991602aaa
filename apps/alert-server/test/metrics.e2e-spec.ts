// Loaded first: the contract's DTO decorators, imported below for its constants, need it.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ALERT_SEVERITIES, ALERT_TYPES, REJECTION_REASONS } from '@app/contracts';
import { eventually } from './support/eventually';
import { Sample, family, sampleValue } from './support/prometheus-text';
import { stopAndRemove } from './support/lifecycle';
import { provisionDevice } from './support/security';
import { startTestServer, TestServer } from './support/test-server';
import {
  alertBody,
  createAlert,
  expectStatus,
  handleAlert,
  heartbeat,
  listDevices,
  postAlert,
  postRaw,
  rawRequest,
  scrapeMetrics,
} from './support/vigie-api';

/** `vigie_alerts_received_total` as `family()` keys it, all at 0 except `nonZero`. */
function receivedFamily(nonZero: Record<string, number>): Record<string, number> {
  const expected: Record<string, number> = {};
  for (const type of ALERT_TYPES) {
    for (const severity of ALERT_SEVERITIES) expected[`severity=${severity},type=${type}`] = 0;
  }
  return { ...expected, ...nonZero };
}

function rejectedFamily(nonZero: Record<string, number>): Record<string, number> {
  const expected: Record<string, number> = {};
  for (const reason of REJECTION_REASONS) expected[`reason=${reason}`] = 0;
  return { ...expected, ...nonZero };
}

function acknowledgeCounts(nonZero: Record<string, number>): Record<string, number> {
  const expected: Record<string, number> = {};
  for (const type of ALERT_TYPES) expected[`type=${type}`] = 0;
  return { ...expected, ...nonZero };
}

/**
 * A family's values with every series of `zeroSeries` present, counting an absent one as 0:
 * for exact counts independent of whether zero-valued series are exported (checked apart).
 */
function withZeros(
  values: Record<string, number>,
  zeroSeries: Record<string, number>,
): Record<string, number> {
  return { ...zeroSeries, ...values };
}

/** Metric listeners run right after the response: poll until the scrape shows the expected state. */
function settled(url: string, check: (samples: Sample[]) => void | Promise<void>): Promise<void> {
  return eventually(async () => check(await scrapeMetrics(url)));
}

describe('GET /metrics', () => {
  let server: TestServer;
  let url: string;

  beforeEach(async () => {
    server = await startTestServer();
    url = server.url;
  });

  afterEach(() => stopAndRemove(server));

  it('serves the Prometheus text format, all state at 0 on a fresh store', async () => {
    const res = await request(url).get('/metrics');

    expectStatus(res, 200);
    // Parameter order is free (Express puts charset first); the version is what Prometheus reads.
    expect(res.headers['content-type']).toMatch(/^text\/plain;/);
    expect(res.headers['content-type']).toContain('version=0.0.4');
    expect(res.text).toContain('# TYPE vigie_alerts_received_total counter');
    expect(res.text).toContain('# TYPE vigie_alert_ingest_duration_seconds histogram');
    expect(res.text).toContain('# TYPE vigie_alerts_open gauge');
    const samples = await scrapeMetrics(url);
    expect(family(samples, 'vigie_alert_acknowledge_seconds_count')).toEqual(acknowledgeCounts({}));
    expect(sampleValue(samples, 'vigie_alerts_duplicate_total')).toBe(0);
    expect(sampleValue(samples, 'vigie_alerts_open')).toBe(0);
    expect(family(samples, 'vigie_devices')).toEqual({ 'status=online': 0, 'status=offline': 0 });
  });

  /**
   * metrics.service.ts means every label value to exist at 0 from the start ("so rate() and
   * alert rules see the first event"): without it, increase() misses the first fire alert.
   */
  it('exports every type/severity and every rejection reason at 0 before the first event', async () => {
    const samples = await scrapeMetrics(url);

    expect({
      received: family(samples, 'vigie_alerts_received_total'),
      rejected: family(samples, 'vigie_alerts_rejected_total'),
    }).toEqual({ received: receivedFamily({}), rejected: rejectedFamily({}) });
  });

  it('counts a known sequence of requests exactly', async () => {
    // Devices: two report their spool; a third is known only from its alert.
    expectStatus(await heartbeat(url, 'pi-a', { spoolDepth: 4, agentVersion: '1.0.0' }), 204);
    expectStatus(await heartbeat(url, 'pi-b', { spoolDepth: 0 }), 204);

    // 3 fire alerts (one spooled for an hour) and 1 test alert: 4 new alerts.
    const fire1 = alertBody({ deviceId: 'pi-a', type: 'fire' });
    const fire2 = alertBody({ deviceId: 'pi-a', type: 'fire' });
    const anHourAgo = new Date(Date.now() - 3600_000).toISOString();
    const fire3 = alertBody({ deviceId: 'pi-b', type: 'fire', message: 'first', triggeredAt: anHourAgo });
    const test1 = alertBody({ deviceId: 'pi-c', type: 'test' });
    for (const body of [fire1, fire2, fire3, test1]) expectStatus(await postAlert(url, body), 201);

    // 2 retries, 1 conflict.
    expectStatus(await postAlert(url, fire1), 200);
    expectStatus(await postAlert(url, fire2), 200);
    expectStatus(await postAlert(url, { ...fire3, message: 'second' }), 409);

    // 2 validation errors (one from the DTO, one from the JSON parser), 1 too large, 1 not JSON.
    expectStatus(await postAlert(url, { id: randomUUID(), deviceId: 'pi-a' }), 400);
    expectStatus(await postRaw(url, '/alerts', '{"deviceId":'), 400);
    expectStatus(await postRaw(url, '/alerts', `{"message":"${'x'.repeat(17 * 1024)}"}`), 413);
    expectStatus(await rawRequest(url, 'POST', '/alerts', '{}', { 'Content-Type': 'text/plain' }), 415);

    // Refusals outside POST /alerts are not refused alerts.
    expectStatus(await heartbeat(url, 'pi-a', { spoolDepth: -1 }), 400);
    expectStatus(await handleAlert(url, randomUUID(), 'acknowledge', { by: 'Marie' }), 404);
    expectStatus(await handleAlert(url, fire1.id as string, 'acknowledge', {}), 400);

    // 1 acknowledgement (and a repeat of it, which changes nothing).
    expectStatus(await handleAlert(url, fire1.id as string, 'acknowledge', { by: 'Marie' }), 200);
    expectStatus(await handleAlert(url, fire1.id as string, 'acknowledge', { by: 'Paul' }), 200);

    const devices = await listDevices(url);
    await settled(url, (samples) => {
      expect(withZeros(family(samples, 'vigie_alerts_received_total'), receivedFamily({}))).toEqual(
        receivedFamily({ 'severity=critical,type=fire': 3, 'severity=info,type=test': 1 }),
      );
      expect(sampleValue(samples, 'vigie_alerts_duplicate_total')).toBe(2);
      expect(withZeros(family(samples, 'vigie_alerts_rejected_total'), rejectedFamily({}))).toEqual(
        rejectedFamily({
          'reason=validation': 2,
          'reason=conflict': 1,
          'reason=too_large': 1,
          'reason=unsupported_media_type': 1,
        }),
      );
      // Every accepted post (4 new, 2 retries) goes through validate-and-commit; refusals are not timed.
      expect(sampleValue(samples, 'vigie_alert_ingest_duration_seconds_count')).toBe(6);
      // Transit is observed once per new alert: three at once, the spooled one after an hour.
      expect(sampleValue(samples, 'vigie_alert_transit_seconds_count')).toBe(4);
      expect(sampleValue(samples, 'vigie_alert_transit_seconds_bucket', { le: '900' })).toBe(3);
      expect(sampleValue(samples, 'vigie_alert_transit_seconds_bucket', { le: '21600' })).toBe(4);
      expect(sampleValue(samples, 'vigie_alert_transit_seconds_sum')).toBeGreaterThanOrEqual(3600);
      // 4 new alerts, 1 acknowledged.
      expect(sampleValue(samples, 'vigie_alerts_open')).toBe(3);
      expect(family(samples, 'vigie_alert_acknowledge_seconds_count')).toEqual(
        acknowledgeCounts({ 'type=fire': 1 }),
      );
      expect(family(samples, 'vigie_devices')).toEqual({ 'status=online': 3, 'status=offline': 0 });
      expect(family(samples, 'vigie_device_last_seen_timestamp_seconds')).toEqual(
        Object.fromEntries(
          devices.map((device) => [`device=${device.id}`, Date.parse(device.lastSeenAt!) / 1000]),
        ),
      );
      // pi-c never reported a spool: no series rather than an invented 0.
      expect(family(samples, 'vigie_device_spool_depth')).toEqual({ 'device=pi-a': 4, 'device=pi-b': 0 });
      expect(sampleValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    });
    expect(devices.map((device) => device.id).sort()).toEqual(['pi-a', 'pi-b', 'pi-c']);
  });

  /**
   * Express routes ignore a trailing slash and letter case, so `/alerts/` and `/Alerts` reach
   * the same ingestion (a 201 there is counted as received): their refusals must count too.
   */
  it('counts refusals of POST /alerts/ and /Alerts, which the route serves like /alerts', async () => {
    expectStatus(await postAlert(url, alertBody()), 201);
    expectStatus(await postRaw(url, '/alerts/', JSON.stringify(alertBody())), 201);
    expectStatus(await postRaw(url, '/alerts/', '{"deviceId":"pi-a"}'), 400);
    expectStatus(await postRaw(url, '/Alerts', '{"deviceId":"pi-a"}'), 400);
    expectStatus(await postRaw(url, '/alerts/', '{}', 'text/plain'), 415);

    await settled(url, (samples) => {
      expect(
        sampleValue(samples, 'vigie_alerts_received_total', { type: 'fire', severity: 'critical' }),
      ).toBe(2);
      expect(withZeros(family(samples, 'vigie_alerts_rejected_total'), rejectedFamily({}))).toEqual(
        rejectedFamily({ 'reason=validation': 2, 'reason=unsupported_media_type': 1 }),
      );
    });
  });

  /** One Pi whose clock says 1970 must not make the mean transit of every other alert meaningless. */
  it('keeps alerts from a wrong device clock out of the transit histogram and counts them apart', async () => {
    const sixDaysAgo = new Date(Date.now() - 6 * 86_400_000).toISOString();
    const fromAPowerCut = alertBody({ deviceId: 'pi-spooled', triggeredAt: sixDaysAgo });
    const noClock = alertBody({ deviceId: 'pi-no-rtc', triggeredAt: '1970-01-01T00:00:42.000Z' });
    const inTheFuture = alertBody({
      deviceId: 'pi-fast-clock',
      triggeredAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    const slightlyAhead = alertBody({
      deviceId: 'pi-ntp-settling',
      triggeredAt: new Date(Date.now() + 2_000).toISOString(),
    });
    for (const body of [fromAPowerCut, noClock, inTheFuture, slightlyAhead]) {
      const res = await postAlert(url, body);
      expectStatus(res, 201);
      // Stored as the device sent it: never rejected for its date.
      expect((res.body as { triggeredAt: string }).triggeredAt).toBe(body.triggeredAt);
    }

    await settled(url, (samples) => {
      expect(family(samples, 'vigie_alert_clock_skew_total')).toEqual({
        'direction=behind': 1,
        'direction=ahead': 1,
      });
      // The six-day spool and the clock two seconds ahead (as no transit) are real transits.
      expect(sampleValue(samples, 'vigie_alert_transit_seconds_count')).toBe(2);
      const sum = sampleValue(samples, 'vigie_alert_transit_seconds_sum')!;
      expect(sum).toBeGreaterThanOrEqual(6 * 86_400);
      expect(sum).toBeLessThan(6 * 86_400 + 60);
    });
  });

  it('follows the open count through acknowledge and resolve, from the store', async () => {
    const bodies = [alertBody(), alertBody(), alertBody()];
    for (const body of bodies) expectStatus(await postAlert(url, body), 201);
    await settled(url, (samples) => expect(sampleValue(samples, 'vigie_alerts_open')).toBe(3));

    // Resolved straight from open, acknowledged, then resolved after acknowledgement.
    expectStatus(await handleAlert(url, bodies[0].id as string, 'resolve', { by: 'Marie' }), 200);
    expectStatus(await handleAlert(url, bodies[1].id as string, 'acknowledge', { by: 'Marie' }), 200);
    await settled(url, (samples) => expect(sampleValue(samples, 'vigie_alerts_open')).toBe(1));
    expectStatus(await handleAlert(url, bodies[1].id as string, 'resolve', { by: 'Marie' }), 200);

    await settled(url, (samples) => {
      expect(sampleValue(samples, 'vigie_alerts_open')).toBe(1);
      // Resolving without acknowledging is not an acknowledgement.
      expect(family(samples, 'vigie_alert_acknowledge_seconds_count')).toEqual(
        acknowledgeCounts({ 'type=fire': 1 }),
      );
    });
  });

  it('updates a device spool depth and last-seen time at each heartbeat', async () => {
    expectStatus(await heartbeat(url, 'pi-spool', { spoolDepth: 12 }), 204);
    await settled(url, (samples) =>
      expect(sampleValue(samples, 'vigie_device_spool_depth', { device: 'pi-spool' })).toBe(12),
    );

    expectStatus(await heartbeat(url, 'pi-spool', { spoolDepth: 0 }), 204);
    const [device] = await listDevices(url);

    await settled(url, (samples) => {
      expect(sampleValue(samples, 'vigie_device_spool_depth', { device: 'pi-spool' })).toBe(0);
      expect(sampleValue(samples, 'vigie_device_last_seen_timestamp_seconds', { device: 'pi-spool' })).toBe(
        Date.parse(device.lastSeenAt!) / 1000,
      );
    });
  });
});

/**
 * The gauges deploy/prometheus/vigie-rules.yml alerts on, each the server's own judgement so the
 * rules follow the configuration (VIGIE_DEVICE_OFFLINE_AFTER_S, the escalation steps).
 */
describe('GET /metrics: what the alerting rules read', () => {
  let server: TestServer;
  let url: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-e2e-rules-'));
    const notifyFile = join(dir, 'notify.yml');
    // A channel no one listens on: what is sent does not matter here, only when steps are due.
    writeFileSync(
      notifyFile,
      [
        'channels:',
        '  nobody: { webhook: { url: "http://127.0.0.1:9/vigie", secret: "whsec_BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=" } }',
        'escalation:',
        '  - match: { type: [fire] }',
        '    steps:',
        '      - { after: 0s, notify: [nobody] }',
        '      - { after: 2s, notify: [nobody] }',
        '  - match: { type: [medical] }',
        '    steps: [{ after: 1h, notify: [nobody] }]',
      ].join('\n'),
    );
    server = await startTestServer({ VIGIE_NOTIFY_FILE: notifyFile, VIGIE_DEVICE_OFFLINE_AFTER_S: '1' }, dir);
    url = server.url;
  });

  afterAll(() => stopAndRemove(server));

  it('vigie_escalations_total: every step of the longest escalation at 0 from the start, so increase() sees the first', async () => {
    expect(family(await scrapeMetrics(url), 'vigie_escalations_total')).toEqual({ 'step=1': 0, 'step=2': 0 });
  });

  it('vigie_device_online: 1 while a device is heard, 0 once silent past VIGIE_DEVICE_OFFLINE_AFTER_S', async () => {
    expectStatus(await heartbeat(url, 'pi-rules-online'), 204);
    const online = (samples: Sample[]) =>
      sampleValue(samples, 'vigie_device_online', { device: 'pi-rules-online' });
    expect(online(await scrapeMetrics(url))).toBe(1);

    await eventually(async () => expect(online(await scrapeMetrics(url))).toBe(0), { timeoutMs: 5_000 });
    expectStatus(await heartbeat(url, 'pi-rules-online'), 204);
    expect(online(await scrapeMetrics(url))).toBe(1);
  });

  it('vigie_device_enrolled_timestamp_seconds: when the token was made; a device never heard is 0 online, with no last-seen time', async () => {
    const before = Math.floor(Date.now() / 1000);
    await provisionDevice(server, 'pi-rules-new');
    const after = Date.now() / 1000;

    const samples = await scrapeMetrics(url);
    const enrolledAt = sampleValue(samples, 'vigie_device_enrolled_timestamp_seconds', {
      device: 'pi-rules-new',
    });
    expect(enrolledAt).toBeGreaterThanOrEqual(before);
    expect(enrolledAt).toBeLessThanOrEqual(after);
    expect(sampleValue(samples, 'vigie_device_online', { device: 'pi-rules-new' })).toBe(0);
    expect(
      sampleValue(samples, 'vigie_device_last_seen_timestamp_seconds', { device: 'pi-rules-new' }),
    ).toBeUndefined();
    // A device that spoke without a token (VIGIE_AUTH=off) was never enrolled.
    expect(
      sampleValue(samples, 'vigie_device_enrolled_timestamp_seconds', { device: 'pi-rules-online' }),
    ).toBeUndefined();
  });

  it("vigie_alerts_past_escalation: open alerts once their rule's last step is due, at once with no rule; acknowledged ones leave", async () => {
    const past = async () => sampleValue(await scrapeMetrics(url), 'vigie_alerts_past_escalation');
    expect(await past()).toBe(0);

    const fire = await createAlert(url, { type: 'fire' }); // last step after 2 s
    await createAlert(url, { type: 'medical' }); // last step after an hour
    expect(await past()).toBe(0);
    const intrusion = await createAlert(url, { type: 'intrusion' }); // no rule: the dashboard only
    expect(await past()).toBe(1);

    await eventually(async () => expect(await past()).toBe(2), { timeoutMs: 5_000 });
    expectStatus(await handleAlert(url, fire.id, 'acknowledge', { by: 'Marie' }), 200);
    expectStatus(await handleAlert(url, intrusion.id, 'resolve', { by: 'Marie' }), 200);
    expect(await past()).toBe(0);
  });

  it('vigie_ready: 1 while the store commits (the full-disk suite sees it at 0)', async () => {
    expect(sampleValue(await scrapeMetrics(url), 'vigie_ready')).toBe(1);
  });
});
