import type { Alert, TimelineEntry } from '@app/contracts/wire';
import { ActiveAlerts } from './active-alerts';
import { acknowledgementDelaySeconds, alertsToCsv, csvField } from './csv';
import { mapLimited, summarize } from './timeline-data';
import { isOlderVersion } from './versions';

const alert = (id: string, status: Alert['status'], receivedAt = '2026-11-24T10:00:00.000Z'): Alert =>
  ({ id, status, receivedAt, type: 'fire', deviceId: 'pi-1' }) as Alert;

describe('ActiveAlerts', () => {
  it('never lets an older answer undo a newer status', () => {
    const active = new ActiveAlerts(() => undefined);
    active.apply(alert('a', 'acknowledged'));
    active.apply(alert('a', 'open'));
    expect(active.get('a')?.status).toBe('acknowledged');
    active.apply(alert('a', 'resolved'));
    active.apply(alert('a', 'open'));
    expect(active.get('a')).toBeUndefined();
  });

  it('drops on a re-read what was resolved meanwhile, keeps what arrived during the read', () => {
    const active = new ActiveAlerts(() => undefined);
    active.apply(alert('gone', 'open'));
    const start = active.beginLoad();
    active.apply(alert('new', 'open', '2026-11-24T11:00:00.000Z'));
    active.finishLoad([alert('old', 'open', '2026-11-24T09:00:00.000Z')], start);
    expect(active.list().map((a) => a.id)).toEqual(['new', 'old']);
    expect(active.openCount).toBe(2);
  });
});

describe('CSV', () => {
  it('quotes separators, quotes and line breaks, and defuses formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a, "b"\nc')).toBe('"a, ""b""\nc"');
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField(null)).toBe('');
  });

  it('writes a header and one CRLF line per alert', () => {
    const lines = alertsToCsv([alert('a', 'resolved')])
      .replace('\ufeff', '')
      .split('\r\n');
    expect(lines[0].startsWith('id,receivedAt,')).toBe(true);
    expect(lines[1].startsWith('a,2026-11-24T10:00:00.000Z,')).toBe(true);
    expect(lines).toHaveLength(3);
  });
});

describe('CSV columns derived for the history', () => {
  const handled = (acknowledgedAt: string | null): Alert => ({
    ...alert('a', 'resolved', '2026-11-24T10:00:00.000Z'),
    acknowledgedAt,
  });

  it('gives the acknowledgement delay in whole seconds from reception, empty when never acknowledged', () => {
    expect(acknowledgementDelaySeconds(handled('2026-11-24T10:01:30.400Z'))).toBe('90');
    expect(acknowledgementDelaySeconds(handled('2026-11-24T10:00:00.600Z'))).toBe('1');
    expect(acknowledgementDelaySeconds(handled(null))).toBe('');
  });

  it('ends each line with the delay and the channels notified, quoted where needed', () => {
    const csv = alertsToCsv(
      [handled('2026-11-24T10:00:42.000Z'), { ...handled(null), id: 'b' }],
      new Map([['a', ['hook', 'mail']]]),
    );
    const [header, first, second] = csv.replace('\ufeff', '').split('\r\n');
    expect(header.endsWith(',resolutionNote,acknowledgementDelaySeconds,channelsNotified')).toBe(true);
    expect(first.endsWith(',42,hook; mail')).toBe(true);
    expect(second.endsWith(',,')).toBe(true);
  });
});

describe('timeline summary', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 10, 24, 10, 0, s)).toISOString();
  const entries: TimelineEntry[] = [
    { at: at(0), kind: 'received' },
    { at: at(0), kind: 'escalated', step: 1 },
    { at: at(1), kind: 'notification.failed', channel: 'mail', step: 1, detail: 'ECONNREFUSED' },
    { at: at(1), kind: 'notification.sent', channel: 'hook', step: 1 },
    { at: at(2), kind: 'notification.failed', channel: 'sms', step: 1, detail: 'HTTP 500' },
    { at: at(6), kind: 'notification.sent', channel: 'mail', step: 1 },
    { at: at(10), kind: 'escalated', step: 2 },
    { at: at(11), kind: 'notification.sent', channel: 'hook', step: 2 },
  ];

  it('names the channels told once each, those whose latest send failed, and the step reached', () => {
    expect(summarize(entries)).toEqual({ notified: ['hook', 'mail'], failing: ['sms'], step: 2 });
  });

  it('is empty before anything was sent', () => {
    expect(summarize([{ at: at(0), kind: 'received' }])).toEqual({ notified: [], failing: [], step: 0 });
  });
});

describe('mapLimited', () => {
  it('runs at most `limit` tasks at once and keeps the results in order', async () => {
    let running = 0;
    let most = 0;
    const results = await mapLimited([30, 10, 20, 5, 15, 1], 2, async (delayMs, index) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      running--;
      return index;
    });
    expect(results).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(2);
  });

  it('rejects when a task fails', async () => {
    await expect(
      mapLimited([1, 2], 2, (n) => (n === 2 ? Promise.reject(new Error('no')) : Promise.resolve(n))),
    ).rejects.toThrow('no');
  });
});

describe('isOlderVersion', () => {
  it('compares major, minor and patch as numbers', () => {
    expect(isOlderVersion('0.9.0', '0.10.0')).toBe(true);
    expect(isOlderVersion('1.2.3', '1.2.3')).toBe(false);
    expect(isOlderVersion('2.0.0', '1.9.9')).toBe(false);
    expect(isOlderVersion('1.2.3-rc.1', '1.2.4')).toBe(true);
  });

  it('claims nothing about what is not a version', () => {
    expect(isOlderVersion('dev', '1.0.0')).toBeNull();
    expect(isOlderVersion('1.0.0', '')).toBeNull();
  });
});
