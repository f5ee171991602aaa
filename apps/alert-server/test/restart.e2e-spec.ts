import type { Alert } from '@app/contracts';
import { eventually } from './support/eventually';
import { sampleValue } from './support/prometheus-text';
import { stopAndRemove } from './support/lifecycle';
import { startTestServer, TestServer } from './support/test-server';
import {
  alertBody,
  createAlert,
  expectStatus,
  getAlert,
  handleAlert,
  heartbeat,
  listAlerts,
  listDevices,
  postAlert,
  scrapeMetrics,
} from './support/vigie-api';

/**
 * The store is the source of truth: a new process on the same folder (an upgrade, a reboot)
 * must find every alert in the state operators left it, and every device it knew.
 */
describe('restart on the same data folder', () => {
  let first: TestServer | undefined;
  let second: TestServer | undefined;

  afterEach(async () => {
    // Both servers share one folder: stop both before removing it once.
    await stopAndRemove(first, second);
    first = second = undefined;
  });

  it('keeps alerts with their acknowledge and resolve state, devices, and idempotency', async () => {
    first = await startTestServer();
    const url = first.url;
    expectStatus(
      await heartbeat(url, 'pi-hall', { location: 'Hall', agentVersion: '2.0.1', spoolDepth: 1 }),
      204,
    );
    const openBody = alertBody({
      deviceId: 'pi-hall',
      message: 'still open',
      triggeredAt: '2001-01-01T00:00:00Z',
    });
    const open = (await postAlert(url, openBody)).body as Alert;
    const acknowledged = await createAlert(url, { deviceId: 'pi-hall', type: 'medical' });
    const resolved = await createAlert(url, { deviceId: 'pi-lab', type: 'panic', location: 'Lab' });
    expectStatus(await handleAlert(url, acknowledged.id, 'acknowledge', { by: 'Marie', note: 'seen' }), 200);
    expectStatus(await handleAlert(url, resolved.id, 'acknowledge', { by: 'Paul' }), 200);
    expectStatus(await handleAlert(url, resolved.id, 'resolve', { by: 'Paul', note: 'done' }), 200);
    // Known from its alert alone, sent just before the stop: its device row must not be lost.
    const lastMinute = await createAlert(url, { deviceId: 'pi-late', type: 'test' });

    const alertsBefore = await listAlerts(url);
    const devicesBefore = await listDevices(url);
    expect(alertsBefore.items).toHaveLength(4);
    expect(devicesBefore.map((device) => device.id).sort()).toEqual(['pi-hall', 'pi-lab', 'pi-late']);
    await first.close();

    second = await startTestServer({}, first.dir);
    const restarted = second.url;

    expect(await listAlerts(restarted)).toEqual(alertsBefore);
    expect(await getAlert(restarted, acknowledged.id)).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'Marie',
      acknowledgementNote: 'seen',
    });
    expect(await getAlert(restarted, resolved.id)).toMatchObject({
      status: 'resolved',
      acknowledgedBy: 'Paul',
      resolvedBy: 'Paul',
      resolutionNote: 'done',
    });
    expect(await getAlert(restarted, lastMinute.id)).toEqual(lastMinute);
    // Seen a moment ago, well within the default 90 s window: still online.
    expect(await listDevices(restarted)).toEqual(devicesBefore);

    // A device retrying across the restart still gets its stored alert, never a second one.
    const retry = await postAlert(restarted, openBody);
    expectStatus(retry, 200);
    expect(retry.body).toEqual(open);
    expectStatus(await postAlert(restarted, { ...openBody, message: 'changed' }), 409);
    // An acknowledgement made before the restart still stands.
    const again = await handleAlert(restarted, acknowledged.id, 'acknowledge', { by: 'Zoé' });
    expect(again.body).toEqual(await getAlert(restarted, acknowledged.id));
    expect((again.body as Alert).acknowledgedBy).toBe('Marie');
    expectStatus(await handleAlert(restarted, resolved.id, 'acknowledge', { by: 'Zoé' }), 409);

    // State gauges are read from the store, so they are right from the first scrape.
    await eventually(async () => {
      const samples = await scrapeMetrics(restarted);
      expect(sampleValue(samples, 'vigie_alerts_open')).toBe(2);
      expect(sampleValue(samples, 'vigie_device_spool_depth', { device: 'pi-hall' })).toBe(1);
      expect(sampleValue(samples, 'vigie_devices', { status: 'online' })).toBe(3);
    });
  });

  it('reports a device that was silent across the restart as offline', async () => {
    first = await startTestServer({ VIGIE_DEVICE_OFFLINE_AFTER_S: '1' });
    expectStatus(await heartbeat(first.url, 'pi-gone', { spoolDepth: 0 }), 204);
    const [before] = await listDevices(first.url);
    await first.close();

    second = await startTestServer({ VIGIE_DEVICE_OFFLINE_AFTER_S: '1' }, first.dir);

    await eventually(
      async () => expect(await listDevices(second!.url)).toEqual([{ ...before, status: 'offline' }]),
      { timeoutMs: 5000, intervalMs: 100 },
    );
  });
});
