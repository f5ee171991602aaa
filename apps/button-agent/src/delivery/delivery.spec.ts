import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uuidv7 } from '@app/contracts';
import { describeCode } from '../diagnostics/error-codes';
import type { AgentLogger } from '../logging/agent-logger';
import { Spool } from '../spool/spool';
import type { AlertBody } from '../spool/spooled-alert';
import type { AlertSender, DeliveryOutcome } from './alert-sender';
import { Delivery, HANG_MS, MAX_BESIDE } from './delivery';

/**
 * Delivery's policy over a real spool and a scripted sender: each request is answered when and
 * how the test says, so the order of requests, the backoff and the log lines are exact, in
 * milliseconds (the e2e spec proves the same over real HTTP, more slowly).
 */
type Answer = DeliveryOutcome | Error;

class ScriptedSender {
  readonly requests: Array<{ id: string; at: number }> = [];
  /** Answers for the next requests, in order; past the end, every request is accepted. */
  readonly script: Array<Answer | Promise<Answer>> = [];

  send(alert: AlertBody): Promise<DeliveryOutcome> {
    this.requests.push({ id: alert.id, at: Date.now() });
    const answer = this.script.shift() ?? accepted(201);
    return Promise.resolve(answer).then((outcome) =>
      outcome instanceof Error ? Promise.reject(outcome) : outcome,
    );
  }

  ids(): string[] {
    return this.requests.map((request) => request.id);
  }
}

const accepted = (status: number): DeliveryOutcome => ({ kind: 'accepted', status });
const rejected = (status: number): DeliveryOutcome => ({
  kind: 'rejected',
  status,
  code: `HTTP_${status}`,
  answer: { status, body: { message: 'bad type' } },
});
const retry = (status: number | null, retryAfterMs: number | null = null): DeliveryOutcome => ({
  kind: 'retry',
  code: status === null ? 'ECONNREFUSED' : `HTTP_${status}`,
  status,
  retryAfterMs,
  detail: 'why',
});

/** A promise the test settles later: a request that hangs until then. */
function hanging(): { promise: Promise<Answer>; answer: (outcome: Answer) => void } {
  let answer!: (outcome: Answer) => void;
  const promise = new Promise<Answer>((resolve) => (answer = resolve));
  return { promise, answer };
}

type Line = { level: string; fields: Record<string, unknown>; message: string };

function recordingLogger(lines: Line[]): AgentLogger {
  const at = (level: string) => (fields: Record<string, unknown>, message: string) =>
    lines.push({ level, fields, message });
  return {
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    debug: at('debug'),
  } as unknown as AgentLogger;
}

