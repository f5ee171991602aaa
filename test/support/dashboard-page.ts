import type { BrowserContext, Locator, Page, Request, Response, Route } from 'playwright-core';
import { BrowserSession, UI_TIMEOUT_MS, WatchedPage } from './browser';
import { PASSWORD, Post, SESSION_COOKIE } from './security-post';

/**
 * The security-post dashboard as its browser tests drive and read it: the page's hooks (ids,
 * classes and data attributes), the operator's gestures (sign in, handle an alert, Tab through
 * the page), and what the tests watch (errors, requests, live streams, focus, touch targets).
 */

export function card(page: Page, id: string, status?: 'open' | 'acknowledged'): Locator {
  const withStatus = status ? `[data-status="${status}"]` : '';
  return page.locator(`#active-alerts .alert-card[data-alert-id="${id}"]${withStatus}`);
}

export function historyRow(page: Page, id: string): Locator {
  return page.locator(`#history .history-row[data-alert-id="${id}"]`);
}

/**
 * A device's row: in the list of devices that need attention (the default: healthy devices
 * have no row there), or in the results of the devices search.
 */
export function deviceRow(
  page: Page,
  id: string,
  status?: 'online' | 'offline',
  list: 'problems' | 'results' = 'problems',
): Locator {
  const withStatus = status ? `[data-status="${status}"]` : '';
  return page.locator(`#device-${list} .device[data-device-id="${id}"]${withStatus}`);
}

/** Types `query` in the devices search (replacing what was there); its results follow. */
export async function searchDevices(page: Page, query: string): Promise<void> {
  await page.locator('#device-search').fill(query);
}

/** The devices badge: how many devices need attention. */
export function problemBadge(page: Page): Locator {
  return page.locator('#device-problem-count');
}

export async function waitConnected(page: Page, timeout = UI_TIMEOUT_MS): Promise<void> {
  await page.locator('#connection-state[data-state="connected"]').waitFor({ state: 'attached', timeout });
}

/** The tab title starts with "(count)" (the open count). */
export async function waitTitleCount(page: Page, count: number): Promise<void> {
  await page
    .waitForFunction((n) => document.title.startsWith(`(${n})`), count, { timeout: UI_TIMEOUT_MS })
    .catch(async (error: Error) => {
      throw new Error(`title should start with "(${count})", is "${await page.title()}": ${error.message}`);
    });
}

/** The active board as [id, status] pairs, in the page's order. */
export function activeBoard(page: Page): Promise<Array<[string | null, string | null]>> {
  return page
    .locator('#active-alerts .alert-card')
    .evaluateAll((cards) =>
      cards.map((c) => [c.getAttribute('data-alert-id'), c.getAttribute('data-status')]),
    );
}

export interface BoardItem {
  kind: 'alert' | 'incident';
  type: string | null;
  status: string | null;
  severity: string | null;
  /** How many alerts the item holds (1 for an alert's own card). */
  alerts: number;
}

/** The cards at the top level of the active board, in the page's order: alerts alone and incidents. */
export function activeBoardItems(page: Page): Promise<BoardItem[]> {
  return page.locator('#active-alerts > .alert-card, #active-alerts > .incident-card').evaluateAll((nodes) =>
    nodes.map((node) => ({
      kind: node.classList.contains('incident-card') ? ('incident' as const) : ('alert' as const),
      type: node.getAttribute('data-type'),
      status: node.getAttribute('data-status'),
      severity: node.getAttribute('data-severity'),
      alerts: node.classList.contains('incident-card') ? node.querySelectorAll('.alert-card').length : 1,
    })),
  );
}

export async function text(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? '';
}

export interface OpenOptions {
  locale?: string;
  viewport?: { width: number; height: number };
  hasTouch?: boolean;
}

/** Dashboards opened in the tests' Chromium, each in a fresh browser context. */
export class Dashboards {
  constructor(private readonly session: BrowserSession) {}

