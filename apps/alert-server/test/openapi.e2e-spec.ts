import SwaggerParser from '@apidevtools/swagger-parser';
import { CreateAlertDto, HandleAlertDto, HeartbeatDto, ListAlertsQuery, LoginDto } from '@app/contracts';
import { getMetadataStorage } from 'class-validator';
import request from 'supertest';
import { stopAndRemove } from './support/lifecycle';
import { answeredRoutes, DocumentedOperation, documentedOperations } from './support/openapi';
import { startTestServer, TestServer } from './support/test-server';
import { expectStatus } from './support/vigie-api';

/**
 * The API document lives with the code: it is read from the controllers and DTOs of the
 * running server, so it must name every route the server answers, with the credentials the
 * server asks for and the NestJS error shape.
 */
describe('the OpenAPI document', () => {
  let server: TestServer;
  let document: {
    openapi: string;
    paths: Record<string, Record<string, unknown>>;
    components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
  };
  let operations: DocumentedOperation[];

  beforeAll(async () => {
    server = await startTestServer({ VIGIE_AUTH: 'required', VIGIE_METRICS_TOKEN: 'a metrics passphrase' });
    const res = await request(server.url).get('/api/openapi.json');
    expectStatus(res, 200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    document = res.body as typeof document;
    operations = documentedOperations(document);
  });

  afterAll(() => stopAndRemove(server));

  it('GET /api/openapi.json is valid OpenAPI 3, without signing in', async () => {
    expect(document.openapi).toMatch(/^3\./);
    // The validator dereferences what it is given: let it have a copy.
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  });

  it('lists every route the server answers, and no other', () => {
    const documented = operations.map(({ key }) => key).sort();

    expect(answeredRoutes(server.app).filter((route) => !documented.includes(route))).toEqual([]);
    expect(documented.filter((route) => !answeredRoutes(server.app).includes(route))).toEqual([]);
  });

  it('gives every route a summary, its success and its errors in the NestJS error shape', () => {
    const faults = operations.flatMap(({ key, operation }) => {
      const statuses = Object.keys(operation.responses);
      const problems: string[] = [];
      if (!operation.summary) problems.push(`${key}: no summary`);
      if (!statuses.some((status) => status.startsWith('2'))) problems.push(`${key}: no 2xx answer`);
      for (const status of statuses.filter((status) => /^[45]/.test(status))) {
        const schema = operation.responses[status].content?.['application/json']?.schema;
        // Terminus answers a failed health check with its own report, documented as such.
        if (key.startsWith('GET /health/') && status === '503') continue;
        if (schema?.$ref !== '#/components/schemas/ErrorBody')
          problems.push(`${key}: ${status} not an ErrorBody`);
      }
      return problems;
    });

    expect(faults).toEqual([]);
  });

  it('names the credentials a route asks for, and a route that asks for none answers without them', async () => {
    const mismatches: string[] = [];
    for (const { key, method, path, operation } of operations) {
      const needsCredentials = (operation.security ?? []).length > 0;
      const url = path.replace('{deviceId}', 'pi-openapi').replace(/\{[^}]+\}/g, 'x');
      let call = request(server.url)[method as 'get' | 'post' | 'put'](url);
      if (method !== 'get') call = call.set('Content-Type', 'application/json').send({});
      // A stream (GET /events, were it to let an anonymous caller in) would never end: bounded.
      const status = await call.timeout(5000).then(
        (res) => res.status,
        () => 'no answer in 5 s',
      );
      // A public route may still answer 401 where it says so (GET /auth/session: nobody signed in).
      const documented401 = '401' in operation.responses;
      if (needsCredentials ? status !== 401 : status === 401 && !documented401) {
        mismatches.push(
          `${key}: documented ${needsCredentials ? 'with' : 'without'} credentials, answered ${status}`,
        );
      }
      if (needsCredentials && !documented401) mismatches.push(`${key}: 401 not documented`);
    }

    expect(mismatches).toEqual([]);
  });

  it.each([CreateAlertDto, HandleAlertDto, HeartbeatDto, LoginDto].map((dto) => [dto.name, dto] as const))(
    'describes every field %s validates, and which are required',
    (_name, dto) => {
      const schema = document.components.schemas[dto.name];
      const validated = new Set(
        getMetadataStorage()
          .getTargetValidationMetadatas(dto, '', true, false)
          .map((rule) => rule.propertyName),
      );

      expect(Object.keys(schema.properties ?? {}).sort()).toEqual([...validated].sort());
      expect(schema.required ?? []).toEqual(
        dto === CreateAlertDto ? ['deviceId', 'type'] : dto === LoginDto ? ['name', 'password'] : [],
      );
    },
  );

  it('describes the query of GET /alerts field by field', () => {
    const parameters = (document.paths['/alerts'].get as { parameters: Array<{ name: string; in: string }> })
      .parameters;
    const validated = getMetadataStorage()
      .getTargetValidationMetadatas(ListAlertsQuery, '', true, false)
      .map((rule) => rule.propertyName);

    expect(
      parameters
        .filter((p) => p.in === 'query')
        .map((p) => p.name)
        .sort(),
    ).toEqual([...new Set(validated)].sort());
  });

  it('GET /api/docs is a page whose scripts, styles and icon all come from this server', async () => {
    const res = await request(server.url).get('/api/docs');
    expectStatus(res, 200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);

    const html = res.text;
    const assets = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    expect(assets.filter((asset) => !asset.startsWith('/') || asset.startsWith('//'))).toEqual([]);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)|<style|\sstyle=/i);
    for (const asset of assets) expectStatus(await request(server.url).get(asset), 200);
  });
});