const until = async (condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Delivery', () => {
  let dir: string;
  let spool: Spool;
  let sender: ScriptedSender;
  let lines: Line[];
  let delivery: Delivery;
  let pressedAt: number;

  const make = (retryBaseMs = 40, retryMaxMs = 160, random = () => 1) =>
    new Delivery(spool, sender as unknown as AlertSender, recordingLogger(lines), {
      retryBaseMs,
      retryMaxMs,
      random,
    });

  const press = async (): Promise<AlertBody> => {
    const alert: AlertBody = {
      id: uuidv7(pressedAt++),
      deviceId: 'pi-1',
      type: 'panic',
      triggeredAt: new Date().toISOString(),
    };
    await spool.add(alert);
    return alert;
  };
  const spooled = () => readdirSync(dir).filter((name) => name.endsWith('.json'));
  const events = (event: string) => lines.filter((line) => line.fields.event === event);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-delivery-unit-'));
    spool = new Spool(dir);
    await spool.init();
    sender = new ScriptedSender();
    lines = [];
    pressedAt = Date.now();
    delivery = make();
  });

  afterEach(async () => {
    await delivery.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers the spool oldest press first, one request at a time, and logs each delivery', async () => {
    const first = await press();
    const second = await press();
    sender.script.push(accepted(201), accepted(200));
    delivery.start();
    await until(() => events('alert.delivered').length === 2, 'both delivered');
    expect(spooled()).toEqual([]);
    expect(sender.ids()).toEqual([first.id, second.id]);
    expect(events('alert.delivered')).toEqual([
      {
        level: 'info',
        fields: {
          event: 'alert.delivered',
          alertId: first.id,
          type: 'panic',
          attempt: 1,
          status: 201,
          duplicate: false,
        },
        message: 'alert delivered',
      },
      {
        level: 'info',
        fields: {
          event: 'alert.delivered',
          alertId: second.id,
          type: 'panic',
          attempt: 1,
          status: 200,
          duplicate: true,
        },
        message: 'alert was already stored by the server',
      },
    ]);
  });

  it('start twice is one loop: each alert is sent once', async () => {
    const alert = await press();
    delivery.start();
    delivery.start();
    await until(() => spooled().length === 0, 'delivered');
    await pause(50);
    expect(sender.ids()).toEqual([alert.id]);
  });

  it('keeps a refused alert in rejected/ and logs the meaning of the code and where it is', async () => {
    const alert = await press();
    sender.script.push(rejected(422));
    delivery.start();
    await until(() => events('alert.rejected').length === 1, 'the refusal');
    expect(spooled()).toEqual([]);
    expect(readdirSync(spool.rejectedDir).sort()).toEqual([`${alert.id}.json`, `${alert.id}.response.json`]);
    const { meaning, check } = describeCode('HTTP_422');
    expect(events('alert.rejected')).toEqual([
      {
        level: 'error',
        fields: {
          event: 'alert.rejected',
          alertId: alert.id,
          type: 'panic',
          attempt: 1,
          code: 'HTTP_422',
          status: 422,
          meaning,
          check,
        },
        message: `the server refused the alert: ${meaning}; it is kept in ${spool.rejectedDir}`,
      },
    ]);
    expect(sender.ids()).toEqual([alert.id]);
  });

  it('retries the oldest with exponential backoff, counting the attempts, until accepted', async () => {
    const alert = await press();
    sender.script.push(retry(500), retry(500), retry(500), retry(500));
    delivery.start();
    await until(() => events('alert.delivered').length === 1, 'delivered after four failures');
    const gaps = sender.requests.slice(1).map((request, i) => request.at - sender.requests[i].at);
    // random() = 1: the full ceiling, base 40 doubling, capped at 160.
    expect(gaps.map((gap, i) => gap >= [40, 80, 160, 160][i] - 2)).toEqual([true, true, true, true]);
    expect(gaps[3]).toBeLessThan(160 + 120); // capped: not 320
    const failed = events('alert.delivery_failed');
    expect(failed.map((line) => line.fields.attempt)).toEqual([1, 2, 3, 4]);
    expect(failed.map((line) => line.fields.retryInMs)).toEqual([40, 80, 160, 160]);
    const { meaning, check } = describeCode('HTTP_500');
    expect(failed[0]).toEqual({
      level: 'warn',
      fields: {
        event: 'alert.delivery_failed',
        alertId: alert.id,
        type: 'panic',
        attempt: 1,
        code: 'HTTP_500',
        status: 500,
        detail: 'why',
        meaning,
        check,
        retryInMs: 40,
      },
      message: `alert not delivered yet (HTTP_500): ${meaning}`,
    });
    expect(events('alert.delivered')[0].fields.attempt).toBe(5);
  });

  it.each([
    [401, 'error'],
    [403, 'error'],
    [500, 'warn'],
    [null, 'warn'],
  ])('logs a failure with status %p at level %s (a token problem needs a person)', async (status, level) => {
    await press();
    sender.script.push(retry(status));
    delivery.start();
    await until(() => spooled().length === 0, 'delivered');
    expect(events('alert.delivery_failed').map((line) => line.level)).toEqual([level]);
  });

  it('honours Retry-After instead of the backoff', async () => {
    await press();
    sender.script.push(retry(429, 300));
    delivery.start();
    await until(() => spooled().length === 0, 'delivered', 3_000);
    expect(sender.requests[1].at - sender.requests[0].at).toBeGreaterThanOrEqual(298);
    expect(events('alert.delivery_failed')[0].fields.retryInMs).toBe(300);
  });

  it('a delivery resets the backoff: the next alert starts again from the base delay', async () => {
    await press();
    sender.script.push(retry(500), retry(500), retry(500), accepted(201), retry(500));
    delivery.start();
    await until(() => sender.requests.length === 4, 'the first alert delivered');
    await press();
    await until(() => spooled().length === 0, 'the second delivered');
    const failed = events('alert.delivery_failed');
    expect(failed.map((line) => line.fields.retryInMs)).toEqual([40, 80, 160, 40]);
  });

  it('a new press cuts a backoff sleep short', async () => {
    delivery = make(60_000, 60_000);
    await press();
    sender.script.push(retry(503));
    delivery.start();
    await until(() => sender.requests.length === 1, 'the failed attempt');
    await press();
    await until(() => spooled().length === 0, 'both delivered long before the minute', 3_000);
    expect(sender.requests).toHaveLength(3);
  });

  it('wake() alone also ends the backoff sleep', async () => {
    delivery = make(60_000, 60_000);
    await press();
    sender.script.push(retry(503));
    delivery.start();
    await until(() => sender.requests.length === 1, 'the failed attempt');
    await pause(50);
    expect(sender.requests).toHaveLength(1);
    delivery.wake();
    await until(() => spooled().length === 0, 'delivered at once', 3_000);
  });

  it('stop waits for the request on the way and its spool update', async () => {
    const alert = await press();
    const answer = hanging();
    sender.script.push(answer.promise);
    delivery.start();
    await until(() => sender.requests.length === 1, 'the request');
    let stopped = false;
    const stopping = delivery.stop().then(() => (stopped = true));
    await pause(50);
    expect(stopped).toBe(false);
    answer.answer(accepted(201));
    await stopping;
    expect(spooled()).toEqual([]);
    expect(sender.ids()).toEqual([alert.id]);
  });

  it('after stop, a new press is not sent', async () => {
    delivery.start();
    await pause(20);
    await delivery.stop();
    await press();
    await pause(100);
    expect(sender.requests).toEqual([]);
  });

  it('keeps trying, loudly, when the spool folder cannot be read', async () => {
    const ids = jest.spyOn(spool, 'ids');
    ids.mockRejectedValueOnce(Object.assign(new Error('EACCES: simulated'), { code: 'EACCES' }));
    ids.mockRejectedValueOnce(Object.assign(new Error('EACCES: simulated'), { code: 'EACCES' }));
    const alert = await press();
    delivery.start();
    await until(() => spooled().length === 0, 'delivered once the folder reads again');
    const failures = lines.filter((line) => line.fields.code === 'SPOOL_READ_FAILED');
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({ level: 'error', message: 'cannot read the spool' });
    expect(failures.map((line) => line.fields.retryInMs)).toEqual([40, 80]);
    expect(failures[0].fields.err).toMatchObject({ code: 'EACCES' });
    expect(sender.ids()).toEqual([alert.id]);
  });

  it('an answer whose spool update fails: logged, and the alert is sent again later', async () => {
    const alert = await press();
    jest.spyOn(spool, 'remove').mockRejectedValueOnce(new Error('EIO: simulated'));
    delivery.start();
    await until(() => spooled().length === 0, 'removed at the second answer');
    expect(sender.ids()).toEqual([alert.id, alert.id]);
    const failure = lines.find((line) => line.fields.code === 'SPOOL_UPDATE_FAILED');
    expect(failure).toMatchObject({
      level: 'error',
      fields: { alertId: alert.id, retryInMs: 40 },
      message: 'cannot update the spool after an answer',
    });
  });

  it('a sender that throws is a failure of the spool update path, not a crash', async () => {
    const alert = await press();
    sender.script.push(new Error('boom'));
    delivery.start();
    await until(() => spooled().length === 0, 'delivered at the second try');
    expect(sender.ids()).toEqual([alert.id, alert.id]);
  });

  it('a new press waits its turn behind an answering server (no request beside)', async () => {
    const older = await press();
    const answer = hanging();
    sender.script.push(answer.promise);
    delivery.start();
    await until(() => sender.requests.length === 1, 'the first request');
    const fresh = await press();
    await pause(HANG_MS / 4); // on the way, but not yet hanging
    expect(sender.ids()).toEqual([older.id]);
    answer.answer(accepted(201));
    await until(() => spooled().length === 0, 'both delivered');
    expect(sender.ids()).toEqual([older.id, fresh.id]);
  });

  it('while the oldest request hangs: newest presses first, at most MAX_BESIDE beside it, one request per alert', async () => {
    const older = await press();
    const answers = Array.from({ length: 2 + MAX_BESIDE }, () => hanging());
    sender.script.push(...answers.map((answer) => answer.promise));
    delivery.start();
    await until(() => sender.requests.length === 1, 'the first request');
    const burst: AlertBody[] = [];
    for (let n = 0; n <= MAX_BESIDE; n++) burst.push(await press());
    const burstAt = Date.now();
    await until(() => sender.requests.length === 1 + MAX_BESIDE, 'requests beside', 3_000);
    // Not before the link counts as hanging: HANG_MS after the first request left.
    expect(sender.requests[1].at - sender.requests[0].at).toBeGreaterThanOrEqual(HANG_MS - 5);
    expect(Date.now() - burstAt).toBeLessThan(HANG_MS + 500);
    const newestFirst = burst
      .slice(1)
      .map((alert) => alert.id)
      .reverse();
    expect(sender.ids()).toEqual([older.id, ...newestFirst]);
    await pause(100);
    expect(sender.requests).toHaveLength(1 + MAX_BESIDE); // every place beside is taken

    // One beside ends (a failure): the press left over takes its place at once.
    answers[1].answer(retry(null));
    await until(() => sender.ids().includes(burst[0].id), 'the last press sent');
    expect(sender.requests).toHaveLength(2 + MAX_BESIDE);
    // A press sent beside and failed gets no retry of its own while the oldest hangs.
    await pause(100);
    expect(sender.requests).toHaveLength(2 + MAX_BESIDE);
    expect(events('alert.delivery_failed')[0].fields).toMatchObject({ retryInMs: null });

    for (const answer of answers) answer.answer(accepted(201));
    await until(() => spooled().length === 0, 'all delivered');
    const counts = new Map<string, number>();
    for (const id of sender.ids()) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(counts.get(older.id)).toBe(1);
  });

  it('once an answer came slowly, the next press goes beside the oldest at once', async () => {
    const first = await press();
    const slow = hanging();
    const hangs = hanging();
    sender.script.push(slow.promise, hangs.promise);
    delivery.start();
    await until(() => sender.requests.length === 1, 'the first request');
    await pause(HANG_MS + 50);
    slow.answer(retry(500)); // ended slowly: the link hangs
    await until(() => sender.requests.length === 2, 'the retry of the oldest', 3_000);
    // The oldest's retry is on the way and just left: a new press does not wait HANG_MS for it.
    const fresh = await press();
    await until(() => sender.ids().includes(fresh.id), 'the new press', 3_000);
    hangs.answer(accepted(201));
    expect(sender.requests[2].at - sender.requests[1].at).toBeLessThan(HANG_MS - 300);
    await until(() => spooled().length === 0, 'all delivered');
    expect(sender.ids()).toEqual([first.id, first.id, fresh.id]);
  });

  it('idles without spinning once a poke has cut a sleep short', async () => {
    const [first] = [await press()];
    delivery.start();
    await until(() => sender.ids().includes(first.id), 'the first delivery');
    // Two pokes in a row: the first ends the sleep, the second comes while the loop is awake
    // and is kept for its next sleep. A poke ends one sleep, not every later one: idle, the
    // loop then looks at the spool now and then, not without pause.
    delivery.wake();
    delivery.wake();
    await pause(50);
    const reads = jest.spyOn(spool, 'ids');
    await pause(300);
    expect(reads.mock.calls.length).toBeLessThan(5);
  });

  it('sends nothing for a spool holding only an unreadable file, sets it aside, and goes on', async () => {
    const torn = `${uuidv7(pressedAt++)}.json`;
    writeFileSync(join(dir, torn), '{"version": 1, "alert": {"id"');
    delivery.start();
    await until(() => readdirSync(join(dir, 'unreadable')).includes(torn), 'the torn file set aside');
    const next = await press();
    await until(() => sender.ids().includes(next.id), 'the next press delivered');
    expect(sender.ids()).toEqual([next.id]);
    expect(lines.filter((line) => line.level === 'error')).toEqual([]);
  });

  describe('deliverUntil (the `send` command)', () => {
    it('accepted: removes it and says so', async () => {
      const alert = await press();
      expect(await delivery.deliverUntil(alert, Date.now() + 5_000)).toBe('accepted');
      expect(spooled()).toEqual([]);
    });

    it('rejected: keeps it in rejected/ and says so', async () => {
      const alert = await press();
      sender.script.push(rejected(400));
      expect(await delivery.deliverUntil(alert, Date.now() + 5_000)).toBe('rejected');
      expect(readdirSync(spool.rejectedDir)).toContain(`${alert.id}.json`);
    });

    it('retries with backoff until accepted, attempt after attempt', async () => {
      const alert = await press();
      sender.script.push(retry(503), retry(503));
      expect(await delivery.deliverUntil(alert, Date.now() + 5_000)).toBe('accepted');
      expect(sender.ids()).toEqual([alert.id, alert.id, alert.id]);
      expect(sender.requests[2].at - sender.requests[1].at).toBeGreaterThanOrEqual(78);
      expect(events('alert.delivery_failed').map((line) => line.fields.attempt)).toEqual([1, 2]);
      expect(events('alert.delivery_failed').map((line) => line.fields.retryInMs)).toEqual([40, 80]);
    });

    it('gives up, pending, when the next try would pass the deadline', async () => {
      const alert = await press();
      sender.script.push(retry(503, 1_000), retry(503, 1_000));
      const started = Date.now();
      expect(await delivery.deliverUntil(alert, Date.now() + 500)).toBe('pending');
      expect(Date.now() - started).toBeLessThan(400); // no sleep past the deadline
      expect(sender.requests).toHaveLength(1);
      expect(spooled()).toEqual([`${alert.id}.json`]);
    });
  });
});
