import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert, TimelineEntry } from '@app/contracts';
import { eventually } from '../apps/alert-server/test/support/eventually';
import { HttpReceiver } from '../apps/alert-server/test/support/receivers/http-receiver';
import { BrowserSession } from './support/browser';
import { Dashboards, card, expectNoErrors, handle, historyRow, text } from './support/dashboard-page';
import { REQUIRED_ENV, Post, asOperator, postAlert, resolveAllActive } from './support/security-post';
import { cleanupServerProcesses, makeTempDir, request } from './support/server-process';

/**
 * Who was told of an alert, on the dashboard, in Debian's Chromium against the built server with
 * a notification file: each active alert's card sums up and lists its timeline (channels told,
 * failures, escalation), a resolved alert's history row opens it, and the history's CSV carries
 * the acknowledgement delay and the channels notified. The receivers are real HTTP servers:
 * one accepts, one answers 500, one is told at step 2.
 */

/** Timelines are read again every 10 s on the page: a notification shows within one refresh. */
const TIMELINE_WAIT_MS = 25_000;
const DEVICE = 'pi-labo-07';

let session: BrowserSession | undefined;
let dashboards: Dashboards;
let post: Post;
let marie: string;
let hook: HttpReceiver;
let broken: HttpReceiver;
let later: HttpReceiver;

beforeAll(async () => {
  const setUp = async () => {
    hook = await HttpReceiver.start();
    broken = await HttpReceiver.start(() => ({ status: 500, body: 'down for maintenance' }));
    later = await HttpReceiver.start();
    const dir = makeTempDir('vigie-dashboard-timeline-');
    const file = join(dir, 'notify.yml');
    const webhook = (receiver: HttpReceiver) =>
      `{ webhook: { url: "${receiver.url('/vigie')}", secret: "\${HOOK_SECRET}" } }`;
    writeFileSync(
      file,
      [
        'channels:',
        `  hook: ${webhook(hook)}`,
        `  broken: ${webhook(broken)}`,
        `  later: ${webhook(later)}`,
        'escalation:',
        '  - match: { type: [fire] }',
        '    steps:',
        '      - { after: 0s, notify: [hook, broken] }',
        '      - { after: 3s, notify: [later] }',
        '',
      ].join('\n'),
    );
    post = await Post.start({
      ...REQUIRED_ENV,
      VIGIE_NOTIFY_FILE: file,
      HOOK_SECRET: 'whsec_' + 'a'.repeat(32),
    });
    await post.authorization(DEVICE);
    marie = await post.signIn('Marie');
  };
  const [browser, started] = await Promise.allSettled([BrowserSession.launch(), setUp()]);
  if (browser.status === 'fulfilled') {
    session = browser.value;
    dashboards = new Dashboards(session);
  }
  for (const result of [browser, started]) if (result.status === 'rejected') throw result.reason;
}, 60_000);

beforeEach(async () => {
  await resolveAllActive(post, marie);
});

afterEach(async () => {
  await session?.closeContexts();
});

afterAll(async () => {
  await session?.close();
  await cleanupServerProcesses();
  for (const receiver of [hook, broken, later]) await receiver?.close();
});

async function timeline(id: string): Promise<TimelineEntry[]> {
  const answer = await asOperator(post, marie, 'GET', `/alerts/${id}/timeline`);
  expect(answer.status).toBe(200);
  return answer.json as TimelineEntry[];
}

