import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Alert } from '@app/contracts';
import { expectHttpError } from './support/http-error';
import { stopAndRemove } from './support/lifecycle';
import { startTestServer, TestServer } from './support/test-server';
import {
  Body,
  CANONICAL_UUID,
  ISO_UTC_MS,
  alertBody,
  createAlert,
  expectStatus,
  getAlert,
  handleAlert,
  postAlert,
  postRaw,
  rawRequest,
} from './support/vigie-api';

const JSON_TYPE = { 'Content-Type': 'application/json' };

/** POST /alerts: every case of the public API (new, retry, conflict, invalid, too large, not JSON) and its field rules. */
describe('POST /alerts', () => {
  let server: TestServer;
  let url: string;

  beforeAll(async () => {
    server = await startTestServer();
    url = server.url;
  });

  afterAll(() => stopAndRemove(server));

  /** A refused body must leave no trace: its id is still unknown afterwards. */
  async function expectNotStored(body: unknown): Promise<void> {
    const id = (body as Body | null)?.id;
    if (typeof id !== 'string') throw new Error('give the refused body an id to check');
    expectStatus(await request(url).get(`/alerts/${id}`), 404);
  }

  describe('a new alert: 201, Location and the full resource', () => {
    it('returns every field as sent, with the server-set ones filled in', async () => {
      const body = {
        id: randomUUID(),
        deviceId: 'pi-accueil-01',
        type: 'intrusion',
        severity: 'warning',
        location: 'Accueil, rez-de-chaussée',
        message: 'Fumée dans le local technique',
        button: '17',
        triggeredAt: '2026-11-24T10:15:02.118Z',
      };
      const before = Date.now();
      const res = await postAlert(url, body);
      const after = Date.now();

      expectStatus(res, 201);
      expect(res.headers['location']).toBe(`/alerts/${body.id}`);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({
        ...body,
        receivedAt: expect.stringMatching(ISO_UTC_MS),
        status: 'open',
        acknowledgedAt: null,
        acknowledgedBy: null,
        acknowledgementNote: null,
        resolvedAt: null,
        resolvedBy: null,
        resolutionNote: null,
      });
      const receivedAt = Date.parse((res.body as Alert).receivedAt);
      expect(receivedAt).toBeGreaterThanOrEqual(before);
      expect(receivedAt).toBeLessThanOrEqual(after);
      expect(await getAlert(url, body.id)).toEqual(res.body);
    });

    it('fills in what a minimal body leaves out: id, severity, triggeredAt, null texts', async () => {
      const res = await postAlert(url, { deviceId: 'pi-minimal', type: 'fire' });

      expectStatus(res, 201);
      const alert = res.body as Alert;
      expect(alert.id).toMatch(CANONICAL_UUID);
      expect(res.headers['location']).toBe(`/alerts/${alert.id}`);
      expect(alert).toMatchObject({
        deviceId: 'pi-minimal',
        type: 'fire',
        severity: 'critical',
        location: null,
        message: null,
        button: null,
        status: 'open',
      });
      // Without a device clock reading, the alert was triggered when it was received.
      expect(alert.receivedAt).toMatch(ISO_UTC_MS);
      expect(alert.triggeredAt).toBe(alert.receivedAt);
      expect(await getAlert(url, alert.id)).toEqual(alert);
    });

    it('makes a different id for every alert sent without one', async () => {
      const first = await postAlert(url, { deviceId: 'pi-no-id', type: 'panic' });
      const second = await postAlert(url, { deviceId: 'pi-no-id', type: 'panic' });

      expectStatus(first, 201);
      expectStatus(second, 201);
      expect((first.body as Alert).id).not.toBe((second.body as Alert).id);
    });

    it.each([
      ['test', 'info'],
      ['fire', 'critical'],
      ['intrusion', 'critical'],
      ['medical', 'critical'],
      ['panic', 'critical'],
    ])('defaults the severity of a %s alert to %s', async (type, severity) => {
      const alert = await createAlert(url, { type });
      expect(alert.severity).toBe(severity);
    });

    it('keeps a severity the device chose', async () => {
      expect((await createAlert(url, { type: 'test', severity: 'critical' })).severity).toBe('critical');
      expect((await createAlert(url, { type: 'fire', severity: 'info' })).severity).toBe('info');
    });

    it.each([
      ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00.000Z'],
      ['2001-09-09T01:46:40.000Z', '2001-09-09T01:46:40.000Z'],
    ])('keeps an old triggeredAt (%s) from a Pi without a clock', async (sent, stored) => {
      const alert = await createAlert(url, { triggeredAt: sent });
      expect(alert.triggeredAt).toBe(stored);
      expect((await getAlert(url, alert.id)).triggeredAt).toBe(stored);
    });

    /**
     * Go's zero time and .NET's DateTime.MinValue: what a device with no clock and a naive
     * library sends. Old, but a real instant: the contract says keep it.
     */
    it('keeps the oldest ISO date, 0001-01-01T00:00:00Z, too', async () => {
      const res = await postAlert(url, alertBody({ triggeredAt: '0001-01-01T00:00:00Z' }));

      expectStatus(res, 201);
      expect((res.body as Alert).triggeredAt).toBe('0001-01-01T00:00:00.000Z');
    });

    it('keeps a triggeredAt ahead of the server clock (a device clock running fast)', async () => {
      const alert = await createAlert(url, { triggeredAt: '2099-01-01T00:00:00Z' });
      expect(alert.triggeredAt).toBe('2099-01-01T00:00:00.000Z');
    });

    it.each([
      ['2026-11-24T11:15:02.118+01:00', '2026-11-24T10:15:02.118Z'],
      ['2026-11-24T04:45:02.118-05:30', '2026-11-24T10:15:02.118Z'],
      ['2026-11-25T00:15:02+14:00', '2026-11-24T10:15:02.000Z'],
    ])('normalises triggeredAt %s to UTC', async (sent, stored) => {
      const alert = await createAlert(url, { triggeredAt: sent });
      expect(alert.triggeredAt).toBe(stored);
    });
  });

  describe('retries and conflicts on the same id', () => {
    it('answers a retry with 200 and the stored alert, unchanged', async () => {
      const body = alertBody({ message: 'retry me', button: '27', triggeredAt: '2026-11-24T10:15:02.118Z' });
      const first = await postAlert(url, body);
      expectStatus(first, 201);

      const retry = await postAlert(url, body);

      expectStatus(retry, 200);
      expect(retry.headers['location']).toBe(`/alerts/${body.id as string}`);
      expect(retry.body).toEqual(first.body);
      expect(await getAlert(url, body.id as string)).toEqual(first.body);
    });

    it('treats a retry without triggeredAt as the same alert, though the server set that time', async () => {
      const body = alertBody();
      const first = await postAlert(url, body);
      expectStatus(first, 201);

      const retry = await postAlert(url, body);

      expectStatus(retry, 200);
      expect(retry.body).toEqual(first.body);
    });

    it('treats the same instant written in another zone as the same content', async () => {
      const body = alertBody({ triggeredAt: '2026-11-24T10:15:02.118Z' });
      const first = await postAlert(url, body);
      expectStatus(first, 201);

      const retry = await postAlert(url, { ...body, triggeredAt: '2026-11-24T11:15:02.118+01:00' });

      expectStatus(retry, 200);
      expect(retry.body).toEqual(first.body);
    });

    it('answers a retry of an alert handled since with the alert as it now stands', async () => {
      const body = alertBody();
      expectStatus(await postAlert(url, body), 201);
      const acknowledged = await handleAlert(url, body.id as string, 'acknowledge', { by: 'Marie' });
      expectStatus(acknowledged, 200);

      const retry = await postAlert(url, body);

      expectStatus(retry, 200);
      expect(retry.body).toEqual(acknowledged.body);
    });

    it.each([
      ['deviceId', { deviceId: 'pi-other' }],
      ['type', { type: 'medical' }],
      ['severity', { severity: 'warning' }],
      ['location', { location: 'Étage 2' }],
      ['message', { message: 'something else' }],
      ['button', { button: '22' }],
      ['triggeredAt', { triggeredAt: '2026-11-24T10:15:03.118Z' }],
    ])('refuses the same id with a different %s: 409 naming it, store unchanged', async (field, change) => {
      const body = alertBody({
        location: 'Accueil',
        message: 'first',
        button: '17',
        triggeredAt: '2026-11-24T10:15:02.118Z',
      });
      const first = await postAlert(url, body);
      expectStatus(first, 201);

      const conflicting = await postAlert(url, { ...body, ...change });

      const [message] = expectHttpError(conflicting, 409, [field]);
      expect(message).toContain(body.id);
      expect(await getAlert(url, body.id as string)).toEqual(first.body);
    });

    it('names every differing field in one conflict', async () => {
      const body = alertBody({ message: 'first' });
      expectStatus(await postAlert(url, body), 201);

      const conflicting = await postAlert(url, { ...body, type: 'panic', message: 'second' });

      expectHttpError(conflicting, 409, ['type', 'message']);
    });

    it('refuses a retry that leaves out a field the first post had', async () => {
      const body = alertBody({ location: 'Accueil' });
      const first = await postAlert(url, body);
      expectStatus(first, 201);

      const withoutLocation = { ...body };
      delete withoutLocation.location;
      expectHttpError(await postAlert(url, withoutLocation), 409, ['location']);
      expect(await getAlert(url, body.id as string)).toEqual(first.body);
    });
  });

  describe('an id in upper case', () => {
    it('is the same alert as in lower case', async () => {
      const id = randomUUID();
      const upper = id.toUpperCase();
      const body = alertBody({ id: upper });

      const first = await postAlert(url, body);
      expectStatus(first, 201);
      expect((first.body as Alert).id).toBe(id);
      expect(first.headers['location']).toBe(`/alerts/${id}`);

      const retryLower = await postAlert(url, { ...body, id });
      expectStatus(retryLower, 200);
      expect(retryLower.body).toEqual(first.body);

      expect(await getAlert(url, upper)).toEqual(first.body);
      expectHttpError(await postAlert(url, { ...body, id, type: 'panic' }), 409, ['type']);
    });
  });

  describe('400: invalid, missing and unknown fields, each fault listed', () => {
    it.each<[string, Body, string[]]>([
      ['an unknown type', { type: 'flood' }, ['type']],
      ['an unknown severity', { severity: 'high' }, ['severity']],
      ['an id that is not a UUID', { id: 'press-1' }, ['id']],
      ['a deviceId with a space', { deviceId: 'pi accueil' }, ['deviceId']],
      ['a deviceId with a slash', { deviceId: 'pi/accueil' }, ['deviceId']],
      ['a deviceId with a non-ASCII letter', { deviceId: 'pi-élysée' }, ['deviceId']],
      ['an empty deviceId', { deviceId: '' }, ['deviceId']],
      ['a numeric deviceId', { deviceId: 42 }, ['deviceId']],
      ['a numeric location', { location: 12 }, ['location']],
      ['a boolean message', { message: true }, ['message']],
      ['a numeric button', { button: 17 }, ['button']],
      ['a triggeredAt in words', { triggeredAt: 'yesterday' }, ['triggeredAt']],
      ['a triggeredAt without a zone', { triggeredAt: '2026-11-24T10:15:02.118' }, ['triggeredAt']],
      ['a triggeredAt on 30 February', { triggeredAt: '2026-02-30T10:15:02Z' }, ['triggeredAt']],
      ['a triggeredAt as epoch seconds', { triggeredAt: 1795515302 }, ['triggeredAt']],
      ['an unknown field', { color: 'red' }, ['color']],
    ])('refuses %s', async (_case, change, fields) => {
      const body = alertBody(change);

      const res = await postAlert(url, body);

      expectHttpError(res, 400, fields);
      if ('id' in change) return;
      await expectNotStored(body);
    });

    it.each([['deviceId'], ['type']])('refuses a body without %s', async (field) => {
      const body = alertBody();
      delete body[field];

      const res = await postAlert(url, body);

      expectHttpError(res, 400, [field]);
      await expectNotStored(body);
    });

    it('lists every fault of one body, each naming its field', async () => {
      const body = {
        id: randomUUID(),
        type: 'flood',
        severity: 'loud',
        message: 'x'.repeat(501),
        color: 'red',
      };

      const messages = expectHttpError(await postAlert(url, body), 400, [
        'deviceId',
        'type',
        'severity',
        'message',
        'color',
      ]);

      expect(messages.length).toBeGreaterThanOrEqual(5);
      await expectNotStored(body);
    });

    it('refuses a __proto__ key without storing anything', async () => {
      const id = randomUUID();
      const text = `{"id":"${id}","deviceId":"pi-proto","type":"fire","__proto__":{"severity":"info"}}`;

      expectHttpError(await postRaw(url, '/alerts', text), 400, ['__proto__']);
      await expectNotStored({ id });
    });

    it('refuses constructor and prototype keys', async () => {
      const id = randomUUID();
      const text = `{"id":"${id}","deviceId":"pi-proto","type":"fire","constructor":{"prototype":{}}}`;

      expectHttpError(await postRaw(url, '/alerts', text), 400);
      await expectNotStored({ id });
    });

    it.each([
      ['truncated JSON', '{"deviceId":"pi-accueil-01","type":"fire"'],
      ['single quotes', "{'deviceId':'pi-accueil-01','type':'fire'}"],
      ['a trailing comma', '{"deviceId":"pi-accueil-01","type":"fire",}'],
      ['plain words', 'fire at the reception'],
    ])('refuses malformed JSON (%s)', async (_case, text) => {
      expectHttpError(await postRaw(url, '/alerts', text), 400);
    });

    it.each([
      ['an array', '[{"deviceId":"pi-accueil-01","type":"fire"}]'],
      ['a number', '42'],
      ['a string', '"fire"'],
      ['null', 'null'],
      ['a boolean', 'true'],
    ])('refuses JSON that is %s, not an object', async (_case, text) => {
      expectHttpError(await postRaw(url, '/alerts', text), 400);
    });

    it('refuses an empty JSON body', async () => {
      expectHttpError(await postRaw(url, '/alerts', ''), 400, ['deviceId', 'type']);
    });
  });

  describe('field length limits: exactly at the limit is accepted, one over is refused', () => {
    it.each([
      ['deviceId', 64, 'p'],
      ['location', 120, 'é'],
      ['message', 500, 'm'],
      ['button', 32, 'b'],
    ])('%s: %i characters', async (field, limit, char) => {
      const atLimit = await postAlert(url, alertBody({ [field]: char.repeat(limit) }));
      expectStatus(atLimit, 201);
      expect((atLimit.body as Body)[field]).toBe(char.repeat(limit));

      const overBody = alertBody({ [field]: char.repeat(limit + 1) });
      expectHttpError(await postAlert(url, overBody), 400, [field]);
      await expectNotStored(overBody);
    });

    it('accepts a deviceId made of every allowed kind of character', async () => {
      const alert = await createAlert(url, { deviceId: 'Pi_Accueil-01.rdc' });
      expect(alert.deviceId).toBe('Pi_Accueil-01.rdc');
    });
  });

  describe('413: body over 16 KiB', () => {
    /** A JSON object of exactly `bytes` bytes (the padding field makes it invalid, not too large). */
    function jsonOfBytes(bytes: number, id: string): string {
      const head = `{"id":"${id}","deviceId":"pi-big","type":"fire","message":"`;
      const tail = '"}';
      return head + 'x'.repeat(bytes - head.length - tail.length) + tail;
    }

    it('refuses 16 KiB + 1 byte with 413 and stores nothing', async () => {
      const id = randomUUID();
      const text = jsonOfBytes(16 * 1024 + 1, id);
      expect(Buffer.byteLength(text)).toBe(16385);

      expectHttpError(await postRaw(url, '/alerts', text), 413);
      await expectNotStored({ id });
    });

    it('reads a body of exactly 16 KiB (then judges its content: 400, not 413)', async () => {
      const text = jsonOfBytes(16 * 1024, randomUUID());
      expect(Buffer.byteLength(text)).toBe(16384);

      expectHttpError(await postRaw(url, '/alerts', text), 400, ['message']);
    });

    it('counts the bytes of a chunked body with no Content-Length: 201 small, 413 over 16 KiB', async () => {
      const small = alertBody();
      const json = JSON.stringify(small);
      expectStatus(
        await rawRequest(url, 'POST', '/alerts', [json.slice(0, 10), json.slice(10)], JSON_TYPE),
        201,
      );

      const id = randomUUID();
      const big = [`{"id":"${id}","message":"`, ...Array<string>(17).fill('x'.repeat(1024)), '"}'];
      expectHttpError(await rawRequest(url, 'POST', '/alerts', big, JSON_TYPE), 413);
      await expectNotStored({ id });
    });

    it('refuses a much larger body with 413 too', async () => {
      expectHttpError(await postRaw(url, '/alerts', jsonOfBytes(64 * 1024, randomUUID())), 413);
    });
  });

  describe('415: not JSON', () => {
    it.each([
      ['text/plain', 'text/plain'],
      ['form-urlencoded', 'application/x-www-form-urlencoded'],
      ['XML', 'application/xml'],
    ])('refuses a %s body, even one holding a valid alert', async (_case, contentType) => {
      const body = alertBody();

      expectHttpError(await postRaw(url, '/alerts', JSON.stringify(body), contentType), 415);
      await expectNotStored(body);
    });

    it('refuses a body sent without any Content-Type', async () => {
      const body = alertBody();

      const res = await rawRequest(url, 'POST', '/alerts', JSON.stringify(body));

      expectHttpError(res, 415);
      await expectNotStored(body);
    });

    it('accepts application/json with a charset parameter', async () => {
      const body = alertBody();
      const res = await postRaw(url, '/alerts', JSON.stringify(body), 'application/json; charset=utf-8');
      expectStatus(res, 201);
    });
  });
});