  /** A fresh browser context (another operator's browser), optionally already holding a session. */
  async newBrowser(post: Post, cookie: string | null, options: OpenOptions = {}): Promise<WatchedPage> {
    const watched = await this.session.newPage({ locale: 'en-US', ...options });
    if (cookie) {
      await watched.context.addCookies([
        { name: SESSION_COOKIE, value: cookie, url: post.url, httpOnly: true, sameSite: 'Strict' },
      ]);
    }
    return watched;
  }

  /** The dashboard in a fresh browser context holding `cookie`'s session: live (connected) before it returns. */
  async open(post: Post, cookie: string | null, options: OpenOptions = {}): Promise<WatchedPage> {
    const watched = await this.newBrowser(post, cookie, options);
    await watched.page.goto(post.url);
    await waitConnected(watched.page);
    return watched;
  }
}

/** Waits for the sign-in form; the board is hidden meanwhile. */
export async function waitSignInForm(page: Page): Promise<void> {
  await page.locator('#sign-in-form').waitFor({ state: 'visible' });
  expect(await page.locator('#board').isHidden()).toBe(true);
}

/** Signs in through the form (typed, then Enter) and waits for the live board. */
export async function signInWithForm(page: Page, name: string, password = PASSWORD): Promise<void> {
  await waitSignInForm(page);
  await page.locator('#sign-in-name').fill(name);
  await page.locator('#sign-in-password').fill(password);
  await page.locator('#sign-in-password').press('Enter');
  await waitConnected(page);
}

/** The session cookie the browser holds, if any (HttpOnly: the page's scripts never see it). */
export async function browserSessionOrNull(context: BrowserContext): Promise<string | null> {
  const cookie = (await context.cookies()).find((c) => c.name === SESSION_COOKIE);
  if (cookie) expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  return cookie?.value ?? null;
}

export async function browserSession(context: BrowserContext): Promise<string> {
  const cookie = await browserSessionOrNull(context);
  if (!cookie) throw new Error('the browser holds no session cookie');
  return cookie;
}

/** Keeps every EventSource the page makes in window.__eventSources (installed before the page loads). */
export async function watchEventSources(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const sources: EventSource[] = [];
    (window as unknown as { __eventSources: EventSource[] }).__eventSources = sources;
    const Native = window.EventSource;
    window.EventSource = class extends Native {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        sources.push(this);
      }
    };
  });
}

export function eventSources(page: Page): Promise<{ total: number; closed: number }> {
  return page.evaluate(() => {
    const sources = (window as unknown as { __eventSources: EventSource[] }).__eventSources;
    return {
      total: sources.length,
      closed: sources.filter((s) => s.readyState === EventSource.CLOSED).length,
    };
  });
}

/** The answers a page without a session meets by design: GET /auth/session, then GET /alerts (a lab bench?). */
export const SIGN_IN_PROBES = ['401 /auth/session', '401 /alerts'];

/**
 * No console error and no uncaught exception, except failed loads the test expects, given as
 * "STATUS /path" (or "ERR_NAME /path" for a network failure): Chromium logs every 4xx answer
 * to the console ("Failed to load resource"), and a page without a session gets some by design.
 */
export function expectNoErrors(watched: WatchedPage, expected: string[] = []): void {
  const consoleErrors = watched.consoleErrors.filter((line) => {
    const failed =
      /^Failed to load resource: (?:the server responded with a status of (\d+)|net::(\S+)).*\((http\S+):\d+\)$/.exec(
        line,
      );
    return !(failed && expected.includes(`${failed[1] ?? failed[2]} ${new URL(failed[3]).pathname}`));
  });
  expect({ consoleErrors, pageErrors: watched.pageErrors }).toEqual({ consoleErrors: [], pageErrors: [] });
}

