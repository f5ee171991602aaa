import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert, TimelineEntry } from '@app/contracts';
import { HttpReceiver, ReceivedRequest } from '../apps/alert-server/test/support/receivers/http-receiver';
import { verifyStandardWebhook } from '../apps/alert-server/test/support/receivers/webhook-verifier';
import { ServerProcess, cleanupServerProcesses, makeTempDir, request } from './support/server-process';

/**
 * The notification outbox across a crash of the built server: `kill -9` with escalation steps
 * due and sends in flight, then a restart on the same store file. Every step must reach its
 * receiver, the steps that fell due while the server was down included; only the sends that
 * were in flight are received twice, and with the same notification id (`webhook-id`), so a
 * receiver can drop the duplicate. Build first: `npm run build`.
 */

const ALERTS = 4;
/** Later than the kill can take even on a loaded machine, so these fall due while it is down. */
const STEP_2_AFTER_S = 8;
const STEP_3_AFTER_S = 12;
/** A claimed send's lease in the server: its send timeout (10 s) and a 5 s margin. */
const LEASE_MS = 15_000;

interface Told {
  type: string;
  step: number | null;
  alert: { id: string };
}

/** A request as its receiver saw it, once its Standard Webhooks signature has been checked. */
interface Received {
  id: string;
  channel: string;
  alertId: string;
  step: number | null;
  type: string;
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

afterAll(cleanupServerProcesses);

describe('notifications across a crash of the server', () => {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  let held: HttpReceiver;
  let prompt: HttpReceiver;
  let later: HttpReceiver;

  beforeAll(async () => {
    held = await HttpReceiver.start();
    prompt = await HttpReceiver.start();
    later = await HttpReceiver.start();
  });

  afterAll(async () => {
    for (const receiver of [held, prompt, later]) await receiver?.close();
  });

  const receivedBy = (channel: string, requests: ReceivedRequest[]): Received[] =>
    requests.map((req) => {
      const body = verifyStandardWebhook(secret, req) as Told;
      return {
        id: String(req.headers['webhook-id']),
        channel,
        alertId: body.alert.id,
        step: body.step,
        type: body.type,
      };
    });

  it('sends every due step after a restart, again only the sends in flight, with their ids', async () => {
    const file = join(makeTempDir(), 'notify.yml');
    writeFileSync(
      file,
      [
        'channels:',
        `  held: { webhook: { url: "${held.url('/vigie')}", secret: "\${HOOK_SECRET}" } }`,
        `  prompt: { webhook: { url: "${prompt.url('/vigie')}", secret: "\${HOOK_SECRET}" } }`,
        `  later: { webhook: { url: "${later.url('/vigie')}", secret: "\${HOOK_SECRET}" } }`,
        'escalation:',
        '  - match: {}',
        '    steps:',
        '      - { after: 0s, notify: [held, prompt] }',
        `      - { after: ${STEP_2_AFTER_S}s, notify: [later] }`,
        `      - { after: ${STEP_3_AFTER_S}s, notify: [later] }`,
      ].join('\n'),
    );
    const env = { VIGIE_NOTIFY_FILE: file, HOOK_SECRET: secret };
    held.hold();
    const server = await ServerProcess.start({ env });

    const alerts = await Promise.all(
      Array.from({ length: ALERTS }, async (_, n) => {
        const body = { id: randomUUID(), deviceId: `pi-crash-${n}`, type: 'fire' };
        const answer = await request(server.url, 'POST', '/alerts', body);
        if (answer.status !== 201) throw new Error(`POST /alerts answered ${answer.status}: ${answer.text}`);
        return answer.json as Alert;
      }),
    );
    const firstReceived = Math.min(...alerts.map((alert) => Date.parse(alert.receivedAt)));
    const lastReceived = Math.max(...alerts.map((alert) => Date.parse(alert.receivedAt)));

    // Step 1 in flight on `held`, and accepted and recorded on `prompt`: the server logs a send
    // only once it is stored as sent, so none of these may be received again.
    const promptSent = () =>
      server.logs().filter((entry) => entry.event === 'notification.sent' && entry.channel === 'prompt');
    await waitUntil(
      () => held.requests.length >= ALERTS && promptSent().length >= ALERTS,
      30_000,
      () =>
        `step 1 of ${ALERTS} alerts: ${held.requests.length} held, ${promptSent().length} recorded as sent\n${server.output()}`,
    );
    const killedAt = Date.now();
    expect(await server.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    if (killedAt >= firstReceived + STEP_2_AFTER_S * 1000) {
      throw new Error(`the machine is too slow for this test: step 2 was due before the kill`);
    }
    const inFlight = receivedBy('held', held.requests);
    const acceptedBeforeKill = receivedBy('prompt', prompt.requests);
    expect(inFlight).toHaveLength(ALERTS);
    expect(acceptedBeforeKill).toHaveLength(ALERTS);
    expect(later.requests).toEqual([]);
    // The receiver accepts what it held: the dead server never hears of it.
    held.release();

    // Down while steps 2 and 3 of every alert fall due.
    await waitUntil(
      () => Date.now() > lastReceived + STEP_3_AFTER_S * 1000 + 500,
      STEP_3_AFTER_S * 1000 + 5_000,
      () => 'the last step to fall due',
    );
    const restarted = await ServerProcess.start({ sqlitePath: server.sqlitePath, env });

    // Once every notification is recorded as sent, each receiver has had every request it should
    // get (a send is recorded only after its receiver accepted it).
    const expectedSends = (alertId: string) => [
      `${alertId} held 1`,
      `${alertId} prompt 1`,
      `${alertId} later 2`,
      `${alertId} later 3`,
    ];
    const timelines = new Map<string, TimelineEntry[]>();
    const missingSends = async () => {
      const missing: string[] = [];
      for (const alert of alerts) {
        const answer = await request(restarted.url, 'GET', `/alerts/${alert.id}/timeline`);
        if (answer.status !== 200)
          throw new Error(`timeline of ${alert.id}: ${answer.status} ${answer.text}`);
        const timeline = answer.json as TimelineEntry[];
        timelines.set(alert.id, timeline);
        const sent = timeline
          .filter((entry) => entry.kind === 'notification.sent')
          .map((entry) => `${alert.id} ${entry.channel} ${entry.step}`);
        missing.push(...expectedSends(alert.id).filter((send) => !sent.includes(send)));
      }
      return missing;
    };
    let missing: string[] = [];
    await waitUntil(
      async () => (missing = await missingSends()).length === 0,
      LEASE_MS + 30_000,
      () => `every send in the timelines; missing: ${missing.join(', ')}\n${restarted.output()}`,
    );
    const settledAt = Date.now();
    // A wrong second send of one already recorded would come once the leases taken before the
    // kill ran out: give it that time and a few looks of the scheduler to show.
    await waitUntil(
      () => Date.now() > killedAt + LEASE_MS + 3_000,
      LEASE_MS + 5_000,
      () => 'the leases taken before the kill to run out',
    );
    expect(await missingSends()).toEqual([]);

    const all = [
      ...receivedBy('held', held.requests),
      ...receivedBy('prompt', prompt.requests),
      ...receivedBy('later', later.requests),
    ];
    // Nothing lost: each step of each alert reached its receiver, under one notification id.
    const idsBySend = new Map<string, Set<string>>();
    for (const got of all) {
      expect(got.type).toBe('alert.escalated');
      const send = `${got.alertId} ${got.channel} ${got.step}`;
      idsBySend.set(send, (idsBySend.get(send) ?? new Set()).add(got.id));
    }
    const expected = alerts.flatMap((alert) => expectedSends(alert.id)).sort();
    expect([...idsBySend.keys()].sort()).toEqual(expected);
    for (const [send, ids] of idsBySend)
      expect(`${send}: ${[...ids].join(', ')}`).toBe(`${send}: ${[...ids][0]}`);

    // Received twice: the sends in flight at the kill, and those only, each with the same id.
    const times = new Map<string, number>();
    for (const got of all) times.set(got.id, (times.get(got.id) ?? 0) + 1);
    const twice = [...times].filter(([, count]) => count > 1);
    expect(new Map(twice)).toEqual(new Map(inFlight.map((sent) => [sent.id, 2])));
    expect(
      receivedBy('held', held.requests.slice(ALERTS))
        .map((got) => got.id)
        .sort(),
    ).toEqual(inFlight.map((sent) => sent.id).sort());
    expect(receivedBy('prompt', prompt.requests)).toEqual(acceptedBeforeKill);
    expect(later.requests).toHaveLength(2 * ALERTS);

    // The restarted server's timeline (read again after the wait): every step reached, every
    // send recorded once.
    for (const alert of alerts) {
      const timeline = timelines.get(alert.id)!;
      expect(timeline.filter((entry) => entry.kind === 'escalated').map((entry) => entry.step)).toEqual([
        1, 2, 3,
      ]);
      const sent = timeline.filter((entry) => entry.kind === 'notification.sent');
      expect(sent.map((entry) => `${alert.id} ${entry.channel} ${entry.step}`).sort()).toEqual(
        expectedSends(alert.id).sort(),
      );
    }
    // Each in-flight send went again as the second attempt of its stored row, not as a new one.
    const resent = restarted
      .logs()
      .filter((entry) => entry.event === 'notification.sent' && entry.channel === 'held');
    expect(resent.map((entry) => entry.attempts)).toEqual(Array(ALERTS).fill(2));
    console.log(
      `notifications crash: killed ${killedAt - firstReceived} ms after the first alert; ` +
        `every send recorded ${settledAt - killedAt} ms after the kill (lease ${LEASE_MS} ms)`,
    );

    expect(await restarted.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 120_000);
});
