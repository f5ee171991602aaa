import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BrowserSession } from './support/browser';
import {
  Dashboards,
  activeBoardItems,
  expectNoErrors,
  expectNoSidewaysScroll,
  incidentOf,
  requestsMatching,
  reveal,
  smallTargets,
} from './support/dashboard-page';
import {
  Alert,
  AlertBody,
  Post,
  REQUIRED_ENV,
  getAlert,
  keepBeating,
  postAlert,
} from './support/security-post';
import { REPO_ROOT, cleanupServerProcesses } from './support/server-process';

/**
 * The security post at scale, as a school with a button in 300 classrooms would try it: 300
 * devices beating and 40 open alerts of mixed types, 30 of them from one fire, on a 1920×1080
 * screen in Chromium, against the real built server with sign-in required. The most urgent
 * comes first, a drill never above a real alert, one fire is one incident card, "acknowledge
 * all" records each alert under the operator, and the page stays within three screens.
 */

const SCREEN = { width: 1920, height: 1080 };
const MINUTE = 60_000;

let session: BrowserSession | undefined;
let dashboards: Dashboards;
let post: Post;
let cookie: string;
let stopBeating: () => void = () => undefined;

/** Classroom N of building B: 300 devices, 100 in each of buildings A, B and C. */
const DEVICES: Array<[id: string, location: string]> = Array.from({ length: 300 }, (_, i) => {
  const building = 'ABC'[Math.floor(i / 100)];
  return [
    `pi-${building.toLowerCase()}-${String(i % 100).padStart(3, '0')}`,
    `Bâtiment ${building} / Salle ${i % 100}`,
  ];
});
const device = (building: 'A' | 'B' | 'C', room: number) => DEVICES['ABC'.indexOf(building) * 100 + room];

/** Alert bodies from `device(...)`, pressed `minutesAgo` before now. */
function from(
  [deviceId, location]: [string, string],
  type: AlertBody['type'],
  minutesAgo: number,
  severity?: string,
): AlertBody {
  const triggeredAt = new Date(Date.now() - minutesAgo * MINUTE).toISOString();
  return { deviceId, location, type, triggeredAt, ...(severity ? { severity } : {}) };
}

/** What a fire in building A looks like: 30 buttons pressed within two minutes, and the rest. */
function incident40(): { fireA: AlertBody[]; others: AlertBody[] } {
  const fireA = Array.from({ length: 30 }, (_, i) => from(device('A', i), 'fire', 9 - (i % 8) * 0.25));
  const others: AlertBody[] = [
    from(device('B', 1), 'test', 30, 'critical'), // a drill, even one marked critical, stays below
    from(device('B', 2), 'test', 29),
    from(device('C', 10), 'medical', 20, 'warning'),
    from(device('B', 40), 'intrusion', 5),
    from(device('C', 60), 'fire', 1), // another building: another incident
    from(device('C', 70), 'panic', 3),
    from(device('B', 50), 'medical', 15, 'info'),
    from(device('C', 80), 'intrusion', 40),
    from(device('B', 60), 'panic', 50, 'warning'),
    from(device('C', 90), 'medical', 2),
  ];
  return { fireA, others };
}

beforeAll(async () => {
  const setUp = async () => {
    // Beats every 5 s: offline after 30 s of silence, not the 2 s the other dashboard tests use.
    post = await Post.start({ ...REQUIRED_ENV, VIGIE_DEVICE_OFFLINE_AFTER_S: '30' });
    cookie = await post.signIn('Marie');
    await post.enroll(cookie, DEVICES);
  };
  const [browser, started] = await Promise.allSettled([BrowserSession.launch(), setUp()]);
  if (browser.status === 'fulfilled') {
    session = browser.value;
    dashboards = new Dashboards(session);
  }
  for (const result of [browser, started]) if (result.status === 'rejected') throw result.reason;
  stopBeating = keepBeating(post, DEVICES, 5_000);
}, 90_000);