/** The incident card holding an alert's card, if the alert was pressed with others of its type. */
export function incidentOf(page: Page, id: string): Locator {
  return page.locator(`#active-alerts .incident-card:has(.alert-card[data-alert-id="${id}"])`);
}

/** Opens, as an operator would, the list of the incident an alert's card is in (if it is in one). */
export async function reveal(page: Page, id: string): Promise<void> {
  await card(page, id).waitFor({ state: 'attached' });
  const incident = incidentOf(page, id);
  if ((await incident.count()) === 0) return;
  const list = incident.locator('details.incident-alerts');
  if (!(await list.evaluate((details) => (details as HTMLDetailsElement).open)))
    await list.locator('summary').first().click();
  await card(page, id).waitFor();
}

/** Acknowledges or resolves through the card, with a note, as the page's operator. */
export async function handle(
  page: Page,
  id: string,
  action: 'acknowledge' | 'resolve',
  note: string,
): Promise<void> {
  await reveal(page, id);
  const target = card(page, id);
  await target.locator('.alert-note').fill(note);
  await target.locator(`button.${action}`).click();
}

/** What has the keyboard focus: a description for messages, and whether its focus ring shows. */
export function focused(page: Page): Promise<{ matches: boolean; what: string; ring: boolean }> {
  return page.evaluate(() => {
    const active = document.activeElement;
    if (!(active instanceof HTMLElement) || active === document.body) {
      return { matches: false, what: 'nothing (body)', ring: false };
    }
    const style = getComputedStyle(active);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow !== 'none';
    const what = `${active.tagName.toLowerCase()}${active.id ? `#${active.id}` : ''}.${active.className}`;
    return { matches: active.matches(':focus-visible'), what, ring: outline || shadow };
  });
}

/** Presses Tab (or Shift+Tab) until `target` has the focus; fails after `max` presses. */
export async function tabTo(page: Page, target: Locator, max = 40, key = 'Tab'): Promise<number> {
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press(key);
    if (await target.evaluate((element) => element === document.activeElement)) return presses;
  }
  throw new Error(`not reached with ${max} Tab presses (focus on ${(await focused(page)).what})`);
}

/** Boxes of the visible controls of `scope` smaller than `min` CSS px in either dimension. */
export function smallTargets(scope: Locator, min: number): Promise<string[]> {
  return scope.evaluateAll(
    (elements, least) =>
      elements
        .filter((element) => element.getClientRects().length > 0)
        .map((element) => ({ element, box: element.getBoundingClientRect() }))
        .filter(({ box }) => box.width < least || box.height < least)
        .map(
          ({ element, box }) =>
            `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''}.${element.className} ` +
            `${Math.round(box.width)}×${Math.round(box.height)}`,
        ),
    min,
  );
}

/** The URLs of the requests the page makes from now on that pass `test`, filled as they go. */
export function requestsMatching(page: Page, test: (url: string) => boolean): string[] {
  const urls: string[] = [];
  page.on('request', (req: Request) => {
    if (test(req.url())) urls.push(req.url());
  });
  return urls;
}

/** The answers to the page's data requests (alerts, devices, the live stream) as "STATUS /path". */
export function dataAnswers(page: Page): string[] {
  const answers: string[] = [];
  page.on('response', (res: Response) => {
    const path = new URL(res.url()).pathname;
    if (/^\/(alerts|devices|events)/.test(path)) answers.push(`${res.status()} ${path}`);
  });
  return answers;
}

/** The page fits its width: no sideways scroll. Returns that width. */
export async function expectNoSidewaysScroll(page: Page): Promise<number> {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
  return clientWidth;
}

/** Answers a sign-in as the server does after too many attempts: 429 with a Retry-After. */
export function tooManySignIns(route: Route): Promise<void> {
  return route.fulfill({
    status: 429,
    headers: { 'Retry-After': '90', 'Content-Type': 'application/json' },
    body: JSON.stringify({ statusCode: 429, message: 'too many sign-in attempts from this address' }),
  });
}
