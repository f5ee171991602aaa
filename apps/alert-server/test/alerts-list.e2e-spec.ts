import type { Alert } from '@app/contracts';
import request from 'supertest';
import { nextMillisecond } from './support/eventually';
import { expectHttpError } from './support/http-error';
import { stopAndRemove } from './support/lifecycle';
import { startTestServer, TestServer } from './support/test-server';
import {
  Body,
  createAlert,
  expectStatus,
  getAlert,
  handleAlert,
  listAlerts,
  listAlertsRaw,
  walkAlerts,
} from './support/vigie-api';

/** Creates alerts one after the other, each received strictly later than the previous one. */
async function createInOrder(url: string, bodies: Body[]): Promise<Alert[]> {
  const alerts: Alert[] = [];
  for (const body of bodies) {
    const previous = alerts[alerts.length - 1];
    if (previous) await nextMillisecond(Date.parse(previous.receivedAt));
    alerts.push(await createAlert(url, body));
  }
  return alerts;
}

/** Creates `count` alerts in concurrent batches, so some share a receivedAt (the cursor's tie case). */
async function seedAlerts(url: string, count: number, batchSize = 10): Promise<Alert[]> {
  const alerts: Alert[] = [];
  const types = ['fire', 'intrusion', 'medical', 'panic', 'test'];
  for (let start = 0; start < count; start += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, count - start) }, (_, offset) => {
      const index = start + offset;
      return createAlert(url, { deviceId: `pi-${index % 3}`, type: types[index % types.length] });
    });
    alerts.push(...(await Promise.all(batch)));
  }
  return alerts;
}

const ids = (alerts: Alert[]) => alerts.map((alert) => alert.id);

function expectNewestFirst(alerts: Alert[]): void {
  for (let i = 1; i < alerts.length; i++) {
    expect(alerts[i - 1].receivedAt >= alerts[i].receivedAt).toBe(true);
  }
}

describe('GET /alerts: order and filters', () => {
  let server: TestServer;
  let url: string;
  /** a1 … a6 in the order received; see `beforeAll` for their devices, types and states. */
  let a: Alert[];

  beforeAll(async () => {
    server = await startTestServer();
    url = server.url;
    a = await createInOrder(url, [
      { deviceId: 'pi-hall', type: 'fire' },
      { deviceId: 'pi-hall', type: 'medical' },
      { deviceId: 'pi-lab', type: 'fire' },
      { deviceId: 'pi-lab', type: 'panic' },
      { deviceId: 'pi-hall', type: 'fire' },
      { deviceId: 'pi-roof', type: 'test' },
    ]);
    expectStatus(await handleAlert(url, a[0].id, 'acknowledge', { by: 'Marie' }), 200);
    expectStatus(await handleAlert(url, a[2].id, 'resolve', { by: 'Marie' }), 200);
    expectStatus(await handleAlert(url, a[5].id, 'acknowledge', { by: 'Paul' }), 200);
    expectStatus(await handleAlert(url, a[5].id, 'resolve', { by: 'Paul' }), 200);
  });

  afterAll(() => stopAndRemove(server));

  /** The ids a filter must return, newest first, from the fixture indexes (1-based like a1…a6). */
  const expected = (...numbers: number[]) => numbers.map((n) => a[n - 1].id);

  it('lists every alert newest first by receivedAt, each as GET /alerts/{id} returns it', async () => {
    const page = await listAlerts(url);

    expect(ids(page.items)).toEqual(expected(6, 5, 4, 3, 2, 1));
    expect(page.nextCursor).toBeNull();
    for (const item of page.items) expect(item).toEqual(await getAlert(url, item.id));
  });

  it.each<[string, Record<string, string>, number[]]>([
    ['status=open', { status: 'open' }, [5, 4, 2]],
    ['status=acknowledged', { status: 'acknowledged' }, [1]],
    ['status=resolved', { status: 'resolved' }, [6, 3]],
    ['type=fire', { type: 'fire' }, [5, 3, 1]],
    ['type=intrusion (none)', { type: 'intrusion' }, []],
    ['deviceId=pi-hall', { deviceId: 'pi-hall' }, [5, 2, 1]],
    ['deviceId of an unknown device', { deviceId: 'pi-nowhere' }, []],
    ['deviceId=pi-hall&type=fire', { deviceId: 'pi-hall', type: 'fire' }, [5, 1]],
    ['deviceId=pi-hall&type=fire&status=open', { deviceId: 'pi-hall', type: 'fire', status: 'open' }, [5]],
    ['status=open&type=fire', { status: 'open', type: 'fire' }, [5]],
    ['status=resolved&deviceId=pi-roof', { status: 'resolved', deviceId: 'pi-roof' }, [6]],
    ['status=open&type=test', { status: 'open', type: 'test' }, []],
  ])('filters by %s', async (_case, query, numbers) => {
    const page = await listAlerts(url, query);

    expect(ids(page.items)).toEqual(expected(...numbers));
    expect(page.nextCursor).toBeNull();
  });

  it.each<[string, Record<string, string>, string]>([
    ['an unknown status', { status: 'closed' }, 'status'],
    ['an unknown type', { type: 'flood' }, 'type'],
    ['a malformed deviceId', { deviceId: 'pi hall' }, 'deviceId'],
    ['an unknown query parameter', { sort: 'asc' }, 'sort'],
    ['a misspelt filter', { state: 'open' }, 'state'],
  ])('refuses %s with 400', async (_case, query, field) => {
    expectHttpError(await listAlertsRaw(url, query), 400, [field]);
  });

  it('refuses a repeated filter (an array) with 400', async () => {
    expectHttpError(await request(url).get('/alerts?status=open&status=resolved'), 400, ['status']);
  });
});

