import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALERT_STATUSES, ALERT_TYPES, AlertStatus, CreateAlertDto, ListAlertsQuery } from '@app/contracts';
import { CompiledQuery } from 'kysely';
import { APP_STORE, AppStore } from '../app-store';
import { Store } from '../store/store';
import { AlertCursor } from './alert-cursor';
import { AlertsRepository } from './alerts.repository';
import type { AlertsTable } from './alerts.schema';
import { newAlertRow } from './alerts.service';

const DEVICES = ['pi-a', 'pi-b', 'pi-c'];

/** Every combination of the list's filters, with and without a cursor. */
function queryShapes(): Array<[string, ListAlertsQuery, AlertCursor | null]> {
  const shapes: Array<[string, ListAlertsQuery, AlertCursor | null]> = [];
  const cursor: AlertCursor = {
    receivedAt: '2026-11-24T10:01:30.000Z',
    id: '01930181-0000-7000-8000-000000000000',
  };
  for (const status of [undefined, 'acknowledged'] as const)
    for (const type of [undefined, 'fire'] as const)
      for (const deviceId of [undefined, 'pi-b'])
        for (const after of [null, cursor]) {
          const query = { limit: 50, status, type, deviceId } as ListAlertsQuery;
          const label = JSON.stringify({ status, type, deviceId, after: after !== null });
          shapes.push([label, query, after]);
        }
  return shapes;
}

describe('AlertsRepository.list', () => {
  let dir: string;
  let store: AppStore;
  let repository: AlertsRepository;
  const stored: AlertsTable[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-list-'));
    store = await Store.open(join(dir, 'vigie.db'), APP_STORE, { writer: 'main' });
    repository = new AlertsRepository(store);
    // Alerts in every status, of several devices and types, two by two at the same reception
    // instant (the id breaks the tie).
    for (let i = 0; i < 240; i++) {
      const at = new Date(Date.UTC(2026, 10, 24, 10, 0, Math.floor(i / 2)));
      const row = newAlertRow(alertDto(i), at);
      await store.write('alert.create', { row, escalation: null });
      const status: AlertStatus = ALERT_STATUSES[i % ALERT_STATUSES.length];
      const handling = { id: row.id, at: at.toISOString(), by: 'Marie', note: null };
      if (status === 'acknowledged') await store.write('alert.acknowledge', handling);
      if (status === 'resolved') await store.write('alert.resolve', handling);
      stored.push({ ...row, status });
    }
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(queryShapes())(
    '%s: the rows an in-memory filter and sort give, page by page',
    async (_label, query, from) => {
      const expected = stored
        .filter(
          (row) =>
            !from ||
            compare(row.received_at, from.receivedAt) < 0 ||
            (row.received_at === from.receivedAt && compare(row.id, from.id) < 0),
        )
        .filter((row) => !query.status || row.status === query.status)
        .filter((row) => !query.type || row.type === query.type)
        .filter((row) => !query.deviceId || row.device_id === query.deviceId)
        .sort((a, b) =>
          b.received_at === a.received_at ? compare(b.id, a.id) : compare(b.received_at, a.received_at),
        );
      expect(expected.length).toBeGreaterThan(3);
      const pages: AlertsTable[][] = [];
      let after = from;
      for (;;) {
        const page = await repository.list(query, after, 4);
        if (page.length === 0) break;
        pages.push(page);
        const last = page[page.length - 1];
        after = { receivedAt: last.received_at, id: last.id };
      }
      expect(pages.slice(0, -1).every((page) => page.length === 4)).toBe(true);
      expect(pages.flat().map((row) => row.id)).toEqual(expected.map((row) => row.id));
    },
  );

  it.each(queryShapes())(
    "%s: read in index order (the device's, when one is named), never sorted, never a table scan",
    (_label, query, after) => {
      const compiled = repository.listQuery(query, after, 51).compile();
      const plan = store
        .readNow(CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]))
        .map((step) => (step as { detail: string }).detail);
      expect(plan.join('\n')).not.toMatch(/TEMP B-TREE/);
      expect(plan.filter((detail) => /^(SCAN|SEARCH) alerts/.test(detail))).not.toContainEqual(
        expect.not.stringMatching(/USING (COVERING )?INDEX alerts_by_/),
      );
      expect(plan.some((detail) => /^(SCAN|SEARCH) alerts USING/.test(detail))).toBe(true);
      if (query.deviceId) {
        // The device narrows most: its index leads whatever else is asked.
        expect(plan.filter((detail) => /^SEARCH alerts/.test(detail))).not.toContainEqual(
          expect.not.stringContaining('USING INDEX alerts_by_device_id_status_received (device_id=?'),
        );
      }
    },
  );
});

function alertDto(i: number): CreateAlertDto {
  return {
    id: `0193${String(i).padStart(4, '0')}-0000-7000-8000-${String(1e12 - i).padStart(12, '0')}`,
    deviceId: DEVICES[Math.floor(i / 3) % DEVICES.length],
    type: ALERT_TYPES[Math.floor(i / 5) % ALERT_TYPES.length],
    message: `alert ${i}`,
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
