import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { APP_STORE, AppStore } from '../app-store';
import { newAlertRow } from '../alerts/alerts.service';
import { MetricsService } from '../observability/metrics.service';
import { Store } from '../store/store';
import { Channel, ChannelSendError, Notification } from './channels/channel';
import { NotificationChannels } from './notification-channels';
import { NotificationScheduler } from './notification-scheduler';
import { NotificationsRepository } from './notifications.repository';
import type { ChannelKind, EscalationStep } from './notify-config';
import { GIVE_UP_AFTER_MS } from './retry-schedule';

const T0 = Date.parse('2026-12-02T10:00:00.000Z');
const s = (seconds: number) => seconds * 1000;

interface Received {
  channel: string;
  type: Notification['type'];
  step: number | null;
  id: string;
  /** Seconds after T0, on the (fake) clock. */
  at: number;
}

/** A receiver that accepts, refuses or never answers, as told; it records what it accepted. */
class FakeChannel implements Channel {
  behaviour: 'accept' | 'refuse' | 'hang' = 'accept';
  attempts = 0;
  constructor(
    readonly name: string,
    readonly kind: ChannelKind,
    private readonly received: Received[],
  ) {}

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    this.attempts++;
    if (this.behaviour === 'refuse') throw new ChannelSendError('http_500', 'the receiver answered 500');
    if (this.behaviour === 'hang') {
      await new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(new ChannelSendError('timeout', 'no answer'))),
      );
    }
    const { type, step, id } = notification;
    this.received.push({ channel: this.name, type, step, id, at: (Date.now() - T0) / 1000 });
  }

  async close(): Promise<void> {}
}

const STEPS: EscalationStep[] = [
  { afterMs: 0, notify: ['building', 'routing'], repeatMs: null },
  { afterMs: s(60), notify: ['phones'], repeatMs: s(30) },
  { afterMs: s(180), notify: ['direction'], repeatMs: null },
];

