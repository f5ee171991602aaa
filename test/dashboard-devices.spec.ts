import http from 'node:http';
import type { Page } from 'playwright-core';
import { BrowserSession, UI_TIMEOUT_MS, WatchedPage } from './support/browser';
import {
  Dashboards,
  deviceRow,
  expectNoErrors,
  expectNoSidewaysScroll,
  focused,
  problemBadge,
  requestsMatching,
  searchDevices,
  smallTargets,
  tabTo,
  text,
} from './support/dashboard-page';
import { Post } from './support/security-post';
import { cleanupServerProcesses, request } from './support/server-process';

/**
 * The devices panel at the scale of a school (issue "The security post at scale: 300 buttons"),
 * in Debian's Chromium against the real, built server on a lab bench (VIGIE_AUTH=off: devices
 * heartbeat without tokens). 300 classroom buttons beat all along; a few devices have a
 * problem: never seen (a token, made through the enrollment API, never used to speak), a spool
 * backlog, an outdated agent, offline. The panel counts them all, lists only the problems, finds
 * any device by search, and follows live events by updating rows in place.
 *
 * Devices go offline after 6 s of silence here (2 s elsewhere): 300 devices beating every 2 s
 * are 150 requests a second, which a shared 2-core machine serves without ever being late
 * enough to make a healthy device look offline.
 */

/** What a page on a lab bench meets by design: it asks for a session first (there is none). */
const LAB_PROBES = ['401 /auth/session'];
const OFFLINE_AFTER_S = 6;
const BEAT_EVERY_MS = 2000;
const FLEET_SIZE = 300;
/** The live offline event comes within the offline window plus a liveness check and the stream. */
const OFFLINE_SHOWN_MS = (OFFLINE_AFTER_S + 4) * 1000;

interface Beating {
  id: string;
  location: string;
  spoolDepth: number;
  agentVersion: string;
}

const classroom = (n: number) => `pi-classe-${String(n).padStart(3, '0')}`;
/** Rooms found by name in the search (typed without their accent or case). */
const REFECTOIRE = classroom(42);
const MUSIQUE = classroom(137);
/** Beating, with a problem each: a spool backlog, an outdated agent. */
const BACKLOG = [classroom(7), classroom(8)];
const OUTDATED = [classroom(9), classroom(10)];
/** Enrolled (a token) but never spoke. */
const NEVER_SEEN = ['pi-cantine-01', 'pi-gymnase-01', 'pi-preau-01'];
/** Spoke once, then silent: offline. */
const SILENT = 'pi-couloir-01';

/** Heartbeats of many devices through a few kept-alive connections, until `stop`. */
class Fleet {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  /** Devices whose heartbeats are held back (gone silent). */
  readonly paused = new Set<string>();
  readonly failures: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly post: Post,
    readonly devices: Beating[],
  ) {}

  /** One heartbeat from every device not paused, answered. */
  async beat(only?: string[]): Promise<void> {
    const beating = this.devices.filter((d) => (only ? only.includes(d.id) : !this.paused.has(d.id)));
    await Promise.all(
      beating.map(async ({ id, ...report }) => {
        const answer = await request(
          this.post.url,
          'PUT',
          `/devices/${id}/heartbeat`,
          { ...report, uptimeSeconds: 3600 },
          { agent: this.agent },
        ).catch((error: Error) => ({ status: 0, text: error.message }));
        if (answer.status !== 204) this.failures.push(`${id}: ${answer.status} ${answer.text}`);
      }),
    );
  }

  /** Beats every BEAT_EVERY_MS (from the start of one round to the next) until `stop`. */
  start(): void {
    const round = (): void => {
      const started = Date.now();
      void this.beat().then(() => {
        const wait = Math.max(0, BEAT_EVERY_MS - (Date.now() - started));
        if (!this.stopped) this.timer = setTimeout(round, wait);
      });
    };
    this.timer = setTimeout(round, BEAT_EVERY_MS);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.agent.destroy();
  }
}

let session: BrowserSession | undefined;
let dashboards: Dashboards;
let lab: Post;
let fleet: Fleet | undefined;
let currentAgent: string;
/** The problem devices are made once, by the first test that needs them. */
let problemsMade: Promise<void> | null = null;

