import { randomUUID } from 'node:crypto';
import type { Alert } from '@app/contracts';
import request from 'supertest';
import { expectHttpError } from './support/http-error';
import { stopAndRemove } from './support/lifecycle';
import { startTestServer, TestServer } from './support/test-server';
import {
  Body,
  ISO_UTC_MS,
  createAlert,
  expectStatus,
  getAlert,
  handleAlert,
  postRaw,
} from './support/vigie-api';

/** GET /alerts/{id}, then the operator's two actions on an alert: acknowledge and resolve. */
describe('handling one alert', () => {
  let server: TestServer;
  let url: string;

  beforeAll(async () => {
    server = await startTestServer();
    url = server.url;
  });

  afterAll(() => stopAndRemove(server));

  /** Runs an action that must succeed, checks its time stamp falls within the request. */
  async function act(
    id: string,
    action: 'acknowledge' | 'resolve',
    body: Body,
  ): Promise<{ alert: Alert; before: number; after: number }> {
    const before = Date.now();
    const res = await handleAlert(url, id, action, body);
    const after = Date.now();
    expectStatus(res, 200);
    return { alert: res.body as Alert, before, after };
  }

  function expectTimeWithin(value: string | null, before: number, after: number): void {
    expect(value).toMatch(ISO_UTC_MS);
    expect(Date.parse(value!)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(value!)).toBeLessThanOrEqual(after);
  }

  describe('GET /alerts/{id}', () => {
    it('returns the alert', async () => {
      const alert = await createAlert(url, { message: 'read me' });
      const res = await request(url).get(`/alerts/${alert.id}`);

      expectStatus(res, 200);
      expect(res.body).toEqual(alert);
    });

    it.each([
      ['an unknown UUID', randomUUID()],
      ['an id that is not a UUID', 'not-a-uuid'],
      ['a very long id', 'a'.repeat(300)],
    ])('answers 404 for %s', async (_case, id) => {
      expectHttpError(await request(url).get(`/alerts/${id}`), 404);
    });
  });

  describe('GET /alerts/{id}/timeline', () => {
    it('lists what happened to the alert, oldest first: received, acknowledged, resolved', async () => {
      const alert = await createAlert(url, { message: 'timeline' });
      const acknowledged = await act(alert.id, 'acknowledge', { by: 'Marie', note: 'en route' });
      const resolved = await act(alert.id, 'resolve', { by: 'Karim' });

      const res = await request(url).get(`/alerts/${alert.id}/timeline`);
      expectStatus(res, 200);
      expect(res.body).toEqual([
        { at: alert.receivedAt, kind: 'received' },
        { at: acknowledged.alert.acknowledgedAt, kind: 'acknowledged', by: 'Marie', detail: 'en route' },
        { at: resolved.alert.resolvedAt, kind: 'resolved', by: 'Karim' },
      ]);
    });

    it('answers 404 for an alert that does not exist', async () => {
      expectHttpError(await request(url).get(`/alerts/${randomUUID()}/timeline`), 404);
    });
  });

  describe('POST /alerts/{id}/acknowledge', () => {
    it('acknowledges an open alert: 200, status, time, who and note', async () => {
      const alert = await createAlert(url);

      const {
        alert: acknowledged,
        before,
        after,
      } = await act(alert.id, 'acknowledge', {
        by: 'Marie',
        note: 'On my way to the reception',
      });

      expect(acknowledged).toEqual({
        ...alert,
        status: 'acknowledged',
        acknowledgedAt: expect.any(String),
        acknowledgedBy: 'Marie',
        acknowledgementNote: 'On my way to the reception',
      });
      expectTimeWithin(acknowledged.acknowledgedAt, before, after);
      expect(await getAlert(url, alert.id)).toEqual(acknowledged);
    });

    it('stores a null note when none is given', async () => {
      const alert = await createAlert(url);
      const { alert: acknowledged } = await act(alert.id, 'acknowledge', { by: 'Marie' });
      expect(acknowledged.acknowledgementNote).toBeNull();
    });

    it('keeps the first acknowledgement when acknowledged again', async () => {
      const alert = await createAlert(url);
      const { alert: first } = await act(alert.id, 'acknowledge', { by: 'Marie', note: 'first' });

      const { alert: again } = await act(alert.id, 'acknowledge', { by: 'Paul', note: 'second' });

      expect(again).toEqual(first);
      expect(await getAlert(url, alert.id)).toEqual(first);
    });

    it('accepts an id in upper case', async () => {
      const alert = await createAlert(url);
      const { alert: acknowledged } = await act(alert.id.toUpperCase(), 'acknowledge', { by: 'Marie' });
      expect(acknowledged.id).toBe(alert.id);
      expect(acknowledged.status).toBe('acknowledged');
    });

    it('refuses to acknowledge a resolved alert: 409, alert unchanged', async () => {
      const alert = await createAlert(url);
      const { alert: resolved } = await act(alert.id, 'resolve', { by: 'Marie' });

      expectHttpError(await handleAlert(url, alert.id, 'acknowledge', { by: 'Paul' }), 409);

      expect(await getAlert(url, alert.id)).toEqual(resolved);
    });
  });

  describe('POST /alerts/{id}/resolve', () => {
    it('resolves an open alert directly, leaving the acknowledgement empty', async () => {
      const alert = await createAlert(url);

      const {
        alert: resolved,
        before,
        after,
      } = await act(alert.id, 'resolve', {
        by: 'Marie',
        note: 'False alarm: toaster',
      });

      expect(resolved).toEqual({
        ...alert,
        status: 'resolved',
        resolvedAt: expect.any(String),
        resolvedBy: 'Marie',
        resolutionNote: 'False alarm: toaster',
      });
      expectTimeWithin(resolved.resolvedAt, before, after);
      expect(await getAlert(url, alert.id)).toEqual(resolved);
    });

    it('resolves an acknowledged alert, keeping its acknowledgement', async () => {
      const alert = await createAlert(url);
      const { alert: acknowledged } = await act(alert.id, 'acknowledge', { by: 'Marie', note: 'seen' });

      const { alert: resolved } = await act(alert.id, 'resolve', { by: 'Paul' });

      expect(resolved).toEqual({
        ...acknowledged,
        status: 'resolved',
        resolvedAt: expect.stringMatching(ISO_UTC_MS),
        resolvedBy: 'Paul',
        resolutionNote: null,
      });
      expect(resolved.resolvedAt! >= acknowledged.acknowledgedAt!).toBe(true);
    });

    it('keeps the first resolution when resolved again', async () => {
      const alert = await createAlert(url);
      const { alert: first } = await act(alert.id, 'resolve', { by: 'Marie', note: 'first' });

      const { alert: again } = await act(alert.id, 'resolve', { by: 'Paul', note: 'second' });

      expect(again).toEqual(first);
      expect(await getAlert(url, alert.id)).toEqual(first);
    });
  });

  describe.each(['acknowledge', 'resolve'] as const)('POST /alerts/{id}/%s refusals', (action) => {
    it('answers 404 for an unknown id', async () => {
      expectHttpError(await handleAlert(url, randomUUID(), action, { by: 'Marie' }), 404);
    });

    it('answers 404 for an id that is not a UUID', async () => {
      expectHttpError(await handleAlert(url, 'nope', action, { by: 'Marie' }), 404);
    });

    it.each<[string, unknown, string[]]>([
      ['an empty body', {}, ['by']],
      ['an empty by', { by: '' }, ['by']],
      ['a numeric by', { by: 42 }, ['by']],
      ['a by of 65 characters', { by: 'm'.repeat(65) }, ['by']],
      ['a note of 501 characters', { by: 'Marie', note: 'n'.repeat(501) }, ['note']],
      ['a numeric note', { by: 'Marie', note: 5 }, ['note']],
      ['an unknown field', { by: 'Marie', when: 'now' }, ['when']],
      ['an array', [{ by: 'Marie' }], []],
    ])('refuses %s with 400, alert unchanged', async (_case, body, fields) => {
      const alert = await createAlert(url);

      expectHttpError(await handleAlert(url, alert.id, action, body), 400, fields);

      expect(await getAlert(url, alert.id)).toEqual(alert);
    });

    it.each([
      ['malformed JSON', '{"by":', 'application/json', 400],
      ['JSON null', 'null', 'application/json', 400],
      ['a text/plain body', '{"by":"Marie"}', 'text/plain', 415],
    ])('refuses %s, alert unchanged', async (_case, text, contentType, status) => {
      const alert = await createAlert(url);

      expectHttpError(await postRaw(url, `/alerts/${alert.id}/${action}`, text, contentType), status);

      expect(await getAlert(url, alert.id)).toEqual(alert);
    });

    it('refuses a JSON request without any body with 400 naming by', async () => {
      const alert = await createAlert(url);
      expectHttpError(
        await request(url).post(`/alerts/${alert.id}/${action}`).set('Content-Type', 'application/json'),
        400,
        ['by'],
      );
    });

    it('refuses a request without any body nor Content-Type with 415, alert unchanged', async () => {
      const alert = await createAlert(url);
      expectHttpError(await request(url).post(`/alerts/${alert.id}/${action}`), 415);
      expect(await getAlert(url, alert.id)).toEqual(alert);
    });

    it('accepts by at 64 and note at 500 characters', async () => {
      const alert = await createAlert(url);
      const { alert: handled } = await act(alert.id, action, { by: 'm'.repeat(64), note: 'n'.repeat(500) });

      const [byField, noteField] =
        action === 'acknowledge'
          ? ['acknowledgedBy', 'acknowledgementNote']
          : ['resolvedBy', 'resolutionNote'];
      expect(handled).toMatchObject({ [byField]: 'm'.repeat(64), [noteField]: 'n'.repeat(500) });
    });
  });
});
