import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_STORE, AppStore } from '../app-store';
import { newAlertRow } from '../alerts/alerts.service';
import { Store } from '../store/store';
import type { ChannelRef } from './notifications.writes';
import type { EscalationStep } from './notify-config';

const T0 = Date.parse('2026-12-02T10:00:00.000Z');
const iso = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();
const s = (seconds: number) => seconds * 1000;

const CHANNELS: ChannelRef[] = [
  { name: 'building', kind: 'mqtt' },
  { name: 'routing', kind: 'alertmanager' },
  { name: 'phones', kind: 'ntfy' },
  { name: 'direction', kind: 'email' },
];

/** The contract's example rule: at once, then phones every 30 s from 60 s, then the direction. */
const STEPS: EscalationStep[] = [
  { afterMs: 0, notify: ['building', 'routing'], repeatMs: null },
  { afterMs: s(60), notify: ['phones'], repeatMs: s(30) },
  { afterMs: s(180), notify: ['direction'], repeatMs: null },
];

describe('the escalation and outbox writes', () => {
  let dir: string;
  let store: AppStore;
  let alertId: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-outbox-'));
    store = await Store.open(join(dir, 'vigie.db'), APP_STORE, { writer: 'main' });
    alertId = await newAlert(STEPS);
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function newAlert(steps: EscalationStep[], receivedAt = T0): Promise<string> {
    const row = newAlertRow({ deviceId: 'pi-accueil', type: 'fire' }, new Date(receivedAt));
    await store.write('alert.create', { row, escalation: steps });
    return row.id;
  }

  const handle = (kind: 'acknowledge' | 'resolve', atMs: number) =>
    store.write(`alert.${kind}`, { id: alertId, at: iso(atMs), by: 'Marie', note: null });

  const fireDue = (offsetMs: number, channels = CHANNELS) =>
    store.write('escalation.fireDue', { now: iso(offsetMs), channels, limit: 100 });
  const claimDue = (offsetMs: number, leaseMs = s(15)) =>
    store.write('notification.claimDue', {
      now: iso(offsetMs),
      leaseUntil: iso(offsetMs + leaseMs),
      limit: 100,
    });
  const notifications = () =>
    store.db.selectFrom('notifications').selectAll().orderBy('due_at').orderBy('channel').execute();
  const escalation = () =>
    store.db.selectFrom('escalations').selectAll().where('alert_id', '=', alertId).executeTakeFirstOrThrow();
  const events = () =>
    store.db
      .selectFrom('alert_events')
      .select(['kind', 'at', 'channel', 'step', 'detail'])
      .where('alert_id', '=', alertId)
      .orderBy('id')
      .execute();

  it('fires each step when due, not before, as pending notifications due at the step time', async () => {
    expect(await fireDue(0)).toEqual([
      { alertId, step: 1, repeat: 0, channels: ['building', 'routing'], missing: [] },
    ]);
    expect(await fireDue(s(59.999))).toEqual([]);
    expect(await fireDue(s(60))).toEqual([
      { alertId, step: 2, repeat: 0, channels: ['phones'], missing: [] },
    ]);
    expect(
      (await notifications()).map((row) => [row.channel, row.channel_kind, row.step, row.due_at, row.state]),
    ).toEqual([
      ['building', 'mqtt', 1, iso(0), 'pending'],
      ['routing', 'alertmanager', 1, iso(0), 'pending'],
      ['phones', 'ntfy', 2, iso(s(60)), 'pending'],
    ]);
    expect(await escalation()).toMatchObject({ state: 'active', next_due_at: iso(s(90)) });
    expect(await events()).toEqual([
      { kind: 'escalated', at: iso(0), channel: null, step: 1, detail: null },
      { kind: 'escalated', at: iso(s(60)), channel: null, step: 2, detail: null },
    ]);
  });

  it('fires a step once, however often the scheduler asks', async () => {
    await fireDue(0);
    await fireDue(0);
    await fireDue(s(10));
    expect(await notifications()).toHaveLength(2);
  });

  it('after downtime fires every due step but only the latest repeat of each', async () => {
    const fired = await fireDue(s(200));
    expect(fired.map(({ step, repeat }) => [step, repeat])).toEqual([
      [1, 0],
      [2, 0],
      [2, 4],
      [3, 0],
    ]);
    expect(await escalation()).toMatchObject({ next_due_at: iso(s(210)) });
  });

  it('repeats a step at most 20 times, then finishes', async () => {
    await fireDue(s(24 * 3600));
    expect(await escalation()).toMatchObject({ state: 'finished', next_due_at: null });
    expect(await fireDue(s(48 * 3600))).toEqual([]);
  });

  it('skips a channel no longer in the file, and says so', async () => {
    const withoutRouting = CHANNELS.filter((channel) => channel.name !== 'routing');
    expect(await fireDue(0, withoutRouting)).toEqual([
      { alertId, step: 1, repeat: 0, channels: ['building'], missing: ['routing'] },
    ]);
  });

  it('acknowledging cancels the steps not yet fired and the sends not yet made; Alertmanager hears it', async () => {
    await fireDue(s(60));
    const [building, routing] = await claimDue(s(60));
    await store.write('notification.sent', { id: building.id, at: iso(s(61)) });
    await store.write('notification.sent', { id: routing.id, at: iso(s(61)) });
    // phones (step 2) is still pending when the alert is acknowledged.
    await handle('acknowledge', s(70));

    expect(await escalation()).toMatchObject({ state: 'cancelled', next_due_at: null });
    expect(await fireDue(s(400))).toEqual([]);
    const rows = await notifications();
    expect(rows.map((row) => [row.subject, row.channel, row.state])).toEqual([
      ['alert.escalated', 'building', 'sent'],
      ['alert.escalated', 'routing', 'sent'],
      ['alert.escalated', 'phones', 'cancelled'],
      ['alert.acknowledged', 'routing', 'pending'],
    ]);
  });

  it('resolving tells every channel that was told, once each', async () => {
    await fireDue(s(60));
    for (const row of await claimDue(s(60)))
      await store.write('notification.sent', { id: row.id, at: iso(s(61)) });
    await fireDue(s(90));
    for (const row of await claimDue(s(90)))
      await store.write('notification.sent', { id: row.id, at: iso(s(91)) });
    await handle('resolve', s(100));

    const resolved = (await notifications()).filter((row) => row.subject === 'alert.resolved');
    expect(resolved.map((row) => [row.channel, row.due_at, row.state, row.step])).toEqual([
      ['building', iso(s(100)), 'pending', null],
      ['phones', iso(s(100)), 'pending', null],
      ['routing', iso(s(100)), 'pending', null],
    ]);
  });

  it('never fires for an alert no longer open, even if its escalation was not ended', async () => {
    // As an older server, or another process, would leave it: resolved, its escalation not ended.
    await store.db.updateTable('alerts').set({ status: 'resolved' }).where('id', '=', alertId).execute();
    expect(await fireDue(s(60))).toEqual([]);
    expect(await escalation()).toMatchObject({ state: 'cancelled' });
  });

  it('leases a claimed send: not claimed again until the lease ends, then again with the same id', async () => {
    await fireDue(0);
    const first = await claimDue(0, s(15));
    expect(first.map((row) => row.attempts)).toEqual([1, 1]);
    expect(await claimDue(s(14.999))).toEqual([]);
    const again = await claimDue(s(15));
    expect(again.map((row) => row.id)).toEqual(first.map((row) => row.id));
    expect(again.map((row) => row.attempts)).toEqual([2, 2]);
  });

  it('records a failure, retries at the given time, gives up when told, and logs each in the timeline', async () => {
    await fireDue(0);
    const [building] = await claimDue(0);
    await store.write('notification.failed', {
      id: building.id,
      at: iso(s(1)),
      reason: 'timeout',
      retryAt: iso(s(5)),
    });
    expect(await claimDue(s(4.999))).toEqual([]);
    const [retried] = await claimDue(s(5));
    expect(retried).toMatchObject({ id: building.id, attempts: 2, last_reason: 'timeout' });
    await store.write('notification.failed', {
      id: building.id,
      at: iso(s(6)),
      reason: 'http_500',
      retryAt: null,
    });
    // routing's lease has run out (a crash's in-flight send): only it comes back.
    expect((await claimDue(s(3600))).map((row) => row.channel)).toEqual(['routing']);
    const row = (await notifications()).find((candidate) => candidate.id === building.id);
    expect(row).toMatchObject({ state: 'abandoned', next_attempt_at: null, last_reason: 'http_500' });
    expect((await events()).filter((event) => event.kind === 'notification.failed')).toEqual([
      { kind: 'notification.failed', at: iso(s(1)), channel: 'building', step: 1, detail: 'timeout' },
      {
        kind: 'notification.failed',
        at: iso(s(6)),
        channel: 'building',
        step: 1,
        detail: 'http_500; given up',
      },
    ]);
  });

  it('records a send that completes after the alert was handled: the channel was told', async () => {
    await fireDue(0);
    const [building] = await claimDue(0);
    await handle('resolve', s(1));
    await store.write('notification.sent', { id: building.id, at: iso(s(2)) });
    const row = (await notifications()).find((candidate) => candidate.id === building.id);
    expect(row).toMatchObject({ state: 'sent', sent_at: iso(s(2)) });
  });

  it('announces a device gone offline on each channel of the route', async () => {
    await store.write('notification.deviceOffline', {
      deviceId: 'pi-cave',
      at: iso(0),
      channels: [{ name: 'phones', kind: 'ntfy' }],
    });
    const [claimed] = await claimDue(0);
    expect(claimed).toMatchObject({
      subject: 'device.offline',
      device_id: 'pi-cave',
      alert_id: null,
      channel: 'phones',
    });
  });

  it('starts nothing for a rule without steps', async () => {
    const drill = await newAlert([]);
    const row = await store.db
      .selectFrom('escalations')
      .selectAll()
      .where('alert_id', '=', drill)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'finished', next_due_at: null });
  });
});
