import { newAlertRow } from './alerts.service';
import { alertTimeline } from './alert-timeline';

const at = (second: number) => new Date(Date.UTC(2026, 11, 2, 10, 0, second)).toISOString();
const event = (
  id: number,
  second: number,
  kind: 'escalated' | 'notification.sent' | 'notification.failed',
) => ({
  id,
  alert_id: 'a',
  at: at(second),
  kind,
  channel: kind === 'escalated' ? null : 'phones',
  step: 1,
  detail: kind === 'notification.failed' ? 'timeout' : null,
});

describe('alertTimeline', () => {
  it("merges the alert's own changes with its events by time, the alert's change first at a tie", () => {
    const row = {
      ...newAlertRow({ deviceId: 'pi-1', type: 'fire' }, new Date(at(0))),
      status: 'acknowledged',
      acknowledged_at: at(20),
      acknowledged_by: 'Marie',
      acknowledgement_note: null,
    };
    const events = [
      event(1, 0, 'escalated'),
      event(2, 5, 'notification.failed'),
      event(3, 20, 'notification.sent'),
    ];
    expect(alertTimeline(row, events)).toEqual([
      { at: at(0), kind: 'received' },
      { at: at(0), kind: 'escalated', step: 1 },
      { at: at(5), kind: 'notification.failed', channel: 'phones', step: 1, detail: 'timeout' },
      { at: at(20), kind: 'acknowledged', by: 'Marie' },
      { at: at(20), kind: 'notification.sent', channel: 'phones', step: 1 },
    ]);
  });
});
