import type { Alert } from '@app/contracts/wire';
import { INCIDENT_WINDOW_MS, buildingOf, groupIncidents } from './incidents';
import { byUrgency } from './urgency';

const NOW = Date.parse('2026-12-03T10:30:00.000Z');
const MINUTE = 60_000;

/** An active alert pressed `minutesAgo` before NOW (received at once). */
function alert(id: string, fields: Partial<Alert> & { minutesAgo?: number } = {}): Alert {
  const { minutesAgo = 1, ...rest } = fields;
  const at = new Date(NOW - minutesAgo * MINUTE).toISOString();
  return {
    id,
    deviceId: `pi-${id}`,
    type: 'fire',
    severity: 'critical',
    status: 'open',
    location: null,
    triggeredAt: at,
    receivedAt: at,
    ...rest,
  } as Alert;
}
const ids = (alerts: Alert[]) => alerts.map((each) => each.id);

describe('byUrgency', () => {
  it('puts critical before warning before info, unacknowledged first, then the oldest press', () => {
    const alerts = [
      alert('info', { type: 'medical', severity: 'info', minutesAgo: 30 }),
      alert('warn', { type: 'medical', severity: 'warning', minutesAgo: 20 }),
      alert('crit-new', { minutesAgo: 1 }),
      alert('crit-acked', { status: 'acknowledged', minutesAgo: 40 }),
      alert('crit-old', { minutesAgo: 10 }),
    ];
    expect(ids(byUrgency(alerts, NOW))).toEqual(['crit-old', 'crit-new', 'crit-acked', 'warn', 'info']);
  });

  it('never puts a test above a real alert, whatever its severity or age', () => {
    const alerts = [
      alert('drill', { type: 'test', severity: 'critical', minutesAgo: 50 }),
      alert('acked-info', { type: 'medical', severity: 'info', status: 'acknowledged' }),
    ];
    expect(ids(byUrgency(alerts, NOW))).toEqual(['acked-info', 'drill']);
  });

  it("takes the time of reception when the device's clock is far off", () => {
    const skewed = alert('skewed', { triggeredAt: '2001-01-01T00:00:00.000Z', minutesAgo: 2 });
    expect(ids(byUrgency([alert('older', { minutesAgo: 3 }), skewed], NOW))).toEqual(['older', 'skewed']);
  });
});

describe('buildingOf', () => {
  it.each([
    ['Bâtiment A / Salle 12', 'Bâtiment A'],
    ['Bât. B - 2e étage', 'Bât. B'],
    ['Gymnase, vestiaires', 'Gymnase'],
    ['Aile nord: couloir', 'Aile nord'],
    ['Saint-Exupéry / CDI', 'Saint-Exupéry'],
    ['  Bâtiment A   /  Salle 3', 'Bâtiment A'],
    ['Accueil', null],
    ['Salle 12', null],
    ['', null],
    [null, null],
  ])('%j names the building %j', (location, building) => {
    expect(buildingOf(location)).toBe(building);
  });
});

describe('groupIncidents', () => {
  it('makes one incident of a fire pressed on many buttons within minutes', () => {
    const fire = [4, 3.5, 3, 2, 0.5].map((ago, i) =>
      alert(`f${i}`, { minutesAgo: ago, location: `Bâtiment A / Salle ${i}` }),
    );
    const [incident, ...others] = groupIncidents(fire, NOW);
    expect(others).toEqual([]);
    expect(incident).toMatchObject({ key: 'f0', type: 'fire', building: 'Bâtiment A' });
    expect(incident.alerts).toHaveLength(5);
    expect(incident.firstPressAt).toBe(NOW - 4 * MINUTE);
  });

  it('keeps apart other types, presses more than the window after the last, and other buildings', () => {
    const gap = INCIDENT_WINDOW_MS / MINUTE + 1;
    const alerts = [
      alert('a1', { minutesAgo: 30, location: 'Bâtiment A / 1' }),
      alert('a2', { minutesAgo: 29, location: 'bâtiment a - 2' }), // same building, written otherwise
      alert('b1', { minutesAgo: 29, location: 'Bâtiment B / 1' }),
      alert('late', { minutesAgo: 29 - gap, location: 'Bâtiment A / 3' }),
      alert('m1', { minutesAgo: 29, type: 'medical', location: 'Bâtiment A / 4' }),
      alert('nowhere', { minutesAgo: 28.5 }), // names no building: joins by type and time
    ];
    const groups = groupIncidents(alerts, NOW).map((incident) => ids(incident.alerts).sort());
    expect(groups).toEqual(expect.arrayContaining([['a1', 'a2', 'nowhere'], ['b1'], ['late'], ['m1']]));
    expect(groups).toHaveLength(4);
  });

  it('takes a press exactly the window after the one before into the incident', () => {
    const edge = INCIDENT_WINDOW_MS / MINUTE;
    expect(
      groupIncidents([alert('e1', { minutesAgo: 20 }), alert('e2', { minutesAgo: 20 - edge })], NOW),
    ).toHaveLength(1);
  });

  it('reads one building however it is written: accents, case, spaces', () => {
    const alerts = [
      alert('w1', { minutesAgo: 10, location: 'Bâtiment  A / 1' }),
      alert('w2', { minutesAgo: 9, location: 'BATIMENT A - 2' }),
    ];
    expect(groupIncidents(alerts, NOW)).toHaveLength(1);
  });

  it('gives an incident the building of its first press that names one, and keeps others out', () => {
    const alerts = [
      alert('n1', { minutesAgo: 10 }), // no building yet
      alert('a1', { minutesAgo: 9, location: 'Bâtiment A / 1' }), // joins, and names the building
      alert('b1', { minutesAgo: 8, location: 'Bâtiment B / 1' }), // another building: apart
    ];
    const groups = groupIncidents(alerts, NOW);
    expect(groups.map((incident) => ids(incident.alerts).sort())).toEqual([['a1', 'n1'], ['b1']]);
    expect(groups[0].building).toBe('Bâtiment A');
  });

  it('puts a press that names no building into the incident pressed last before it', () => {
    const alerts = [
      alert('a1', { minutesAgo: 10, location: 'Bâtiment A / 1' }),
      alert('b1', { minutesAgo: 8, location: 'Bâtiment B / 1' }),
      alert('x', { minutesAgo: 7 }),
    ];
    const groups = groupIncidents(alerts, NOW).map((incident) => ids(incident.alerts).sort());
    expect(groups).toEqual([['a1'], ['b1', 'x']]);
  });

  it('chains presses each within the window of the one before (a fire that spreads)', () => {
    const alerts = [0, 4, 8, 12].map((after, i) => alert(`s${i}`, { minutesAgo: 20 - after }));
    expect(groupIncidents(alerts, NOW)).toHaveLength(1);
  });

  it('ranks incidents by their most urgent alert, drills last', () => {
    const alerts = [
      alert('t1', { type: 'test', severity: 'info', minutesAgo: 40 }),
      alert('t2', { type: 'test', severity: 'info', minutesAgo: 39 }),
      alert('med', { type: 'medical', severity: 'warning', minutesAgo: 30 }),
      alert('fire-acked', { status: 'acknowledged', minutesAgo: 20 }),
      alert('fire-open', { minutesAgo: 19 }),
      alert('intrusion', { type: 'intrusion', minutesAgo: 5 }),
    ];
    const order = groupIncidents(alerts, NOW).map((incident) => ids(incident.alerts));
    expect(order).toEqual([['fire-open', 'fire-acked'], ['intrusion'], ['med'], ['t1', 't2']]);
  });
});
