// Loaded first: the contract's DTO decorators, imported through the server, need it.
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { Alert } from '@app/contracts';
import { stopAndRemove } from './support/lifecycle';
import { PageOrigin, SIMPLE_BODIES, foreignPages, post, postJson } from './support/origins';
import {
  Answer,
  bearer,
  expectError,
  provisionDevice,
  provisionOperator,
  send,
  setCookies,
  signIn,
} from './support/security';
import { TestServer, startTestServer } from './support/test-server';
import { alertBody } from './support/vigie-api';

/**
 * A page of another origin must not change anything with an operator's cookie. SameSite=Strict
 * keeps the cookie from other sites only; a page on another port of the security-post machine
 * or on a sibling host name is the same site and gets it. So every state-changing request from
 * another origin is refused (403), and the routes a browser reaches with the cookie take JSON
 * only, even without a body (415): a form cannot send JSON, and a script needs a preflight.
 */

const PASSWORD = 'correct horse battery';

describe('security: requests made by pages of other origins (VIGIE_AUTH=required)', () => {
  let server: TestServer;
  let url: string;
  let token: string;
  let marie: string;

  beforeAll(async () => {
    server = await startTestServer({ VIGIE_AUTH: 'required' });
    url = server.url;
    token = await provisionDevice(server, 'pi-a');
    await provisionOperator(server, 'Marie', PASSWORD);
    marie = await signIn(url, 'Marie', PASSWORD);
  });

  afterAll(() => stopAndRemove(server));

  async function openAlert(): Promise<Alert> {
    const created = await send(url, 'POST', '/alerts', {
      body: alertBody({ deviceId: 'pi-a' }),
      headers: bearer(token),
    });
    expect(created.status).toBe(201);
    return created.json as Alert;
  }

  async function readBack(id: string): Promise<Alert> {
    const res = await send(url, 'GET', `/alerts/${id}`, { headers: { Cookie: marie } });
    expect(res.status).toBe(200);
    return res.json as Alert;
  }

  async function expectSignedIn(cookie: string): Promise<void> {
    const res = await send(url, 'GET', '/auth/session', { headers: { Cookie: cookie } });
    expect(res.status).toBe(200);
  }

  function expectOriginRefused(res: Answer, page: PageOrigin): void {
    expectError(res, 403);
    const message = (res.json as { message: string }).message;
    expect(message).toMatch(/another origin|comes from a (cross|same)-site page/);
    if (page.headers.Origin) expect(message).toContain(page.headers.Origin);
    expect(setCookies(res)).toEqual([]);
  }

  describe.each(['acknowledge', 'resolve'] as const)('POST /alerts/{id}/%s', (action) => {
    it.each(foreignPages('http://127.0.0.1:0').map((page) => [page.what]))(
      'from %s: 403 whatever the body, and the alert is unchanged',
      async (what) => {
        const page = foreignPages(url).find((candidate) => candidate.what === what)!;
        const alert = await openAlert();
        for (const body of SIMPLE_BODIES) {
          const res = await post(
            url,
            `/alerts/${alert.id}/${action}`,
            { ...page.headers, ...body.headers, Cookie: marie },
            body.rawBody,
          );
          expectOriginRefused(res, page);
        }
        // Even JSON, which a browser would only send after a preflight this server refuses.
        expectOriginRefused(
          await postJson(url, `/alerts/${alert.id}/${action}`, { ...page.headers, Cookie: marie }, {}),
          page,
        );
        expect(await readBack(alert.id)).toEqual(alert);
      },
    );

    it.each(SIMPLE_BODIES.filter((body) => body.rawBody === undefined).map((body) => [body.what]))(
      'with %s, even from no browser at all: 415, and the alert is unchanged',
      async (what) => {
        const body = SIMPLE_BODIES.find((candidate) => candidate.what === what)!;
        const alert = await openAlert();
        const res = await post(url, `/alerts/${alert.id}/${action}`, { ...body.headers, Cookie: marie });
        expectError(res, 415);
        expect((res.json as { message: string }).message).toContain('application/json');
        expect(await readBack(alert.id)).toEqual(alert);
      },
    );

    it("from the server's own page (Origin: its address) with JSON: 200", async () => {
      const alert = await openAlert();
      const res = await postJson(
        url,
        `/alerts/${alert.id}/${action}`,
        { Origin: url, 'Sec-Fetch-Site': 'same-origin', Cookie: marie },
        { note: 'from the page' },
      );
      expect(res.status).toBe(200);
      expect((res.json as Alert).status).toBe(action === 'acknowledge' ? 'acknowledged' : 'resolved');
    });

    it('from curl (no Origin) with JSON, even without a body: 200', async () => {
      const alert = await openAlert();
      const res = await postJson(url, `/alerts/${alert.id}/${action}`, { Cookie: marie });
      expect(res.status).toBe(200);
      expect((res.json as Alert).status).toBe(action === 'acknowledge' ? 'acknowledged' : 'resolved');
    });
  });

  describe('POST /auth/logout', () => {
    it.each(foreignPages('http://127.0.0.1:0').map((page) => [page.what]))(
      'from %s: 403, and the session stays valid',
      async (what) => {
        const page = foreignPages(url).find((candidate) => candidate.what === what)!;
        const cookie = await signIn(url, 'Marie', PASSWORD);
        for (const body of SIMPLE_BODIES) {
          const res = await post(
            url,
            '/auth/logout',
            { ...page.headers, ...body.headers, Cookie: cookie },
            body.rawBody,
          );
          expectOriginRefused(res, page);
        }
        await expectSignedIn(cookie);
      },
    );

    it('without a JSON Content-Type: 415, and the session stays valid', async () => {
      const cookie = await signIn(url, 'Marie', PASSWORD);
      for (const body of SIMPLE_BODIES.filter((candidate) => candidate.rawBody === undefined)) {
        expectError(await post(url, '/auth/logout', { ...body.headers, Cookie: cookie }), 415);
      }
      await expectSignedIn(cookie);
    });

    it("from the server's own page with JSON and no body: 204, and the session ends", async () => {
      const cookie = await signIn(url, 'Marie', PASSWORD);
      const res = await postJson(url, '/auth/logout', {
        Origin: url,
        'Sec-Fetch-Site': 'same-origin',
        Cookie: cookie,
      });
      expect(res.status).toBe(204);
      expect((await send(url, 'GET', '/auth/session', { headers: { Cookie: cookie } })).status).toBe(401);
    });
  });

  describe('POST /auth/login', () => {
    it('from another page: 403 and no session cookie, even with the right password', async () => {
      for (const page of foreignPages(url)) {
        const res = await postJson(url, '/auth/login', page.headers, { name: 'Marie', password: PASSWORD });
        expectOriginRefused(res, page);
      }
    });

    it('without a JSON Content-Type: 415, with a form body or none', async () => {
      const form = await post(
        url,
        '/auth/login',
        { 'Content-Type': 'application/x-www-form-urlencoded' },
        `name=Marie&password=${encodeURIComponent(PASSWORD)}`,
      );
      expectError(form, 415);
      expect(setCookies(form)).toEqual([]);
      for (const body of SIMPLE_BODIES.filter((candidate) => candidate.rawBody === undefined)) {
        expectError(await post(url, '/auth/login', body.headers), 415);
      }
    });
  });

  describe('the device routes keep their answers', () => {
    it('an agent (no Origin) still gets 400 for an empty POST /alerts and 204 for an empty heartbeat', async () => {
      const empty = await post(url, '/alerts', { ...bearer(token), 'Content-Length': '0' });
      expectError(empty, 400);
      const heartbeat = await send(url, 'PUT', '/devices/pi-a/heartbeat', {
        headers: { ...bearer(token), 'Content-Length': '0' },
      });
      expect(heartbeat.status).toBe(204);
    });

    it('a page of another origin cannot post an alert even with a device token', async () => {
      const page = foreignPages(url)[0];
      const res = await postJson(
        url,
        '/alerts',
        { ...page.headers, ...bearer(token) },
        alertBody({ deviceId: 'pi-a' }),
      );
      expectOriginRefused(res, page);
    });
  });

  it('logs each refusal once, at warn, with the code, the origin and the route', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      const alert = await openAlert();
      await post(url, `/alerts/${alert.id}/resolve`, {
        Origin: 'http://evil.example',
        'Sec-Fetch-Site': 'cross-site',
        'Content-Length': '0',
        Cookie: marie,
      });
      const refusals = warn.mock.calls.filter(
        ([fields]) => (fields as { code?: string } | undefined)?.code === 'CROSS_ORIGIN_REFUSED',
      );
      expect(refusals).toHaveLength(1);
      expect(refusals[0][0]).toMatchObject({
        code: 'CROSS_ORIGIN_REFUSED',
        origin: 'http://evil.example',
        secFetchSite: 'cross-site',
        route: `POST /alerts/${alert.id}/resolve`,
      });
    } finally {
      warn.mockRestore();
    }
  });

  it('behind a TLS proxy on this host, the page at the name the proxy serves is its own', async () => {
    const alert = await openAlert();
    const proxied = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'security-post.lan' };
    const res = await postJson(
      url,
      `/alerts/${alert.id}/acknowledge`,
      { ...proxied, Origin: 'https://security-post.lan', 'Sec-Fetch-Site': 'same-origin', Cookie: marie },
      {},
    );
    expect(res.status).toBe(200);
    // The same name over plain http is another origin.
    const other = await postJson(
      url,
      `/alerts/${alert.id}/resolve`,
      { ...proxied, Origin: 'http://security-post.lan', 'Sec-Fetch-Site': 'same-site', Cookie: marie },
      {},
    );
    expectError(other, 403);
    expect((await readBack(alert.id)).status).toBe('acknowledged');
  });
});

