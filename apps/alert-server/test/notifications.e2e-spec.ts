import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TimelineEntry } from '@app/contracts';
import request from 'supertest';
import { eventually } from './support/eventually';
import { stopAndRemove } from './support/lifecycle';
import { family } from './support/prometheus-text';
import { HttpReceiver, SilentServer } from './support/receivers/http-receiver';
import { verifyStandardWebhook } from './support/receivers/webhook-verifier';
import { startTestServer, TestServer } from './support/test-server';
import { createAlert, expectStatus, handleAlert, heartbeat, scrapeMetrics } from './support/vigie-api';

interface Told {
  type: string;
  step: number | null;
  /** Absent from a device.offline notification. */
  alert?: { id: string };
}

/**
 * The server's notifications end to end: a real server with a notification file, webhook
 * receivers that check the signature, one that never answers and one that fails. Real time:
 * the second step is due 2 s after an alert arrives.
 */
describe('notifications and escalation', () => {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  let server: TestServer;
  let hooks: HttpReceiver;
  let later: HttpReceiver;
  let broken: HttpReceiver;
  let silent: SilentServer;

  beforeAll(async () => {
    hooks = await HttpReceiver.start();
    later = await HttpReceiver.start();
    broken = await HttpReceiver.start(() => ({ status: 500, body: 'down for maintenance' }));
    silent = await SilentServer.start();
    const dir = mkdtempSync(join(tmpdir(), 'vigie-notify-'));
    const file = join(dir, 'notify.yml');
    writeFileSync(
      file,
      [
        'channels:',
        `  hooks: { webhook: { url: "${hooks.url('/vigie')}", secret: "\${HOOK_SECRET}" } }`,
        `  later: { webhook: { url: "${later.url('/vigie')}", secret: "\${HOOK_SECRET}" } }`,
        `  broken: { webhook: { url: "${broken.url('/vigie')}", secret: "\${HOOK_SECRET}" } }`,
        `  silent: { webhook: { url: "${silent.url('/vigie')}", secret: "\${HOOK_SECRET}" } }`,
        'escalation:',
        '  - match: { type: [test] }',
        '    steps: []',
        '  - match: {}',
        '    steps:',
        '      - { after: 0s, notify: [silent, broken, hooks] }',
        '      - { after: 2s, notify: [later] }',
        'devices:',
        '  offline: { notify: [later] }',
      ].join('\n'),
    );
    server = await startTestServer(
      { VIGIE_NOTIFY_FILE: file, HOOK_SECRET: secret, VIGIE_DEVICE_OFFLINE_AFTER_S: '1' },
      dir,
    );
  });

  afterAll(async () => {
    await stopAndRemove(server);
    for (const receiver of [hooks, later, broken, silent]) await receiver?.close();
  });

  const toldOf = (receiver: HttpReceiver, alertId: string): Told[] =>
    receiver.requests
      .map((req) => verifyStandardWebhook(secret, req) as Told)
      .filter((body) => body.alert?.id === alertId);

  it('tells the first step at once, whatever the other channels of the step do', async () => {
    const alert = await createAlert(server.url, { type: 'fire', message: 'Fumée' });
    const told = await eventually(() => {
      const [body] = toldOf(hooks, alert.id);
      expect(body).toBeDefined();
      return { body, at: Date.now() };
    });
    expect(told.body).toMatchObject({
      type: 'alert.escalated',
      step: 1,
      alert: { id: alert.id, status: 'open' },
    });
    // A receiver that never answers and one that fails hold nothing: well under a second.
    expect(told.at - Date.parse(alert.receivedAt)).toBeLessThan(1000);
  });

  it('sends step 2 when it is due, not before', async () => {
    const alert = await createAlert(server.url, { type: 'medical' });
    const [body] = await eventually(() => {
      const bodies = toldOf(later, alert.id);
      expect(bodies).toHaveLength(1);
      return bodies;
    });
    expect(body).toMatchObject({ type: 'alert.escalated', step: 2 });
    const received = later.requests.find(
      (req) => (verifyStandardWebhook(secret, req) as Told).alert?.id === alert.id,
    );
    const sentAt = Number(received!.headers['webhook-timestamp']) * 1000;
    // The signature's timestamp is in whole seconds: sent no earlier than 2 s after reception.
    expect(sentAt).toBeGreaterThanOrEqual(Math.floor(Date.parse(alert.receivedAt) / 1000) * 1000 + 1000);
    expect(Date.now() - Date.parse(alert.receivedAt)).toBeGreaterThanOrEqual(2000);
  });

  it('acknowledging before step 2 cancels it; resolving tells the channels that were told', async () => {
    const alert = await createAlert(server.url, { type: 'intrusion' });
    await eventually(() => expect(toldOf(hooks, alert.id)).toHaveLength(1));
    expectStatus(await handleAlert(server.url, alert.id, 'acknowledge', { by: 'Marie' }), 200);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(toldOf(later, alert.id)).toEqual([]);

    expectStatus(await handleAlert(server.url, alert.id, 'resolve', { by: 'Marie' }), 200);
    await eventually(() =>
      expect(toldOf(hooks, alert.id).map((body) => body.type)).toEqual(['alert.escalated', 'alert.resolved']),
    );
  });

  it("shows each step, send and failure in the alert's timeline", async () => {
    const alert = await createAlert(server.url, { type: 'panic' });
    const timeline = await eventually(async () => {
      const res = await request(server.url).get(`/alerts/${alert.id}/timeline`);
      expectStatus(res, 200);
      const entries = res.body as TimelineEntry[];
      expect(entries.filter((entry) => entry.kind === 'notification.failed')).not.toHaveLength(0);
      expect(entries.filter((entry) => entry.kind === 'notification.sent')).not.toHaveLength(0);
      return entries;
    });
    expect(timeline[0]).toEqual({ at: alert.receivedAt, kind: 'received' });
    expect(timeline).toContainEqual({ at: alert.receivedAt, kind: 'escalated', step: 1 });
    expect(timeline).toContainEqual(
      expect.objectContaining({ kind: 'notification.sent', channel: 'hooks', step: 1 }),
    );
    expect(timeline).toContainEqual(
      expect.objectContaining({
        kind: 'notification.failed',
        channel: 'broken',
        step: 1,
        detail: 'http_500',
      }),
    );
  });

  it('notifies nobody of a drill (a test alert) when its rule has no steps', async () => {
    const drill = await createAlert(server.url, { type: 'test' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(toldOf(hooks, drill.id)).toEqual([]);
  });

  it('announces a device gone silent on the devices.offline route', async () => {
    expectStatus(await heartbeat(server.url, 'pi-cave', { location: 'Cave' }), 204);
    const announced = await eventually(
      () => {
        const bodies = later.requests
          .map((req) => verifyStandardWebhook(secret, req) as { type: string; device?: { id: string } })
          .filter((body) => body.type === 'device.offline' && body.device?.id === 'pi-cave');
        expect(bodies).toHaveLength(1);
        return bodies[0];
      },
      { timeoutMs: 5000 },
    );
    expect(announced).toMatchObject({
      step: null,
      device: { id: 'pi-cave', location: 'Cave', status: 'offline' },
    });
  });

  it('counts the steps reached and the sends by channel and outcome', async () => {
    const metrics = await scrapeMetrics(server.url);
    expect(family(metrics, 'vigie_escalations_total')['step=1']).toBeGreaterThanOrEqual(4);
    const sends = family(metrics, 'vigie_notifications_total');
    expect(sends['channel=hooks,outcome=sent']).toBeGreaterThanOrEqual(4);
    expect(sends['channel=broken,outcome=retried']).toBeGreaterThanOrEqual(4);
  });
});