afterAll(async () => {
  stopBeating();
  await session?.close();
  await cleanupServerProcesses();
});

describe('the security post at scale: 300 devices, a 40-alert incident (browser)', () => {
  let fireA: Alert[];
  let others: Alert[];

  beforeAll(async () => {
    const bodies = incident40();
    // The drills and older alerts first, then the fire, as they would arrive.
    others = [];
    for (const body of bodies.others) others.push(await postAlert(post, body));
    fireA = await Promise.all(bodies.fireA.map((body) => postAlert(post, body)));
  }, 60_000);

  it('puts a critical alert first, every drill below every real alert, one fire as one incident of 30', async () => {
    const watched = await dashboards.open(post, cookie, { viewport: SCREEN });
    const { page } = watched;
    await page
      .locator(`#active-alerts .alert-card[data-alert-id="${fireA[29].id}"]`)
      .waitFor({ state: 'attached' });

    const items = await activeBoardItems(page);
    // Critical and unanswered first, the longest waiting first (an intrusion 40 minutes old).
    expect(items[0]).toMatchObject({ severity: 'critical', status: 'open', type: 'intrusion', alerts: 1 });
    expect(items).toContainEqual({
      kind: 'incident',
      type: 'fire',
      severity: 'critical',
      status: 'open',
      alerts: 30,
    });
    const fireIncident = incidentOf(page, fireA[0].id);
    expect(
      await fireIncident
        .locator('.alert-card')
        .evaluateAll((cards) => cards.map((card) => card.getAttribute('data-alert-id'))),
    ).toEqual(expect.arrayContaining(fireA.map((alert) => alert.id)));
    expect(await fireIncident.locator('.incident-count').textContent()).toBe('30 alerts');
    expect(await fireIncident.locator('.incident-places').textContent()).toMatch(
      /Bâtiment A \/ Salle \d+ \(pi-a-\d{3}\).*\+24 more$/,
    );

    // Real alerts by urgency (critical, then warning, then info; the oldest first), drills last.
    const severities = items.map((item) => item.severity);
    const drills = items
      .map((item, index) => (item.type === 'test' ? index : -1))
      .filter((index) => index >= 0);
    expect(drills.length).toBeGreaterThan(0);
    expect(Math.min(...drills)).toBe(items.length - drills.length);
    const real = severities.slice(0, items.length - drills.length);
    expect(real).toEqual([...real].sort((a, b) => rank(a) - rank(b)));
    // The fire in building C is its own card: two buildings, two incidents.
    expect(items.filter((item) => item.type === 'fire')).toHaveLength(2);
    expectNoErrors(watched);
  });

  it('acknowledge all: one acknowledgement per alert, each under the signed-in operator with the note', async () => {
    const watched = await dashboards.open(post, cookie, { viewport: SCREEN });
    const { page } = watched;
    const fireIncident = incidentOf(page, fireA[0].id);
    await fireIncident.waitFor();
    await fireIncident.locator(':scope > .alert-actions .alert-note').fill('Évacuation en cours');
    const acknowledgements = page.waitForResponse((res) => /\/alerts\/[^/]+\/acknowledge$/.test(res.url()));
    await fireIncident.locator('button.acknowledge-all').click();
    expect((await acknowledgements).status()).toBe(200);
    await page.waitForFunction(
      (key) =>
        document.querySelector(`[data-incident="${key}"] .alert-status`)?.textContent === 'all acknowledged',
      fireA[0].id,
    );

    for (const alert of fireA) {
      expect(await getAlert(post, alert.id, cookie)).toMatchObject({
        status: 'acknowledged',
        acknowledgedBy: 'Marie',
        acknowledgementNote: 'Évacuation en cours',
      });
    }
    // The other alerts were not touched.
    for (const alert of others)
      expect(await getAlert(post, alert.id, cookie)).toMatchObject({ status: 'open' });
    // Each alert still on its own card once the list is opened, acknowledged.
    await reveal(page, fireA[3].id);
    expect(
      await fireIncident.locator(`.alert-card[data-alert-id="${fireA[3].id}"]`).getAttribute('data-status'),
    ).toBe('acknowledged');
    expectNoErrors(watched);
  });

  it('speaks French and fits a touch tablet: the incident in French, no sideways scroll, targets of 44 px, a tap opens its list', async () => {
    const watched = await dashboards.open(post, cookie, {
      locale: 'fr-FR',
      viewport: { width: 1024, height: 768 },
      hasTouch: true,
    });
    const { page } = watched;
    const fireIncident = incidentOf(page, fireA[0].id);
    await fireIncident.waitFor();
    expect(await fireIncident.locator('.incident-count').textContent()).toBe('30 alertes');
    expect(await fireIncident.locator('button.resolve-all').textContent()).toBe('Tout résoudre (30)');
    expect(await fireIncident.locator(':scope > details > summary').textContent()).toBe(
      'Les 30 alertes, une par une',
    );
    await expectNoSidewaysScroll(page);
    expect(await smallTargets(page.locator('#active-alerts :is(button, textarea, summary)'), 44)).toEqual([]);
    await fireIncident.locator(':scope > details > summary').tap();
    await page.locator(`.alert-card[data-alert-id="${fireA[5].id}"]`).waitFor();
    await expectNoSidewaysScroll(page);
    expectNoErrors(watched);
  });

  it("reads the timelines of an incident's alerts when its list opens, not periodically while nobody sees them", async () => {
    const watched = await dashboards.open(post, cookie, { viewport: SCREEN });
    const { page } = watched;
    const fireIds = new Set(fireA.map((alert) => alert.id));
    const timelineOf = (url: string) => /\/alerts\/([^/]+)\/timeline$/.exec(new URL(url).pathname)?.[1];
    const reads = requestsMatching(page, (url) => fireIds.has(timelineOf(url) ?? ''));
    const otherReads = requestsMatching(page, (url) => !fireIds.has(timelineOf(url) ?? fireA[0].id));
    const fireIncident = incidentOf(page, fireA[0].id);
    await fireIncident.waitFor();
    // Each card reads its timeline once when it is made.
    await page.waitForFunction(() => document.querySelectorAll('.alert-timeline[data-loaded]').length >= 40);
    const before = reads.length;
    const othersBefore = otherReads.length;
    // The periodic re-read (every 10 s) takes the cards in view, not those in the closed list.
    await page.waitForTimeout(11_000);
    const inView = await page.locator('#active-alerts > .alert-card').count();
    expect(inView).toBeGreaterThan(0);
    expect(otherReads.length - othersBefore).toBeGreaterThanOrEqual(inView);
    expect(reads.length).toBe(before);
    await fireIncident.locator(':scope > details > summary').click();
    for (let waited = 0; reads.length - before < 30 && waited < 5_000; waited += 50)
      await page.waitForTimeout(50);
    await page.waitForTimeout(300); // and no more than once each
    expect(reads.length - before).toBe(30);
    expectNoErrors(watched);
  });

  it('stays within three screens with 300 devices and 40 alerts (test-artifacts/dashboard-scale.png)', async () => {
    const watched = await dashboards.open(post, cookie, { viewport: SCREEN });
    const { page } = watched;
    await incidentOf(page, fireA[0].id).waitFor();
    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(REPO_ROOT, 'test-artifacts/dashboard-scale.png'), fullPage: true });
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    expect(height).toBeLessThanOrEqual(3 * SCREEN.height);
    // The history and the chart are on the page, not pushed below thousands of pixels.
    for (const section of ['.stats', '.history']) {
      const top = await page
        .locator(section)
        .evaluate((node) => node.getBoundingClientRect().top + window.scrollY);
      expect({ section, top: top < 3 * SCREEN.height }).toEqual({ section, top: true });
    }
    expectNoErrors(watched);
  });
});

function rank(severity: string | null): number {
  return ['critical', 'warning', 'info'].indexOf(severity ?? '');
}