describe('security: VIGIE_PUBLIC_URL names the pages the server accepts changes from', () => {
  let server: TestServer;
  let url: string;
  let token: string;
  let marie: string;
  const PUBLIC = 'https://vigie.example:8443';

  beforeAll(async () => {
    server = await startTestServer({ VIGIE_AUTH: 'required', VIGIE_PUBLIC_URL: `${PUBLIC}/` });
    url = server.url;
    token = await provisionDevice(server, 'pi-a');
    await provisionOperator(server, 'Marie', PASSWORD);
    marie = await signIn(url, 'Marie', PASSWORD);
  });

  afterAll(() => stopAndRemove(server));

  async function openAlert(): Promise<Alert> {
    const created = await send(url, 'POST', '/alerts', {
      body: alertBody({ deviceId: 'pi-a' }),
      headers: bearer(token),
    });
    expect(created.status).toBe(201);
    return created.json as Alert;
  }

  it('accepts its pages through a proxy that passes neither Host nor X-Forwarded-*', async () => {
    // What nginx sends with a bare proxy_pass: Host is the upstream's address, no forwarded headers.
    const alert = await openAlert();
    const res = await postJson(
      url,
      `/alerts/${alert.id}/acknowledge`,
      { Origin: PUBLIC, 'Sec-Fetch-Site': 'same-origin', Cookie: marie },
      {},
    );
    expect(res.status).toBe(200);
  });

  it('still accepts the page opened at the address the request was sent to (the LAN address)', async () => {
    const alert = await openAlert();
    const res = await postJson(
      url,
      `/alerts/${alert.id}/resolve`,
      { Origin: url, 'Sec-Fetch-Site': 'same-origin', Cookie: marie },
      {},
    );
    expect(res.status).toBe(200);
  });

  it.each([
    ['another port of the public host', 'https://vigie.example:9443'],
    ['the public host over http', 'http://vigie.example:8443'],
    ['a sibling host name', 'https://grafana.vigie.example:8443'],
    ['another port of the server', 'http://127.0.0.1:1'],
  ])('refuses %s, and the alert is unchanged', async (_what, origin) => {
    const alert = await openAlert();
    const res = await postJson(
      url,
      `/alerts/${alert.id}/resolve`,
      { Origin: origin, 'Sec-Fetch-Site': 'same-site', Cookie: marie },
      {},
    );
    expectError(res, 403);
    const back = await send(url, 'GET', `/alerts/${alert.id}`, { headers: { Cookie: marie } });
    expect(back.json).toEqual(alert);
  });
});

describe('security: a lab bench (VIGIE_AUTH=off) refuses other pages too', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ VIGIE_AUTH: 'off' });
  });

  afterAll(() => stopAndRemove(server));

  it('a cross-site page cannot resolve an alert, though no cookie is needed there', async () => {
    const created = await send(server.url, 'POST', '/alerts', { body: alertBody({ deviceId: 'pi-lab' }) });
    expect(created.status).toBe(201);
    const alert = created.json as Alert;
    const res = await post(
      server.url,
      `/alerts/${alert.id}/resolve`,
      { Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site', 'Content-Type': 'text/plain' },
      '{"by":"Mallory"}',
    );
    expectError(res, 403);
    expect((await send(server.url, 'GET', `/alerts/${alert.id}`)).json).toEqual(alert);
  });
});
