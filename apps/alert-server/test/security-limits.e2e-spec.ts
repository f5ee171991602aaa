// Loaded first: the contract's DTO decorators, imported through the server, need it.
import 'reflect-metadata';
import type { Alert } from '@app/contracts';
import { eventually, sleep } from './support/eventually';
import { stopAndRemove } from './support/lifecycle';
import { sampleValue } from './support/prometheus-text';
import {
  Answer,
  bearer,
  expectError,
  provisionDevice,
  provisionOperator,
  query,
  revokeDeviceToken,
  send,
  signIn,
} from './support/security';
import { TestServer, startTestServer } from './support/test-server';
import { alertBody, scrapeMetrics } from './support/vigie-api';

/**
 * Rate limits: failed sign-ins from one address are slowed, then refused with 429 and
 * Retry-After; a device pressing at any human pace is never limited, while one flooding
 * POST /alerts is refused (429, counted) without touching the other devices.
 */

const PASSWORD = 'correct horse battery';

function retryAfterSeconds(res: Answer): number {
  const value = res.headers['retry-after'];
  expect(value).toMatch(/^\d+$/);
  return Number(value);
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

describe('security: limits (VIGIE_AUTH=required)', () => {
  let server: TestServer;
  let url: string;

  beforeAll(async () => {
    server = await startTestServer({ VIGIE_AUTH: 'required' });
    url = server.url;
    await provisionOperator(server, 'Marie', PASSWORD);
  });

  afterAll(() => stopAndRemove(server));

  describe('sign-in attempts from one address', () => {
    const ATTACKER = '10.66.0.1';
    const answers: Answer[] = [];

    beforeAll(async () => {
      for (let i = 0; i < 40; i++) {
        answers.push(
          await send(url, 'POST', '/auth/login', {
            body: { name: i % 2 === 0 ? 'Marie' : `guess-${i}`, password: `wrong password ${i}` },
            headers: { 'X-Forwarded-For': ATTACKER },
          }),
        );
      }
    }, 60_000);

    it('the first ten are refused with 401, then every one with 429 and Retry-After', () => {
      const statuses = answers.map((res) => res.status);
      const firstLimited = statuses.indexOf(429);
      // Ten attempts a minute, as documented: the eleventh is refused.
      expect(firstLimited).toBe(10);
      expect(statuses.slice(0, firstLimited)).toEqual(Array(firstLimited).fill(401));
      expect(statuses.slice(firstLimited)).toEqual(Array(40 - firstLimited).fill(429));
      for (const res of answers.slice(0, firstLimited)) expectError(res, 401);
      for (const res of answers.slice(firstLimited)) {
        expectError(res, 429);
        expect((res.json as { message: string }).message).toContain('sign-in attempts from this address');
        const seconds = retryAfterSeconds(res);
        expect(seconds).toBeGreaterThan(0);
        expect(seconds).toBeLessThanOrEqual(120);
      }
    });

    it('the refusals get slower: the last 401s take far longer than the first ones', () => {
      const refused = answers.filter((res) => res.status === 401).map((res) => res.ms);
      expect(refused.length).toBeGreaterThanOrEqual(6);
      const first = mean(refused.slice(0, 3));
      const last = mean(refused.slice(-3));
      // Generous: the server adds several hundred ms by then; only a flat answer time fails this.
      expect(last).toBeGreaterThan(first + 300);
    });

    it('a 429 answers at once: being refused costs the server no password hash', () => {
      const limited = answers.filter((res) => res.status === 429).map((res) => res.ms);
      expect(Math.max(...limited)).toBeLessThan(1000);
    });

    it('while blocked, even the right password from that address is refused; another address signs in', async () => {
      const right = await send(url, 'POST', '/auth/login', {
        body: { name: 'Marie', password: PASSWORD },
        headers: { 'X-Forwarded-For': ATTACKER },
      });
      expectError(right, 429);
      expect(right.headers['set-cookie']).toBeUndefined();
      expect(retryAfterSeconds(right)).toBeGreaterThan(0);

      await signIn(url, 'Marie', PASSWORD, '10.66.0.2');
    });
  });

  describe('a device at human pace', () => {
    it('a burst of 10 presses, then one press every 250 ms and a heartbeat every second: never limited', async () => {
      const token = await provisionDevice(server, 'pi-human');
      const press = () =>
        send(url, 'POST', '/alerts', { body: alertBody({ deviceId: 'pi-human' }), headers: bearer(token) });
      const burst = await Promise.all(Array.from({ length: 10 }, press));
      expect(burst.map((res) => res.status)).toEqual(Array(10).fill(201));

      const paced: number[] = [];
      for (let i = 0; i < 16; i++) {
        paced.push((await press()).status);
        if (i % 4 === 0) {
          const beat = await send(url, 'PUT', '/devices/pi-human/heartbeat', {
            body: { spoolDepth: 0 },
            headers: bearer(token),
          });
          paced.push(beat.status === 204 ? 201 : beat.status);
        }
        await sleep(250);
      }
      expect(paced).toEqual(Array(paced.length).fill(201));
      expect(query(server, 'SELECT count(*) AS n FROM alerts WHERE device_id = ?', 'pi-human')).toEqual([
        { n: 26 },
      ]);
    });

    it('an agent emptying a spool of 100 alerts after an outage is not limited either', async () => {
      const token = await provisionDevice(server, 'pi-spool');
      const statuses: number[] = [];
      for (let i = 0; i < 100; i++) {
        const res = await send(url, 'POST', '/alerts', {
          body: alertBody({
            deviceId: 'pi-spool',
            triggeredAt: new Date(Date.now() - 3600_000 + i).toISOString(),
          }),
          headers: bearer(token),
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual(Array(100).fill(201));
    });
  });

  describe('a device flooding POST /alerts', () => {
    it('is refused with 429 and Retry-After, counted as rate_limited; other devices are not affected', async () => {
      const flooder = await provisionDevice(server, 'pi-flood');
      const neighbour = await provisionDevice(server, 'pi-neighbour');
      const rejectedBefore =
        sampleValue(await scrapeMetrics(url), 'vigie_alerts_rejected_total', { reason: 'rate_limited' }) ?? 0;

      const started = Date.now();
      const answers: Answer[] = [];
      const worker = async () => {
        // A little past the limit (120 in 10 s): done in well under a second, so the check
        // right after the flood is inside the flooder's window however slow the machine.
        while (answers.length < 160) {
          answers.push(
            await send(url, 'POST', '/alerts', {
              body: alertBody({ deviceId: 'pi-flood' }),
              headers: bearer(flooder),
            }),
          );
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      const elapsedMs = Date.now() - started;

      const accepted = answers.filter((res) => res.status === 201);
      const limited = answers.filter((res) => res.status === 429);
      expect(accepted.length + limited.length).toBe(answers.length);
      expect(limited.length).toBeGreaterThan(0);
      // 120 per 10 s window: at most that per window the flood spanned.
      expect(accepted.length).toBeLessThanOrEqual(120 * Math.ceil((elapsedMs + 1) / 10_000));
      for (const res of limited.slice(0, 5)) {
        expectError(res, 429);
        const seconds = retryAfterSeconds(res);
        expect(seconds).toBeGreaterThan(0);
        expect(seconds).toBeLessThanOrEqual(10);
      }

      // Refused alerts are not stored; accepted ones are.
      const stored = query<{ id: string }>(server, 'SELECT id FROM alerts WHERE device_id = ?', 'pi-flood');
      expect(stored.map((row) => row.id).sort()).toEqual(
        accepted.map((res) => (res.json as Alert).id).sort(),
      );

      await eventually(async () => {
        const samples = await scrapeMetrics(url);
        expect(sampleValue(samples, 'vigie_alerts_rejected_total', { reason: 'rate_limited' })).toBe(
          rejectedBefore + limited.length,
        );
      });

      // The neighbour, at once: not limited.
      const neighbourAnswers = await Promise.all(
        Array.from({ length: 10 }, () =>
          send(url, 'POST', '/alerts', {
            body: alertBody({ deviceId: 'pi-neighbour' }),
            headers: bearer(neighbour),
          }),
        ),
      );
      expect(neighbourAnswers.map((res) => res.status)).toEqual(Array(10).fill(201));

      // And the flooder is still refused right after (its window has not passed).
      const again = await send(url, 'POST', '/alerts', {
        body: alertBody({ deviceId: 'pi-flood' }),
        headers: bearer(flooder),
      });
      expectError(again, 429);
    });
  });

  describe('an address trying bad device tokens', () => {
    const PROBER = '10.66.0.7';
    const answers: Answer[] = [];

    beforeAll(async () => {
      for (let i = 0; i < 70; i++) {
        answers.push(
          await send(url, 'POST', '/alerts', {
            body: alertBody({ deviceId: 'pi-probed' }),
            headers: { ...bearer(`vgd_guess${i}`), 'X-Forwarded-For': PROBER },
          }),
        );
      }
    }, 60_000);

    it('gets 401 for the first 60 in a minute, then 429 with Retry-After', () => {
      const statuses = answers.map((res) => res.status);
      expect(statuses.slice(0, 60)).toEqual(Array(60).fill(401));
      expect(statuses.slice(60)).toEqual(Array(10).fill(429));
      for (const res of answers.slice(60)) {
        expectError(res, 429);
        const seconds = retryAfterSeconds(res);
        expect(seconds).toBeGreaterThan(0);
        expect(seconds).toBeLessThanOrEqual(60);
      }
      expect(query(server, "SELECT 1 FROM alerts WHERE device_id = 'pi-probed'")).toEqual([]);
    });

    it('does not hold back a valid token from that same address: its alert and heartbeat pass', async () => {
      // Anyone sharing a Pi's address (a NAT, a proxy) could otherwise delay its fire alerts.
      const token = await provisionDevice(server, 'pi-behind-nat');
      const alert = alertBody({ deviceId: 'pi-behind-nat', type: 'fire' });
      const res = await send(url, 'POST', '/alerts', {
        body: alert,
        headers: { ...bearer(token), 'X-Forwarded-For': PROBER },
      });
      expect(res.status).toBe(201);
      expect(query(server, 'SELECT id FROM alerts WHERE id = ?', alert.id)).toEqual([{ id: alert.id }]);
      const heartbeat = await send(url, 'PUT', '/devices/pi-behind-nat/heartbeat', {
        body: { spoolDepth: 0 },
        headers: { ...bearer(token), 'X-Forwarded-For': PROBER },
      });
      expect(heartbeat.status).toBe(204);
    });

    it('still refuses a revoked token from that address with 429', async () => {
      const token = await provisionDevice(server, 'pi-revoked-nat');
      await revokeDeviceToken(server, 'pi-revoked-nat');
      const res = await send(url, 'POST', '/alerts', {
        body: alertBody({ deviceId: 'pi-revoked-nat' }),
        headers: { ...bearer(token), 'X-Forwarded-For': PROBER },
      });
      expectError(res, 429);
      expect(query(server, "SELECT 1 FROM alerts WHERE device_id = 'pi-revoked-nat'")).toEqual([]);
    });

    it('does not hold back a device at another address', async () => {
      const token = await provisionDevice(server, 'pi-honest');
      const res = await send(url, 'POST', '/alerts', {
        body: alertBody({ deviceId: 'pi-honest' }),
        headers: { ...bearer(token), 'X-Forwarded-For': '10.66.0.8' },
      });
      expect(res.status).toBe(201);
    });
  });
});