describe('NotificationScheduler (fake clock, real store)', () => {
  let dir: string;
  let store: AppStore;
  let received: Received[];
  let channels: Record<string, FakeChannel>;
  let metrics: MetricsService;
  let scheduler: NotificationScheduler;
  let alertId: string;

  beforeEach(async () => {
    // The clock is fake; the store's own turns (setImmediate) and its disk are real.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'], now: T0 });
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    dir = mkdtempSync(join(tmpdir(), 'vigie-scheduler-'));
    store = await Store.open(join(dir, 'vigie.db'), APP_STORE, { writer: 'main' });
    received = [];
    channels = {
      building: new FakeChannel('building', 'mqtt', received),
      routing: new FakeChannel('routing', 'alertmanager', received),
      phones: new FakeChannel('phones', 'ntfy', received),
      direction: new FakeChannel('direction', 'email', received),
    };
    metrics = new MetricsService();
    scheduler = new NotificationScheduler(
      new NotificationsRepository(store),
      new NotificationChannels(Object.values(channels)),
      metrics,
      { dashboardUrl: 'https://poste.lan/', sendTimeoutMs: 200 },
    );
    const row = newAlertRow({ deviceId: 'pi-accueil', type: 'fire' }, new Date(T0));
    await store.write('alert.create', { row, escalation: STEPS });
    alertId = row.id;
  });

  afterEach(async () => {
    await scheduler.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  /** The clock reads `seconds` after the alert arrived; the scheduler looks, and its sends end. */
  async function lookAt(seconds: number): Promise<void> {
    jest.setSystemTime(T0 + s(seconds));
    await scheduler.lookNow();
    await scheduler.idle();
  }
  const handle = (kind: 'acknowledge' | 'resolve', seconds: number) =>
    store.write(`alert.${kind}`, {
      id: alertId,
      at: new Date(T0 + s(seconds)).toISOString(),
      by: 'Marie',
      note: null,
    });
  const got = () => received.map(({ channel, type, step, at }) => [channel, type, step, at]);

  it('sends the first step at once and step 2 when due, not before', async () => {
    await lookAt(0);
    expect(got()).toEqual([
      ['building', 'alert.escalated', 1, 0],
      ['routing', 'alert.escalated', 1, 0],
    ]);
    await lookAt(59.9);
    expect(received).toHaveLength(2);
    await lookAt(60);
    expect(got().slice(2)).toEqual([['phones', 'alert.escalated', 2, 60]]);
  });

  it('acknowledging between two steps cancels the next one', async () => {
    await lookAt(0);
    await handle('acknowledge', 30);
    for (const seconds of [30, 60, 90, 180, 600]) await lookAt(seconds);
    expect(got().filter(([, type]) => type === 'alert.escalated')).toHaveLength(2);
    // Alertmanager, which holds the alert as active, hears that it was acknowledged.
    expect(got().slice(2)).toEqual([['routing', 'alert.acknowledged', null, 30]]);
  });

  it('repeats a step until the alert is acknowledged, then stops', async () => {
    for (const seconds of [0, 60, 90, 120]) await lookAt(seconds);
    await handle('acknowledge', 130);
    for (const seconds of [150, 180, 210, 900]) await lookAt(seconds);
    const phones = received.filter((entry) => entry.channel === 'phones');
    expect(phones.map((entry) => entry.at)).toEqual([60, 90, 120]);
    expect(new Set(phones.map((entry) => entry.id)).size).toBe(3);
  });

  it('tells every channel that was told when the alert is resolved', async () => {
    for (const seconds of [0, 60]) await lookAt(seconds);
    await handle('resolve', 70);
    await lookAt(70);
    expect(
      got()
        .filter(([, type]) => type === 'alert.resolved')
        .map(([channel]) => channel)
        .sort(),
    ).toEqual(['building', 'phones', 'routing']);
  });

  it('a channel that never answers holds no other channel of the step, and is retried', async () => {
    channels.routing.behaviour = 'hang';
    jest.setSystemTime(T0);
    await scheduler.lookNow();
    // building is told while routing still hangs.
    await jest.advanceTimersByTimeAsync(0);
    await new Promise((resolve) => setImmediate(resolve));
    await scheduler.idle();
    expect(got()).toEqual([['building', 'alert.escalated', 1, 0]]);
    expect(channels.routing.attempts).toBe(1);

    channels.routing.behaviour = 'accept';
    await lookAt(5); // its retry is due within 5 s of the failure
    expect(got()).toContainEqual(['routing', 'alert.escalated', 1, 5]);
    expect(await metrics.notifications.get()).toMatchObject({
      values: expect.arrayContaining([
        expect.objectContaining({ labels: { channel: 'routing', outcome: 'retried' }, value: 1 }),
        expect.objectContaining({ labels: { channel: 'routing', outcome: 'sent' }, value: 1 }),
      ]) as unknown,
    });
  });

  it('retries a refusing channel with backoff for an hour, then gives up once', async () => {
    channels.routing.behaviour = 'refuse';
    for (let seconds = 0; seconds <= GIVE_UP_AFTER_MS / 1000 + 600; seconds += 5) await lookAt(seconds);
    const attempts = channels.routing.attempts;
    // Backoff: far fewer attempts than one every 5 s (740), more than one every 5 min (12).
    expect(attempts).toBeGreaterThan(12);
    expect(attempts).toBeLessThan(100);
    const row = await store.db
      .selectFrom('notifications')
      .selectAll()
      .where('channel', '=', 'routing')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'abandoned', attempts, last_reason: 'http_500' });
    await lookAt(GIVE_UP_AFTER_MS / 1000 + 3600);
    expect(channels.routing.attempts).toBe(attempts);
  });

  it('posts an open alert again to Alertmanager, which would end it otherwise; not once acknowledged', async () => {
    await lookAt(0);
    jest.setSystemTime(T0 + s(60));
    await scheduler.refreshAlertmanager();
    jest.setSystemTime(T0 + s(120));
    await scheduler.refreshAlertmanager();
    const routing = received.filter((entry) => entry.channel === 'routing');
    expect(routing.map((entry) => [entry.type, entry.step, entry.at])).toEqual([
      ['alert.escalated', 1, 0],
      ['alert.escalated', 1, 60],
      ['alert.escalated', 1, 120],
    ]);
    // The same alert to Alertmanager, whatever the refresh: one notification id.
    expect(new Set(routing.map((entry) => entry.id)).size).toBe(1);
    // Only Alertmanager channels are refreshed.
    expect(received.filter((entry) => entry.channel === 'building')).toHaveLength(1);

    await handle('acknowledge', 130);
    await lookAt(130);
    jest.setSystemTime(T0 + s(180));
    await scheduler.refreshAlertmanager();
    expect(received.filter((entry) => entry.channel === 'routing').map((entry) => entry.type)).toEqual([
      'alert.escalated',
      'alert.escalated',
      'alert.escalated',
      'alert.acknowledged',
    ]);
  });

  it('on stop, a send that still hangs is given up and recorded while the store is still open', async () => {
    await scheduler.stop();
    scheduler = new NotificationScheduler(
      new NotificationsRepository(store),
      new NotificationChannels(Object.values(channels)),
      metrics,
      { dashboardUrl: null, sendTimeoutMs: 60_000 },
    );
    channels.routing.behaviour = 'hang';
    jest.setSystemTime(T0);
    await scheduler.lookNow();
    const stopping = scheduler.stop();
    await jest.advanceTimersByTimeAsync(3_000); // the grace given to sends in flight
    await stopping;
    const routing = await store.db
      .selectFrom('notifications')
      .selectAll()
      .where('channel', '=', 'routing')
      .executeTakeFirstOrThrow();
    expect(routing).toMatchObject({ state: 'pending', attempts: 1, last_reason: 'timeout' });
  });

  it('counts each step reached and each send, with its delay from the due time', async () => {
    await lookAt(0);
    await lookAt(62.5);
    const escalations = await metrics.escalations.get();
    expect(escalations.values.map(({ labels, value }) => [labels.step, value])).toEqual([
      ['1', 1],
      ['2', 1],
    ]);
    const delay = await metrics.notificationDelay.get();
    const phonesSum = delay.values.find(
      (value) =>
        value.metricName === 'vigie_notification_delay_seconds_sum' && value.labels.channel === 'phones',
    );
    expect(phonesSum?.value).toBeCloseTo(2.5, 3);
  });
});