beforeAll(async () => {
  const setUp = async () => {
    lab = await Post.start({ VIGIE_AUTH: 'off', VIGIE_DEVICE_OFFLINE_AFTER_S: String(OFFLINE_AFTER_S) });
    currentAgent = ((await request(lab.url, 'GET', '/agent/version')).json as { version: string }).version;
    const devices: Beating[] = Array.from({ length: FLEET_SIZE }, (_, i) => {
      const id = classroom(i + 1);
      const location =
        id === REFECTOIRE ? 'Réfectoire' : id === MUSIQUE ? 'Salle de Musique, 2e étage' : `Classe ${i + 1}`;
      return { id, location, spoolDepth: 0, agentVersion: currentAgent };
    });
    fleet = new Fleet(lab, devices);
    await fleet.beat();
    fleet.start();
  };
  const [browser, started] = await Promise.allSettled([BrowserSession.launch(), setUp()]);
  if (browser.status === 'fulfilled') {
    session = browser.value;
    dashboards = new Dashboards(session);
  }
  for (const result of [browser, started]) if (result.status === 'rejected') throw result.reason;
}, 30_000);

afterEach(async () => {
  await session?.closeContexts();
});

afterAll(async () => {
  fleet?.stop();
  await session?.close();
  await cleanupServerProcesses();
});

