import { AlertsTable } from './alerts.schema';
import { contentDifferences } from './alert.mapper';

const stored: AlertsTable = {
  id: '0196f7a2-6c3e-7b41-9d5a-2f0c8e1a4b77',
  device_id: 'pi-accueil-01',
  type: 'fire',
  severity: 'critical',
  location: 'Accueil',
  message: 'Fumée',
  button: '17',
  triggered_at: '2026-11-24T10:15:02.118Z',
  triggered_at_from_device: 1,
  received_at: '2026-11-24T10:15:02.131Z',
  status: 'acknowledged',
  acknowledged_at: '2026-11-24T10:16:00.000Z',
  acknowledged_by: 'Marie',
  acknowledgement_note: null,
  resolved_at: null,
  resolved_by: null,
  resolution_note: null,
};

describe('contentDifferences', () => {
  const retry = (changes: Partial<AlertsTable>): AlertsTable => ({
    ...stored,
    received_at: '2026-11-24T10:20:00.000Z',
    status: 'open',
    acknowledged_at: null,
    acknowledged_by: null,
    ...changes,
  });

  it('sees a true retry as the same alert, whatever happened to it since', () => {
    expect(contentDifferences(stored, retry({}))).toEqual([]);
  });

  it('names each field the device changed', () => {
    expect(contentDifferences(stored, retry({ type: 'panic', message: 'Autre' }))).toEqual([
      'type',
      'message',
    ]);
    expect(contentDifferences(stored, retry({ triggered_at: '2026-11-24T10:15:03.000Z' }))).toEqual([
      'triggeredAt',
    ]);
  });

  it('matches a retry without triggeredAt when the first post had none either', () => {
    const serverTimed = { ...stored, triggered_at_from_device: 0 };
    expect(
      contentDifferences(
        serverTimed,
        retry({ triggered_at_from_device: 0, triggered_at: '2026-11-24T10:20:00.000Z' }),
      ),
    ).toEqual([]);
    expect(contentDifferences(serverTimed, retry({}))).toEqual(['triggeredAt']);
  });
});