describe('NotificationScheduler wake-ups (fake clock, store stubbed)', () => {
  let passes: number[];
  let nextDueAt: jest.Mock<Promise<string | null>, []>;
  let scheduler: NotificationScheduler;

  beforeEach(async () => {
    jest.useFakeTimers({ now: T0 });
    passes = [];
    nextDueAt = jest.fn(() => Promise.resolve(null));
    // Each pass fires and claims; the times of its `fireDue` calls are the passes.
    const repository = {
      fireDue: jest.fn(() => {
        passes.push(Date.now() - T0);
        return Promise.resolve([]);
      }),
      claimDue: jest.fn(() => Promise.resolve([])),
      nextDueAt,
      alertmanagerHolds: jest.fn(() => Promise.resolve([])),
    } as unknown as NotificationsRepository;
    scheduler = new NotificationScheduler(repository, new NotificationChannels([]), new MetricsService(), {
      dashboardUrl: null,
    });
    scheduler.start();
    await jest.advanceTimersByTimeAsync(0);
    passes = [];
  });

  afterEach(async () => {
    await scheduler.stop();
    jest.useRealTimers();
  });

  it('makes no pass for alerts whose first step is later: a flood of them costs the store nothing', async () => {
    for (let i = 0; i < 50; i++) scheduler.kickAt(T0 + s(600));
    await jest.advanceTimersByTimeAsync(900);
    expect(passes).toEqual([]);
    // The idle look goes on at its pace.
    await jest.advanceTimersByTimeAsync(200);
    expect(passes).toEqual([1000]);
  });

  it('looks at once for a step due now, and when due for one sooner than its next look', async () => {
    scheduler.kickAt(T0);
    await jest.advanceTimersByTimeAsync(0);
    expect(passes).toEqual([0]);
    scheduler.kickAt(T0 + 300);
    await jest.advanceTimersByTimeAsync(300);
    expect(passes).toEqual([0, 300]);
  });

  it('keeps a due time told while it read the next one from the store (the read may miss it)', async () => {
    let answer: (next: string | null) => void = () => undefined;
    nextDueAt.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)));
    scheduler.kick();
    await jest.advanceTimersByTimeAsync(0);
    expect(passes).toEqual([0]);
    // The pass is over, its read of the next due time is out: a step due in 300 ms is told.
    scheduler.kickAt(T0 + 300);
    answer(null);
    await jest.advanceTimersByTimeAsync(300);
    expect(passes).toEqual([0, 300]);
  });
});
