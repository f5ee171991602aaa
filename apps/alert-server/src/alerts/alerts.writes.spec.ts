import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_STORE, AppStore } from '../app-store';
import { Store } from '../store/store';
import type { AlertsTable } from './alerts.schema';
import { newAlertRow } from './alerts.service';

const AT = new Date('2026-12-02T10:00:00.000Z');
const later = (seconds: number) => new Date(AT.getTime() + seconds * 1000).toISOString();

/** The alert writes on a real store: each outcome, and what each leaves in the tables. */
describe('the alert writes', () => {
  let dir: string;
  let store: AppStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-alert-writes-'));
    store = await Store.open(join(dir, 'vigie.db'), APP_STORE, { writer: 'main' });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const row = (overrides: Partial<AlertsTable> = {}): AlertsTable => ({
    ...newAlertRow({ deviceId: 'pi-accueil', type: 'fire', location: 'Accueil' }, AT),
    ...overrides,
  });
  const stored = (id: string) =>
    store.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
  const device = (id: string) =>
    store.db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
  const escalation = (alertId: string) =>
    store.db.selectFrom('escalations').selectAll().where('alert_id', '=', alertId).executeTakeFirst();
  const handling = (id: string, seconds: number, by = 'Marie', note: string | null = null) => ({
    id,
    at: later(seconds),
    by,
    note,
  });

  describe('alert.create', () => {
    it('stores a new alert as given, with its device and its escalation, in one go', async () => {
      const alert = row();
      const steps = [{ afterMs: 60_000, notify: ['phones'], repeatMs: null }];
      expect(await store.write('alert.create', { row: alert, escalation: steps })).toEqual({ created: true });
      expect(await stored(alert.id)).toEqual(alert);
      expect(await device('pi-accueil')).toMatchObject({
        first_seen_at: alert.received_at,
        last_seen_at: alert.received_at,
        location: 'Accueil',
      });
      expect(await escalation(alert.id)).toMatchObject({
        steps: JSON.stringify(steps),
        next_firing: 0,
        next_due_at: later(60),
        state: 'active',
      });
    });

    it('starts no escalation when no rule fits', async () => {
      const alert = row();
      await store.write('alert.create', { row: alert, escalation: null });
      expect(await escalation(alert.id)).toBeUndefined();
    });

    it('answers a retry with the stored alert and changes nothing: no second escalation, no device move', async () => {
      const alert = row();
      const steps = [{ afterMs: 0, notify: ['phones'], repeatMs: null }];
      await store.write('alert.create', { row: alert, escalation: steps });
      const retry = { ...alert, received_at: later(30), message: 'other' };
      expect(await store.write('alert.create', { row: retry, escalation: steps })).toEqual({
        created: false,
        stored: alert,
      });
      expect(await stored(alert.id)).toEqual(alert);
      expect((await device('pi-accueil'))?.last_seen_at).toBe(alert.received_at);
      expect(await store.db.selectFrom('escalations').selectAll().execute()).toHaveLength(1);
    });
  });

  describe('alert.acknowledge', () => {
    it('acknowledges an open alert, once: the first acknowledgement stands', async () => {
      const alert = row();
      await store.write('alert.create', { row: alert, escalation: null });
      const first = await store.write('alert.acknowledge', handling(alert.id, 10, 'Marie', 'en route'));
      expect(first).toEqual({
        kind: 'changed',
        row: {
          ...alert,
          status: 'acknowledged',
          acknowledged_at: later(10),
          acknowledged_by: 'Marie',
          acknowledgement_note: 'en route',
        },
      });
      const again = await store.write('alert.acknowledge', handling(alert.id, 20, 'Karim'));
      expect(again).toEqual({ kind: 'unchanged', row: first.kind === 'changed' ? first.row : null });
      expect(await stored(alert.id)).toEqual(first.kind === 'changed' ? first.row : null);
    });

    it('refuses a resolved alert and an unknown id, changing nothing', async () => {
      const alert = row();
      await store.write('alert.create', { row: alert, escalation: null });
      await store.write('alert.resolve', handling(alert.id, 5));
      const before = await stored(alert.id);
      expect(await store.write('alert.acknowledge', handling(alert.id, 10))).toEqual({ kind: 'resolved' });
      expect(await stored(alert.id)).toEqual(before);
      expect(
        await store.write('alert.acknowledge', handling('01938000-0000-7000-8000-000000000000', 10)),
      ).toEqual({
        kind: 'missing',
      });
    });

    it('ends the escalation in the same transaction', async () => {
      const alert = row();
      await store.write('alert.create', {
        row: alert,
        escalation: [{ afterMs: 60_000, notify: ['phones'], repeatMs: null }],
      });
      await store.write('alert.acknowledge', handling(alert.id, 10));
      expect(await escalation(alert.id)).toMatchObject({ state: 'cancelled', next_due_at: null });
    });
  });

  describe('alert.resolve', () => {
    it('resolves an open alert directly, and says it was open', async () => {
      const alert = row();
      await store.write('alert.create', { row: alert, escalation: null });
      const outcome = await store.write('alert.resolve', handling(alert.id, 10, 'Karim', 'fausse alerte'));
      expect(outcome).toEqual({
        kind: 'changed',
        wasOpen: true,
        row: {
          ...alert,
          status: 'resolved',
          resolved_at: later(10),
          resolved_by: 'Karim',
          resolution_note: 'fausse alerte',
        },
      });
    });

    it('resolves an acknowledged alert, keeping its acknowledgement; says it was not open', async () => {
      const alert = row();
      await store.write('alert.create', { row: alert, escalation: null });
      await store.write('alert.acknowledge', handling(alert.id, 5, 'Marie'));
      const outcome = await store.write('alert.resolve', handling(alert.id, 10, 'Karim'));
      expect(outcome).toMatchObject({
        kind: 'changed',
        wasOpen: false,
        row: { status: 'resolved', acknowledged_by: 'Marie', resolved_by: 'Karim', resolved_at: later(10) },
      });
    });

    it('resolving again leaves the first resolution; an unknown id is missing', async () => {
      const alert = row();
      await store.write('alert.create', { row: alert, escalation: null });
      const first = await store.write('alert.resolve', handling(alert.id, 10, 'Karim'));
      const again = await store.write('alert.resolve', handling(alert.id, 20, 'Marie', 'encore'));
      expect(again).toEqual({
        kind: 'unchanged',
        wasOpen: false,
        row: first.kind === 'changed' ? first.row : null,
      });
      expect(
        await store.write('alert.resolve', handling('01938000-0000-7000-8000-000000000000', 10)),
      ).toEqual({
        kind: 'missing',
      });
    });

    it('ends the escalation in the same transaction', async () => {
      const alert = row();
      await store.write('alert.create', {
        row: alert,
        escalation: [{ afterMs: 60_000, notify: ['phones'], repeatMs: null }],
      });
      await store.write('alert.resolve', handling(alert.id, 10));
      expect(await escalation(alert.id)).toMatchObject({ state: 'cancelled', next_due_at: null });
    });
  });
});
