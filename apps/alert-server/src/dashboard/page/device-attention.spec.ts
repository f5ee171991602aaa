import type { Device } from '@app/contracts/wire';
import {
  byUrgency,
  fold,
  matchesSearch,
  noCounts,
  problemsOf,
  searchKey,
  sameDevice,
  searchTerms,
  tally,
} from './device-attention';

const device = (id: string, fields: Partial<Device> = {}): Device => ({
  id,
  location: null,
  status: 'online',
  lastSeenAt: '2026-12-03T10:00:00.000Z',
  agentVersion: '0.2.0',
  spoolDepth: 0,
  ...fields,
});

describe('devices that need attention', () => {
  it('names each problem, most serious first; a healthy device has none', () => {
    expect(problemsOf(device('ok'), '0.2.0')).toEqual([]);
    expect(
      problemsOf(device('a', { status: 'offline', spoolDepth: 3, agentVersion: '0.1.0' }), '0.2.0'),
    ).toEqual(['offline', 'backlog', 'outdated']);
    expect(
      problemsOf(device('b', { status: 'offline', lastSeenAt: null, agentVersion: null }), '0.2.0'),
    ).toEqual(['never-seen']);
    // The current version not known yet, or a version that is not one: nothing claimed.
    expect(problemsOf(device('c', { agentVersion: '0.1.0' }), null)).toEqual([]);
    expect(problemsOf(device('d', { agentVersion: 'dev' }), '0.2.0')).toEqual([]);
  });

  it('orders offline, never seen, backlog, outdated, then by id', () => {
    const current = '0.2.0';
    const devices = [
      device('pi-e', { agentVersion: '0.1.0' }),
      device('pi-d', { spoolDepth: 2 }),
      device('pi-c', { status: 'offline', lastSeenAt: null }),
      device('pi-b', { status: 'offline' }),
      device('pi-a', { status: 'offline' }),
    ].map((d) => ({ id: d.id, problems: problemsOf(d, current) }));
    expect(devices.sort(byUrgency).map((d) => d.id)).toEqual(['pi-a', 'pi-b', 'pi-c', 'pi-d', 'pi-e']);
    // The problem before the id: a backlog on pi-0 comes after pi-z offline.
    const mixed = [
      { id: 'pi-0', problems: problemsOf(device('pi-0', { spoolDepth: 1 }), current) },
      { id: 'pi-z', problems: problemsOf(device('pi-z', { status: 'offline' }), current) },
    ];
    expect(mixed.sort(byUrgency).map((d) => d.id)).toEqual(['pi-z', 'pi-0']);
  });

  it('counts by adding and removing one device at a time', () => {
    const counts = noCounts();
    const before = device('x');
    const after = device('x', { status: 'offline', spoolDepth: 1 });
    tally(counts, before, problemsOf(before, null), 1);
    tally(counts, device('never', { status: 'offline', lastSeenAt: null }), ['never-seen'], 1);
    expect(counts).toEqual({ online: 1, offline: 0, neverSeen: 1, backlog: 0, outdated: 0, problems: 1 });
    tally(counts, before, problemsOf(before, null), -1);
    tally(counts, after, problemsOf(after, null), 1);
    expect(counts).toEqual({ online: 0, offline: 1, neverSeen: 1, backlog: 1, outdated: 0, problems: 2 });
    const old = device('old', { agentVersion: '0.1.0' });
    tally(counts, old, problemsOf(old, '0.2.0'), 1);
    expect(counts).toMatchObject({ online: 1, outdated: 1, problems: 3 });
    tally(counts, old, problemsOf(old, '0.2.0'), -1);
    expect(counts).toMatchObject({ online: 0, outdated: 0, problems: 2 });
  });

  it('tells a read that would draw the same row from one that changes it, field by field', () => {
    const base = device('pi-1', { location: 'Salle 1' });
    expect(sameDevice(base, { ...base })).toBe(true);
    const changes: Array<Partial<Device>> = [
      { id: 'pi-2' },
      { location: 'Salle 2' },
      { status: 'offline' },
      { lastSeenAt: '2026-12-03T10:00:01.000Z' },
      { agentVersion: '0.3.0' },
      { spoolDepth: 1 },
    ];
    for (const change of changes)
      expect([change, sameDevice(base, { ...base, ...change })]).toEqual([change, false]);
  });

  it('finds a device without a location by its id alone', () => {
    const key = searchKey(device('pi-hall'));
    expect(matchesSearch(key, searchTerms('hall'))).toBe(true);
    expect(matchesSearch(key, searchTerms('null'))).toBe(false);
    expect(matchesSearch(key, searchTerms('undefined'))).toBe(false);
  });

  it('finds by id or location, any case, with or without accents, every word typed', () => {
    const key = searchKey(device('pi-salle-12', { location: 'Salle à manger, 1er étage' }));
    expect(fold('ÉTAGE')).toBe('etage');
    for (const query of ['PI-SALLE-12', 'salle a', 'etage 1er', 'Étage', 'MANGER']) {
      expect([query, matchesSearch(key, searchTerms(query))]).toEqual([query, true]);
    }
    for (const query of ['', '   ', 'cuisine', 'salle cuisine']) {
      expect([query, matchesSearch(key, searchTerms(query))]).toEqual([query, false]);
    }
  });
});
