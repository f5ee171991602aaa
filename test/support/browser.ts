import { existsSync } from 'node:fs';
import net from 'node:net';
import { Browser, BrowserContext, BrowserContextOptions, Page, chromium } from 'playwright-core';

/**
 * Browser tests with `playwright-core` driving Debian's Chromium (never a downloaded browser:
 * `npx playwright install` is not used). `npm test` installs the `chromium` package first.
 */
export const CHROMIUM_PATH = process.env.VIGIE_CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The default wait of every browser step: generous for a loaded CI machine, short enough to fail fast. */
export const UI_TIMEOUT_MS = 10_000;

/** One headless Chromium, for one spec file (`beforeAll`); close it with `BrowserSession.close`. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} is missing: npm test installs it (scripts/test-tools.js), or apt-get install -y chromium`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}

/** A page and what went wrong in it: console errors and uncaught exceptions. */
export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** `console.error` calls and failed resource loads, with where they came from. */
  consoleErrors: string[];
  /** Uncaught exceptions and unhandled rejections (`pageerror`). */
  pageErrors: string[];
}

/**
 * The browser of a spec file and the contexts its tests opened. Each `newPage` is a fresh context
 * (its own storage, like another operator's browser); `closeContexts` (afterEach) closes them all,
 * also after a failed test, and `close` (afterAll) closes the browser.
 */
export class BrowserSession {
  private readonly contexts = new Set<BrowserContext>();

  private constructor(readonly browser: Browser) {}

  static async launch(): Promise<BrowserSession> {
    return new BrowserSession(await launchChromium());
  }

  async newPage(options: BrowserContextOptions = {}): Promise<WatchedPage> {
    const context = await this.browser.newContext({
      locale: 'en-US',
      timezoneId: 'Europe/Paris',
      viewport: { width: 1280, height: 900 },
      ...options,
    });
    this.contexts.add(context);
    context.setDefaultTimeout(UI_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(UI_TIMEOUT_MS);
    const page = await context.newPage();
    const watched: WatchedPage = { page, context, consoleErrors: [], pageErrors: [] };
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const { url, lineNumber } = message.location();
      watched.consoleErrors.push(`${message.text()}${url ? ` (${url}:${lineNumber})` : ''}`);
    });
    page.on('pageerror', (error) => watched.pageErrors.push(error.stack ?? error.message));
    // A confirmation before acknowledging or resolving is fair UX: accept it rather than let
    // Playwright dismiss it silently (which would cancel the action and look like a page bug).
    page.on('dialog', (dialog) => void dialog.accept().catch(() => undefined));
    return watched;
  }

  /** Closes every context (and its pages) opened since the last call. */
  async closeContexts(): Promise<void> {
    const open = [...this.contexts];
    this.contexts.clear();
    await Promise.all(open.map((context) => context.close().catch(() => undefined)));
  }

  async close(): Promise<void> {
    await this.closeContexts();
    await this.browser.close().catch(() => undefined);
  }
}

/** A TCP port free right now on 127.0.0.1 (for a server that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}