/** Enrolls the never-seen devices, makes the backlog and outdated ones, and one offline. */
function makeProblems(): Promise<void> {
  problemsMade ??= (async () => {
    const f = fleet!;
    for (const d of f.devices) {
      if (BACKLOG.includes(d.id)) d.spoolDepth = 3;
      if (OUTDATED.includes(d.id)) d.agentVersion = '0.0.9';
    }
    f.devices.push({ id: SILENT, location: 'Couloir B', spoolDepth: 0, agentVersion: currentAgent });
    await Promise.all([
      f.beat([...BACKLOG, ...OUTDATED, SILENT]).then(() => f.paused.add(SILENT)),
      ...NEVER_SEEN.map(async (deviceId) => {
        const made = await request(lab.url, 'POST', '/devices/enrollments', {
          deviceId,
          location: 'Bâtiment C',
        });
        expect(made.status).toBe(201);
        const enrolled = await request(lab.url, 'POST', '/devices/enroll', {
          code: (made.json as { code: string }).code,
        });
        expect(enrolled.status).toBe(201);
      }),
    ]);
    // Offline once its window has passed, as the server says.
    const deadline = Date.now() + OFFLINE_SHOWN_MS;
    for (;;) {
      const devices = (await request(lab.url, 'GET', '/devices')).json as Array<{
        id: string;
        status: string;
      }>;
      if (devices.find((d) => d.id === SILENT)?.status === 'offline') break;
      if (Date.now() > deadline) throw new Error(`${SILENT} still not offline`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return problemsMade;
}

async function open(options: { locale?: string } = {}): Promise<WatchedPage> {
  return dashboards.open(lab, null, { viewport: { width: 1920, height: 1080 }, ...options });
}

/** Waits until the counts at the top of the section read `expected`. */
async function waitCounts(
  page: Page,
  expected: Record<string, number>,
  timeout = UI_TIMEOUT_MS,
): Promise<void> {
  const read = () =>
    page.evaluate(() => {
      const counts: Record<string, string | null | undefined> = {};
      for (const item of document.querySelectorAll<HTMLElement>('#device-counts [data-count]')) {
        counts[item.dataset.count ?? ''] = item.querySelector('.device-count-n')?.textContent;
      }
      return counts;
    });
  await page
    .waitForFunction(
      (want) =>
        Object.entries(want).every(
          ([name, n]) =>
            document.querySelector(`#device-counts [data-count="${name}"] .device-count-n`)?.textContent ===
            String(n),
        ),
      expected,
      { timeout },
    )
    .catch(async (error: Error) => {
      throw new Error(
        `counts should be ${JSON.stringify(expected)}, are ${JSON.stringify(await read())}: ${error.message}`,
      );
    });
}

/** The ids of the rows of a list, in the page's order. */
function rowIds(page: Page, list: 'problems' | 'results'): Promise<string[]> {
  return page
    .locator(`#device-${list} .device`)
    .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-device-id') ?? ''));
}

/** The badge is red (the danger colour) or neutral (the other counts' colour). */
async function badgeIsRed(page: Page): Promise<boolean> {
  return problemBadge(page).evaluate(
    (badge) => getComputedStyle(badge).backgroundColor === 'rgb(230, 57, 70)',
  );
}

const HEALTHY_FLEET = { online: FLEET_SIZE, offline: 0, neverSeen: 0, backlog: 0, outdated: 0 };

describe('devices panel with 300 buttons (browser)', () => {
  it('300 healthy devices: counted, none listed, the badge a neutral 0, the section small', async () => {
    const watched = await open();
    const { page } = watched;
    await waitCounts(page, HEALTHY_FLEET);
    expect(await page.locator('#devices .device').count()).toBe(0);
    expect(await text(page.locator('#device-problems-status'))).toBe(
      `No device needs attention (${FLEET_SIZE} online).`,
    );
    expect(await text(problemBadge(page))).toBe('0');
    expect(await badgeIsRed(page)).toBe(false);
    const box = await page.locator('section.devices').boundingBox();
    expect(box!.height).toBeLessThan(600);
    // The history's device filter knows every device.
    expect(await page.locator('#history-device option').count()).toBe(FLEET_SIZE + 1);
    expect(fleet!.failures).toEqual([]);
    expectNoErrors(watched, LAB_PROBES);
  });

  it('finds any device by id or by location, whatever the case and accents, and clears', async () => {
    const watched = await open();
    const { page } = watched;
    await waitCounts(page, { online: FLEET_SIZE });
    const search = page.locator('#device-search');
    // Reached with the keyboard, its focus shown, its label visible.
    await tabTo(page, search, 60);
    expect(await focused(page)).toMatchObject({ matches: true, ring: true });
    expect(await text(page.locator('label[for="device-search"]'))).toBe('Find a device (id or location)');
    expect(await search.getAttribute('type')).toBe('search');

    await page.keyboard.type('PI-CLASSE-123');
    await deviceRow(page, classroom(123), 'online', 'results').waitFor();
    expect(await rowIds(page, 'results')).toEqual([classroom(123)]);
    expect(await text(page.locator('#device-search-status'))).toBe('Devices found: 1');
    const row = deviceRow(page, classroom(123), 'online', 'results');
    expect(await text(row.locator('.device-location'))).toBe('Classe 123');
    expect(await text(row.locator('.device-last-seen'))).toMatch(/^Last seen /);

    await searchDevices(page, 'refectoire');
    await page.waitForFunction(
      (id) => document.querySelector('#device-results .device')?.getAttribute('data-device-id') === id,
      REFECTOIRE,
    );
    expect(await rowIds(page, 'results')).toEqual([REFECTOIRE]);
    await searchDevices(page, 'MUSIQUE ÉTAGE');
    await deviceRow(page, MUSIQUE, 'online', 'results').waitFor();
    expect(await rowIds(page, 'results')).toEqual([MUSIQUE]);

    // A short query matching hundreds: capped, and says so.
    await searchDevices(page, 'classe');
    await page.waitForFunction(() => document.querySelectorAll('#device-results .device').length === 50);
    expect(await text(page.locator('#device-search-status'))).toBe(
      `Devices found: ${FLEET_SIZE}, the first 50 shown: type more to narrow the search`,
    );
    await searchDevices(page, 'nowhere');
    await page.waitForFunction(() => document.querySelectorAll('#device-results .device').length === 0);
    expect(await text(page.locator('#device-search-status'))).toBe('No device matches “nowhere”');

    await searchDevices(page, '');
    expect(await page.locator('#devices .device').count()).toBe(0);
    expect(await text(page.locator('#device-search-status'))).toBe('');
    expectNoErrors(watched, LAB_PROBES);
  });

  it('counts and lists the devices that need attention, most serious first, each saying what is wrong', async () => {
    await makeProblems();
    const watched = await open();
    const { page } = watched;
    await waitCounts(page, { online: FLEET_SIZE, offline: 1, neverSeen: 3, backlog: 2, outdated: 2 });
    expect(await rowIds(page, 'problems')).toEqual([SILENT, ...NEVER_SEEN, ...BACKLOG, ...OUTDATED]);
    // No row for a healthy device: only the 8 problems are drawn.
    expect(await page.locator('#devices .device').count()).toBe(8);
    expect(await text(problemBadge(page))).toBe('8');
    expect(await badgeIsRed(page)).toBe(true);

    const silent = deviceRow(page, SILENT, 'offline');
    expect(await text(silent.locator('.device-last-seen'))).toMatch(/^No news since .+ \(\d+ s ago\)$/);
    const never = deviceRow(page, NEVER_SEEN[0], 'offline');
    expect(await never.getAttribute('data-never-seen')).toBe('');
    expect(await text(never.locator('.device-state'))).toBe('Never seen');
    expect(await text(never.locator('.device-last-seen'))).toBe(
      'Never seen: not installed or not started yet',
    );
    expect(await text(deviceRow(page, BACKLOG[0], 'online').locator('.device-spool'))).toBe(
      'Backlog: 3 waiting to be sent',
    );
    expect(await text(deviceRow(page, OUTDATED[0], 'online').locator('.device-outdated'))).toBe(
      `agent ${currentAgent} available: run the install command again`,
    );
    expect(fleet!.failures).toEqual([]);
    expectNoErrors(watched, LAB_PROBES);
  });

  it('fits a 768×1024 touch tablet with the problems and a search shown: no sideways scroll, 44 px targets', async () => {
    await makeProblems();
    const watched = await dashboards.open(lab, null, {
      viewport: { width: 768, height: 1024 },
      hasTouch: true,
    });
    const { page } = watched;
    await waitCounts(page, { neverSeen: 3, backlog: 2 });
    await page.locator('#device-search').tap();
    await page.keyboard.type('salle');
    await deviceRow(page, MUSIQUE, 'online', 'results').waitFor();
    await expectNoSidewaysScroll(page);
    expect(await smallTargets(page.locator('#devices input, #devices button'), 44)).toEqual([]);
    expectNoErrors(watched, LAB_PROBES);
  });

  it('says it in French too', async () => {
    await makeProblems();
    const watched = await open({ locale: 'fr-FR' });
    const { page } = watched;
    await waitCounts(page, { neverSeen: 3 });
    expect(await text(page.locator('#device-problems-title'))).toBe('À vérifier');
    expect(await text(page.locator('label[for="device-search"]'))).toBe(
      'Chercher un boîtier (identifiant ou lieu)',
    );
    expect(await text(page.locator('[data-count="neverSeen"] span[data-i18n]'))).toBe('Jamais vus');
    expect(await text(deviceRow(page, BACKLOG[0]).locator('.device-spool'))).toBe('En attente d’envoi : 3');
    await searchDevices(page, 'réfectoire');
    await deviceRow(page, REFECTOIRE, 'online', 'results').waitFor();
    expect(await text(page.locator('#device-search-status'))).toBe('Boîtiers trouvés : 1');
    expectNoErrors(watched, LAB_PROBES);
  });

  it('follows live events in place: a device going offline is listed at once, back online it goes; no row re-created', async () => {
    await makeProblems();
    const watched = await open();
    const { page } = watched;
    const target = classroom(150);
    await waitCounts(page, { online: FLEET_SIZE, offline: 1, neverSeen: 3 });
    const rereads = requestsMatching(page, (url) => new URL(url).pathname === '/devices');
    // A search shown meanwhile: its rows are kept too, the target's updated in place.
    await searchDevices(page, 'pi-classe-15');
    await page.waitForFunction(() => document.querySelectorAll('#device-results .device').length === 10);
    // Marks on the elements drawn now: a re-created element would not carry them.
    await page.evaluate(() => {
      for (const row of document.querySelectorAll('#devices .device'))
        (row as unknown as { mark: string }).mark = 'kept';
      const option = document.querySelector('#history-device option[value="pi-classe-001"]');
      (option as unknown as { mark: string }).mark = 'kept';
    });

    fleet!.paused.add(target);
    const offline = deviceRow(page, target, 'offline');
    await offline.waitFor({ timeout: OFFLINE_SHOWN_MS });
    // Within the window, not from a periodic re-read: the live event did it.
    expect(rereads).toEqual([]);
    expect(await text(problemBadge(page))).toBe('9');
    await waitCounts(page, { online: FLEET_SIZE - 1, offline: 2 });
    expect((await rowIds(page, 'problems')).slice(0, 2)).toEqual([target, SILENT].sort());
    await deviceRow(page, target, 'offline', 'results').waitFor();

    const marks = () =>
      page.evaluate(() => ({
        rows: [...document.querySelectorAll('#devices .device')]
          .filter((row) => (row as unknown as { mark?: string }).mark !== 'kept')
          .map((row) => `${row.parentElement?.id} ${row.getAttribute('data-device-id')}`),
        option: (
          document.querySelector('#history-device option[value="pi-classe-001"]') as unknown as {
            mark?: string;
          }
        )?.mark,
      }));
    // Every row drawn before is the same element (the target's search row included); only the
    // target's new problem row is new.
    expect(await marks()).toEqual({ rows: [`device-problems ${target}`], option: 'kept' });

    fleet!.paused.delete(target);
    await offline.waitFor({ state: 'detached', timeout: BEAT_EVERY_MS + UI_TIMEOUT_MS });
    await waitCounts(page, { online: FLEET_SIZE, offline: 1 });
    expect(await text(problemBadge(page))).toBe('8');
    await deviceRow(page, target, 'online', 'results').waitFor();
    expect(await marks()).toEqual({ rows: [], option: 'kept' });
    expect(rereads).toEqual([]);
    expect(fleet!.failures).toEqual([]);
    expectNoErrors(watched, LAB_PROBES);
  }, 45_000);
});