describe('GET /alerts: limit and cursor pagination', () => {
  const TOTAL = 120;
  let server: TestServer;
  let url: string;
  let all: Alert[];

  beforeAll(async () => {
    server = await startTestServer();
    url = server.url;
    all = await seedAlerts(url, TOTAL);
  });

  afterAll(() => stopAndRemove(server));

  it('returns 50 alerts by default, with a cursor to the rest', async () => {
    const page = await listAlerts(url);

    expect(page.items).toHaveLength(50);
    expect(page.nextCursor).toEqual(expect.any(String));
    expectNewestFirst(page.items);
  });

  it.each([1, 7, 500])('returns at most limit=%i alerts', async (limit) => {
    const page = await listAlerts(url, { limit });

    expect(page.items).toHaveLength(Math.min(limit, TOTAL));
    expect(page.nextCursor === null).toBe(limit >= TOTAL);
  });

  it.each(['0', '501', '-1', '1.5', 'abc', '', '10abc', 'Infinity'])(
    'refuses limit=%j with 400',
    async (limit) => {
      expectHttpError(await listAlertsRaw(url, { limit }), 400, ['limit']);
    },
  );

  it('walks every alert exactly once with limit=25, newest first, ending on a null cursor', async () => {
    const pages = await walkAlerts(url, { limit: 25 });

    expect(pages.map((page) => page.items.length)).toEqual([25, 25, 25, 25, 20]);
    expect(pages.slice(0, -1).every((page) => typeof page.nextCursor === 'string')).toBe(true);
    expect(pages[pages.length - 1].nextCursor).toBeNull();
    const walked = pages.flatMap((page) => page.items);
    expectNewestFirst(walked);
    expect(new Set(ids(walked)).size).toBe(TOTAL);
    expect(ids(walked).sort()).toEqual(ids(all).sort());
    // The walk is the same list as one big page, in the same order.
    expect(ids(walked)).toEqual(ids((await listAlerts(url, { limit: 500 })).items));
  });

  it('ends on a full last page without an extra empty one (limit=40, 120 alerts)', async () => {
    const pages = await walkAlerts(url, { limit: 40 });

    expect(pages.map((page) => page.items.length)).toEqual([40, 40, 40]);
    expect(pages[2].nextCursor).toBeNull();
  });

  it('paginates a filtered list through its own alerts only', async () => {
    const fireAlerts = all.filter((alert) => alert.type === 'fire');

    const pages = await walkAlerts(url, { type: 'fire', limit: 7 });

    const walked = pages.flatMap((page) => page.items);
    expect(walked.every((alert) => alert.type === 'fire')).toBe(true);
    expect(ids(walked).sort()).toEqual(ids(fireAlerts).sort());
    expect(new Set(ids(walked)).size).toBe(fireAlerts.length);
  });

  it.each([
    ['a word', 'garbage'],
    ['characters outside base64url', 'not a cursor!'],
    ['base64url of something else', Buffer.from('hello world', 'utf8').toString('base64url')],
    ['a cursor without an id', Buffer.from('2026-11-24T10:15:02.118Z|', 'utf8').toString('base64url')],
    ['a cursor with a bad time', Buffer.from('yesterday|abc', 'utf8').toString('base64url')],
    ['an overlong value', 'A'.repeat(5000)],
  ])('refuses a garbage before (%s) with 400', async (_case, before) => {
    expectHttpError(await listAlertsRaw(url, { before }), 400, ['before']);
  });
});

describe('GET /alerts: pagination while alerts keep arriving', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(() => stopAndRemove(server));

  it('neither repeats nor skips an alert that existed at the first page', async () => {
    const url = server.url;
    const existing = await seedAlerts(url, 60);
    let arrived = 0;

    // Between pages: new alerts arrive, and one already listed alert changes state.
    const pages = await walkAlerts(url, { limit: 25 }, async (pageIndex) => {
      const fresh = await Promise.all(
        Array.from({ length: 3 }, () => createAlert(url, { deviceId: 'pi-late', type: 'panic' })),
      );
      arrived += fresh.length;
      expectStatus(await handleAlert(url, existing[pageIndex].id, 'acknowledge', { by: 'Marie' }), 200);
    });

    const walked = ids(pages.flatMap((page) => page.items));
    expect(pages.map((page) => page.items.length)).toEqual([25, 25, 10]);
    expect(new Set(walked).size).toBe(walked.length);
    expect(walked.sort()).toEqual(ids(existing).sort());
    expect((await listAlerts(url, { limit: 500 })).items).toHaveLength(existing.length + arrived);
  });
});
