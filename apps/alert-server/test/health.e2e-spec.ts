import request from 'supertest';
import { Store } from '../src/store/store';
import { stopAndRemove } from './support/lifecycle';
import { startTestServer, TestServer } from './support/test-server';
import { STORE_CLOSED_RETRY_AFTER_S } from '../src/http/http-error.filter';
import { alertBody, expectStatus, postAlert } from './support/vigie-api';

/** What a supervisor and a load balancer ask. */
describe('health', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(() => stopAndRemove(server));

  it('GET /health/live answers 200 while the process runs', async () => {
    const res = await request(server.url).get('/health/live');

    expectStatus(res, 200);
    expect(res.body).toMatchObject({ status: 'ok' });
  });

  it('GET /health/ready answers 200 with the store up', async () => {
    const res = await request(server.url).get('/health/ready');

    expectStatus(res, 200);
    expect(res.body).toMatchObject({ status: 'ok', details: { store: { status: 'up' } } });
  });

  it('commits on the writer thread, as in production (a silent fallback to the event loop would pass every other spec)', () => {
    expect(server.app.get(Store).writerState.kind).toBe('thread');
  });

  it('answers an unknown path with a JSON 404, not a 5xx', async () => {
    const res = await request(server.url).get('/health/nope');

    expectStatus(res, 404);
    expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  describe('when the store stops answering', () => {
    let broken: TestServer;

    beforeAll(async () => {
      broken = await startTestServer();
      // The closest in-process stand-in for a store that no longer answers.
      await broken.app.get(Store).close();
    });

    afterAll(() => stopAndRemove(broken));

    it('GET /health/ready answers 503 naming the store; /health/live still 200', async () => {
      const ready = await request(broken.url).get('/health/ready');
      expectStatus(ready, 503);
      expect(ready.body).toMatchObject({ status: 'error', error: { store: { status: 'down' } } });

      expectStatus(await request(broken.url).get('/health/live'), 200);
    });

    it('answers an alert 503 with Retry-After (a server shutting down): the agent keeps it and comes back', async () => {
      const res = await postAlert(broken.url, alertBody());
      expectStatus(res, 503);
      expect(res.body).toMatchObject({ statusCode: 503, message: expect.stringContaining('shutting down') });
      expect(res.headers['retry-after']).toBe(String(STORE_CLOSED_RETRY_AFTER_S));
    });
  });
});
