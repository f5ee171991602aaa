import { AlertmanagerChannel } from '../../src/notifications/channels/alertmanager.channel';
import { notificationText } from '../../src/notifications/channels/notification-text';
import { Started } from '../../../../test/support/watched-process';
import { eventually } from '../support/eventually';
import { AlertmanagerProcess, GettableAlert } from '../support/receivers/alertmanager-process';
import { HttpReceiver, SilentServer, unusedPort } from '../support/receivers/http-receiver';
import {
  aDevice,
  acknowledged,
  anAlert,
  deviceOffline,
  escalated,
  resolved,
} from '../support/receivers/notification-fixtures';
import { sendFailure } from '../support/receivers/send-failure';

const RESOLVE_TIMEOUT_MS = 5 * 60_000;

describe('Alertmanager channel (a real Alertmanager)', () => {
  const started = new Started<AlertmanagerProcess>();
  let alertmanager: AlertmanagerProcess;
  let channel: AlertmanagerChannel;
  const send = (notification: Parameters<AlertmanagerChannel['send']>[0]) =>
    channel.send(notification, AbortSignal.timeout(5000));
  const held = async (alertId: string): Promise<GettableAlert | undefined> =>
    (await alertmanager.activeAlerts()).find((alert) => alert.labels.id === alertId);

  beforeAll(async () => {
    alertmanager = await AlertmanagerProcess.start(started);
    // A trailing slash, as people write base URLs.
    channel = new AlertmanagerChannel('routing', { kind: 'alertmanager', url: `${alertmanager.url}/` });
  });
  afterAll(async () => {
    await alertmanager?.stop();
    await started.cleanup();
  });

  it('holds an escalated alert as active, with exactly its labels, text and dashboard link', async () => {
    const alert = anAlert({ type: 'fire', severity: 'critical' });
    const notification = escalated(alert, 1);
    const sentAt = Date.now();

    await send(notification);

    const active = await held(alert.id);
    expect(active).toBeDefined();
    expect(active!.labels).toStrictEqual({
      alertname: 'VigieAlert',
      id: alert.id,
      type: 'fire',
      severity: 'critical',
      device: 'pi-accueil-01',
      location: 'Bâtiment É — salle des fêtes',
    });
    expect(active!.status.state).toBe('active');
    expect(active!.annotations).toStrictEqual({
      summary: notificationText(notification).title,
      description: notificationText(notification).body,
      dashboard: 'https://vigie.example.org/',
    });
    expect(active!.generatorURL).toBe('https://vigie.example.org/');
    expect(Date.parse(active!.startsAt)).toBe(Date.parse(alert.receivedAt));
    // Posted without endsAt: Alertmanager gives it its resolve_timeout, hence the re-posts while open.
    expect(Date.parse(active!.endsAt)).toBeGreaterThanOrEqual(sentAt + RESOLVE_TIMEOUT_MS - 1000);
  });

  it('keeps two alerts of one device apart (the id label)', async () => {
    const first = anAlert({ deviceId: 'pi-couloir', type: 'panic' });
    const second = anAlert({ deviceId: 'pi-couloir', type: 'panic' });

    await send(escalated(first));
    await send(escalated(second));

    const ofDevice = (await alertmanager.activeAlerts()).filter(
      (alert) => alert.labels.device === 'pi-couloir',
    );
    expect(ofDevice.map((alert) => alert.labels.id).sort()).toStrictEqual([first.id, second.id].sort());
  });

  it('an acknowledged alert is no longer active; another of the same device still is', async () => {
    const first = anAlert({ deviceId: 'pi-escalier' });
    const second = anAlert({ deviceId: 'pi-escalier' });
    await send(escalated(first));
    await send(escalated(second));
    expect(await held(first.id)).toBeDefined();

    await send(acknowledged(first));

    await eventually(async () => expect(await held(first.id)).toBeUndefined());
    expect(await held(second.id)).toBeDefined();
  });

  it('a resolved alert is no longer active', async () => {
    const alert = anAlert();
    await send(escalated(alert));
    expect(await held(alert.id)).toBeDefined();

    await send(resolved(alert));

    await eventually(async () => expect(await held(alert.id)).toBeUndefined());
  });

  it('a device gone offline is VigieDeviceOffline with its device and location', async () => {
    const device = aDevice({ id: 'pi-parking', location: 'Parking niveau −1' });

    await send(deviceOffline(device));

    const active = (await alertmanager.activeAlerts()).find((alert) => alert.labels.device === 'pi-parking');
    expect(active?.labels).toStrictEqual({
      alertname: 'VigieDeviceOffline',
      device: 'pi-parking',
      location: 'Parking niveau −1',
      severity: 'warning',
    });
    expect(Date.parse(active!.startsAt)).toBe(Date.parse(device.lastSeenAt!));
  });

  it('POSTs one alert to /api/v2/alerts; a null location is left out, not sent as null or empty', async () => {
    // Alertmanager reads a null or empty label as absent, so only the wire shows the difference,
    // which stricter receivers of this API (proxies, other implementations) do not forgive.
    const receiver = await HttpReceiver.start(() => ({ status: 200 }));
    try {
      const alert = anAlert({ location: null });
      const direct = new AlertmanagerChannel('routing', { kind: 'alertmanager', url: receiver.url('') });

      await direct.send({ ...escalated(alert), dashboardUrl: null }, AbortSignal.timeout(5000));

      const request = receiver.only();
      expect(request.method).toBe('POST');
      expect(request.url).toBe('/api/v2/alerts');
      expect(request.headers['content-type']).toBe('application/json');
      const posted = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>[];
      expect(posted).toHaveLength(1);
      expect(Object.keys(posted[0]).sort()).toStrictEqual(['annotations', 'labels', 'startsAt']);
      expect(posted[0].labels).not.toHaveProperty('location');
      expect(posted[0].annotations).not.toHaveProperty('dashboard');
    } finally {
      await receiver.close();
    }
  });

  describe('failures', () => {
    it('an Alertmanager answering 500 fails with http_500 and an excerpt of its answer', async () => {
      const failing = await HttpReceiver.start(() => ({ status: 500, body: 'storage full' }));
      try {
        const broken = new AlertmanagerChannel('routing', { kind: 'alertmanager', url: failing.url('') });

        const { error } = await sendFailure(() => broken.send(escalated(), AbortSignal.timeout(5000)));

        expect(error.reason).toBe('http_500');
        expect(error.message).toContain('storage full');
        expect(failing.only().url).toBe('/api/v2/alerts');
      } finally {
        await failing.close();
      }
    });

    it('one that accepts and never answers fails with timeout as soon as the signal aborts', async () => {
      const silent = await SilentServer.start();
      try {
        const hanging = new AlertmanagerChannel('routing', { kind: 'alertmanager', url: silent.url('') });

        const { error, elapsedMs } = await sendFailure(() =>
          hanging.send(escalated(), AbortSignal.timeout(300)),
        );

        expect(error.reason).toBe('timeout');
        expect(elapsedMs).toBeLessThan(1000);
      } finally {
        await silent.close();
      }
    });

    it('nothing listening fails with connection_refused', async () => {
      const url = `http://127.0.0.1:${await unusedPort()}`;
      const closed = new AlertmanagerChannel('routing', { kind: 'alertmanager', url });

      const { error } = await sendFailure(() => closed.send(escalated(), AbortSignal.timeout(5000)));

      expect(error.reason).toBe('connection_refused');
    });
  });
});