describe('alert timeline on the dashboard (browser)', () => {
  it('sums up on each card who was told, what failed and the step reached, and lists it in order', async () => {
    const watched = await dashboards.open(post, marie);
    const { page } = watched;
    const alert = await postAlert(post, { deviceId: DEVICE, type: 'fire', location: 'Labo 7' });
    const shown = card(page, alert.id);
    const summary = shown.locator('.timeline-summary');

    // Step 1 at once: hook accepts, broken answers 500 (and is retried); step 2 after 3 s.
    await eventually(
      async () => expect(await text(summary)).toBe('Notified: hook, later · failed: broken · step 2'),
      {
        timeoutMs: TIMELINE_WAIT_MS,
        intervalMs: 200,
      },
    );

    await shown.locator('.alert-timeline summary').click();
    const entries = shown.locator('.timeline-entry');
    const kinds = await entries.evaluateAll((items) =>
      items.map((item) => [item.getAttribute('data-kind'), item.getAttribute('data-channel')]),
    );
    // What the page lists is what the server's timeline holds, in its order. The broken channel
    // keeps being retried: whichever of the page and this read came later may hold one more.
    const stored = await timeline(alert.id);
    const both = Math.min(kinds.length, stored.length);
    expect(kinds.slice(0, both)).toEqual(
      stored.slice(0, both).map((entry) => [entry.kind, entry.channel ?? null]),
    );
    expect(kinds).toEqual(
      expect.arrayContaining([
        ['received', null],
        ['escalated', null],
        ['notification.sent', 'hook'],
        ['notification.failed', 'broken'],
        ['notification.sent', 'later'],
      ]),
    );
    const failure = shown.locator('.timeline-entry.timeline-failed[data-channel="broken"]').first();
    expect(await text(failure)).toContain('Notification on broken failed');
    expect(await text(failure)).toContain('500');
    expect(await text(shown.locator('.timeline-entry[data-kind="escalated"]').nth(1))).toContain(
      'Escalated to step 2',
    );

    // Acknowledging ends the escalation: the entry shows at once, with the operator.
    await handle(page, alert.id, 'acknowledge', 'On my way');
    await card(page, alert.id, 'acknowledged').waitFor();
    const acknowledged = shown.locator('.timeline-entry[data-kind="acknowledged"]');
    await acknowledged.waitFor({ timeout: 5_000 });
    expect(await text(acknowledged)).toContain('Marie');
    expect(await text(acknowledged)).toContain('On my way');
    expectNoErrors(watched);
  });

  it('lists what the button showed the person, in the page’s language: “help is coming”', async () => {
    const alert = await postAlert(post, { deviceId: DEVICE, type: 'fire', location: 'Labo 7' });
    // The agent's report, as it sends it with a heartbeat once its light showed each state.
    const at = (ms: number) => new Date(Date.parse(alert.receivedAt) + ms).toISOString();
    const reported = await request(
      post.url,
      'PUT',
      `/devices/${DEVICE}/heartbeat`,
      {
        feedback: [
          { alertId: alert.id, state: 'stored', at: at(5) },
          { alertId: alert.id, state: 'acknowledged', at: at(900) },
        ],
      },
      { headers: await post.authorization(DEVICE) },
    );
    expect(reported.status).toBe(204);

    for (const [locale, stored, acknowledged] of [
      ['en-GB', 'Shown on the button — alert received', 'Shown on the button — help is coming'],
      ['fr-FR', 'Affichée sur le bouton — alerte reçue', 'Affichée sur le bouton — les secours arrivent'],
    ]) {
      const watched = await dashboards.open(post, marie, { locale });
      const shown = card(watched.page, alert.id);
      await shown.locator('.alert-timeline summary').click();
      const entries = shown.locator('.timeline-entry[data-kind="device.feedback"]');
      await eventually(async () => expect(await entries.count()).toBe(2), { timeoutMs: TIMELINE_WAIT_MS });
      expect(await text(entries.nth(0))).toContain(stored);
      expect(await text(entries.nth(1))).toContain(acknowledged);
      expectNoErrors(watched);
    }
  });

  it('speaks French to a French browser', async () => {
    const watched = await dashboards.open(post, marie, { locale: 'fr-FR' });
    const alert = await postAlert(post, { deviceId: DEVICE, type: 'fire', location: 'Labo 7' });
    const summary = card(watched.page, alert.id).locator('.timeline-summary');
    await eventually(
      async () => expect(await text(summary)).toBe('Prévenus : hook, later · échec : broken · étape 2'),
      {
        timeoutMs: TIMELINE_WAIT_MS,
        intervalMs: 200,
      },
    );
    expectNoErrors(watched);
  });

  it('opens a resolved alert’s timeline from its history row, and says so when it cannot be read', async () => {
    const alert = await postAlert(post, { deviceId: DEVICE, type: 'fire', location: 'Labo 7' });
    await eventually(async () =>
      expect((await timeline(alert.id)).map((entry) => entry.kind)).toContain('escalated'),
    );
    const done = await asOperator(post, marie, 'POST', `/alerts/${alert.id}/resolve`, {
      note: 'fausse alerte',
    });
    expect(done.status).toBe(200);

    const watched = await dashboards.open(post, marie);
    const { page } = watched;
    const row = historyRow(page, alert.id);
    const toggle = row.locator('button.history-timeline');
    await toggle.click();
    const opened = page.locator(`#history .history-timeline-row[data-alert-id="${alert.id}"]`);
    await opened.locator('.timeline-entry[data-kind="resolved"]').waitFor();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    expect(await text(opened.locator('.timeline-entry[data-kind="resolved"]'))).toContain('fausse alerte');
    await toggle.click();
    await opened.waitFor({ state: 'detached' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');

    // The server refusing the read: a readable error in the row, no timeline made up.
    await page.route('**/timeline', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: '{"message":"store unavailable"}',
      }),
    );
    await toggle.click();
    await eventually(async () =>
      expect(await text(opened)).toBe('Could not load Timeline: store unavailable'),
    );
    expect(await opened.locator('.timeline-entry').count()).toBe(0);
    expectNoErrors(watched, [`503 /alerts/${alert.id}/timeline`]);
  });

  it('exports the history as CSV with the acknowledgement delay and the channels notified', async () => {
    const told = await postAlert(post, { deviceId: DEVICE, type: 'fire', location: 'Labo 7' });
    await eventually(
      async () =>
        expect((await timeline(told.id)).filter((entry) => entry.kind === 'notification.sent')).toHaveLength(
          2,
        ),
      { timeoutMs: TIMELINE_WAIT_MS, intervalMs: 200 },
    );
    expect((await asOperator(post, marie, 'POST', `/alerts/${told.id}/acknowledge`, {})).status).toBe(200);
    expect((await asOperator(post, marie, 'POST', `/alerts/${told.id}/resolve`, {})).status).toBe(200);
    // A drill: no rule, nobody told, never acknowledged.
    const drill = await postAlert(post, { deviceId: DEVICE, type: 'test' });
    expect((await asOperator(post, marie, 'POST', `/alerts/${drill.id}/resolve`, {})).status).toBe(200);

    const watched = await dashboards.open(post, marie);
    const { page } = watched;
    await historyRow(page, drill.id).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#export-csv').click(),
    ]);
    const csv = readFileSync(await download.path(), 'utf8').replace(/^\ufeff/, '');
    const [header, ...lines] = csv.trimEnd().split('\r\n');
    const columns = header.split(',');
    const field = (id: string, name: string) => {
      const line = lines.find((candidate) => candidate.startsWith(`${id},`));
      if (!line) throw new Error(`${id} missing from the CSV`);
      // The fields read here hold no quoted separator.
      return line.split(',')[columns.indexOf(name)];
    };
    const stored = (await asOperator(post, marie, 'GET', `/alerts/${told.id}`)).json as Alert;
    const delay = Math.round(
      (Date.parse(stored.acknowledgedAt as string) - Date.parse(stored.receivedAt)) / 1000,
    );
    expect(field(told.id, 'acknowledgementDelaySeconds')).toBe(String(delay));
    expect(field(told.id, 'channelsNotified')).toBe('hook; later');
    expect(field(drill.id, 'acknowledgementDelaySeconds')).toBe('');
    expect(field(drill.id, 'channelsNotified')).toBe('');
    expectNoErrors(watched);
  });
});
