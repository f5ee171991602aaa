import type { Alert } from '@app/contracts/wire';
import { ActiveAlerts } from './active-alerts';
import { alertsToCsv, csvField } from './csv';

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
