import { Alert, AlertAcknowledgedEvent, AlertCreatedEvent } from '@app/contracts';
import type { AlertsRepository } from '../alerts/alerts.repository';
import type { AlertsTable } from '../alerts/alerts.schema';
import { AppConfig } from '../config/app-config';
import { comparePositions, messagesOf, parsePosition, startOfStream } from './device-alert-events';
import { MetricsService } from '../observability/metrics.service';
import { DeviceStreams } from './device-streams';
import { LiveClient, MAX_UNREAD_BYTES } from './live-hub';

class FakeClient implements LiveClient {
  text = '';
  writableLength = 0;
  ended = false;
  destroyed = false;
  write(chunk: string | Buffer): boolean {
    this.text += chunk.toString();
    return true;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  /** The `id` lines written, in order. */
  get ids(): string[] {
    return [...this.text.matchAll(/^id: (.*)$/gm)].map((match) => match[1]);
  }
}

function alert(id: string, receivedAt: string, changes: Partial<Alert> = {}): Alert {
  return {
    id,
    deviceId: 'pi-1',
    type: 'fire',
    severity: 'critical',
    location: null,
    message: null,
    button: null,
    triggeredAt: receivedAt,
    receivedAt,
    status: 'open',
    acknowledgedAt: null,
    acknowledgedBy: null,
    acknowledgementNote: null,
    resolvedAt: null,
    resolvedBy: null,
    resolutionNote: null,
    ...changes,
  };
}

function row(a: Alert): AlertsTable {
  return {
    id: a.id,
    device_id: a.deviceId,
    type: a.type,
    severity: a.severity,
    location: null,
    message: null,
    button: null,
    triggered_at: a.triggeredAt,
    triggered_at_from_device: 1,
    received_at: a.receivedAt,
    status: a.status,
    acknowledged_at: a.acknowledgedAt,
    acknowledged_by: a.acknowledgedBy,
    acknowledgement_note: null,
    resolved_at: a.resolvedAt,
    resolved_by: a.resolvedBy,
    resolution_note: null,
  };
}

describe('device stream messages', () => {
  const stored = alert('a1', '2026-12-03T08:00:00.000Z');
  const acknowledged = alert('a2', '2026-12-03T08:00:01.000Z', {
    status: 'acknowledged',
    acknowledgedAt: '2026-12-03T08:00:05.000Z',
    acknowledgedBy: 'Marie',
  });
  const resolved = alert('a3', '2026-12-03T07:59:00.000Z', {
    status: 'resolved',
    resolvedAt: '2026-12-03T08:00:03.000Z',
    resolvedBy: 'Paul',
  });

  it('gives each step an id made of its stored time, its step and its alert, which parses back', () => {
    const [first, second] = messagesOf(acknowledged);
    expect(first.id).toBe(`${Date.parse('2026-12-03T08:00:01.000Z')}.0.a2`);
    expect(second.id).toBe(`${Date.parse('2026-12-03T08:00:05.000Z')}.1.a2`);
    expect(parsePosition(second.id)).toEqual({
      atMs: Date.parse('2026-12-03T08:00:05.000Z'),
      step: 1,
      alertId: 'a2',
    });
  });

  it('refuses as a position anything it did not make', () => {
    for (const id of [
      '',
      'x',
      '1.3.a1',
      '1.0.',
      '1.0.a b',
      '-1.0.a1',
      `${'9'.repeat(16)}.0.a1`,
      '1.0.a1\nid: 2',
    ]) {
      expect(parsePosition(id)).toBeNull();
    }
  });

  it('orders by time, then by step, then by alert id', () => {
    const at = (id: string) => parsePosition(id)!;
    expect(comparePositions(at('5.0.b'), at('6.0.a'))).toBeLessThan(0);
    expect(comparePositions(at('5.1.a'), at('5.0.b'))).toBeGreaterThan(0);
    expect(comparePositions(at('5.1.a'), at('5.1.b'))).toBeLessThan(0);
    expect(comparePositions(at('5.1.a'), at('5.1.a'))).toBe(0);
  });

  it('starts afresh with the open alerts only, oldest first', () => {
    const start = startOfStream([acknowledged, resolved, stored], null);
    expect(start.map((message) => `${message.event} ${message.data.alertId}`)).toEqual([
      'alert.stored a1',
      'alert.stored a2',
      'alert.acknowledged a2',
    ]);
  });

  it('resumes with every step after the position, resolutions included, oldest first', () => {
    const from = parsePosition(messagesOf(stored)[0].id);
    const start = startOfStream([acknowledged, resolved, stored], from);
    expect(start.map((message) => `${message.event} ${message.data.alertId}`)).toEqual([
      'alert.stored a2',
      'alert.resolved a3',
      'alert.acknowledged a2',
    ]);
  });
});

describe('DeviceStreams', () => {
  let streams: DeviceStreams;
  let stored: AlertsTable[];
  let read: () => Promise<AlertsTable[]>;
  let metrics: MetricsService;

  beforeEach(() => {
    stored = [];
    read = () => Promise.resolve(stored);
    const repository = { forDeviceStream: () => read() } as unknown as AlertsRepository;
    metrics = new MetricsService();
    streams = new DeviceStreams(repository, { liveKeepAliveSeconds: 15 } as AppConfig, metrics);
  });
  afterEach(() => streams.onApplicationShutdown());

  it('sends what happens while the start is read after the start, and once', async () => {
    const first = alert('a1', '2026-12-03T08:00:00.000Z');
    stored = [row(first)];
    let finishRead!: () => void;
    read = () => new Promise((resolve) => (finishRead = () => resolve(stored)));
    const client = new FakeClient();

    const opening = streams.open('pi-1', client, undefined);
    // Both come while the store is read: the first is also in what the read returns.
    streams.onAlertCreated(new AlertCreatedEvent(first, 0));
    const acknowledged = { ...first, acknowledgedAt: '2026-12-03T08:00:02.000Z', acknowledgedBy: 'Marie' };
    streams.onAlertAcknowledged(new AlertAcknowledgedEvent(acknowledged));
    expect(client.ids).toEqual([]);
    finishRead();
    await opening;

    expect(client.ids).toEqual([messagesOf(first)[0].id, messagesOf(acknowledged)[1].id]);
  });

  it('counts the devices connected, not their streams, in vigie_device_feedback_streams', async () => {
    const gauge = async () => (await metrics.deviceFeedbackStreams.get()).values[0]?.value;
    const first = new FakeClient();
    const removeFirst = await streams.open('pi-1', first, undefined);
    await streams.open('pi-1', new FakeClient(), undefined);
    await streams.open('pi-2', new FakeClient(), undefined);
    expect(await gauge()).toBe(2);
    removeFirst();
    expect(await gauge()).toBe(2);
    streams.beforeApplicationShutdown();
    expect(await gauge()).toBe(0);
  });

  it('drops a client that stopped reading, and sends it nothing more', async () => {
    const client = new FakeClient();
    await streams.open('pi-1', client, undefined);
    client.writableLength = MAX_UNREAD_BYTES + 1;

    streams.onAlertCreated(new AlertCreatedEvent(alert('a1', '2026-12-03T08:00:00.000Z'), 0));

    expect(client.destroyed).toBe(true);
    expect(client.ids).toEqual([]);
    expect(streams.size).toBe(0);
  });

  it('ends every stream at shutdown, and one opened after at once (it would hold the close forever)', async () => {
    const client = new FakeClient();
    await streams.open('pi-1', client, undefined);
    streams.beforeApplicationShutdown();
    expect(client.ended).toBe(true);
    expect(streams.size).toBe(0);

    const late = new FakeClient();
    await streams.open('pi-1', late, undefined);
    expect(late.ended).toBe(true);
    expect(streams.size).toBe(0);
  });
});
