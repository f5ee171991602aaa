import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import request from 'supertest';
import type { Response } from 'supertest';
import type { Alert, AlertPage, Device } from '@app/contracts';
import { parsePrometheusText, Sample } from './prometheus-text';

/** The wire format of every time the server returns: ISO 8601 UTC with milliseconds. */
export const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** An RFC 9562 UUID in canonical lower-case form (any version). */
export const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export type Body = Record<string, unknown>;

/** A valid `POST /alerts` body with a fresh id; each test overrides only what it is about. */
export function alertBody(overrides: Body = {}): Body {
  return { id: randomUUID(), deviceId: 'pi-accueil-01', type: 'fire', ...overrides };
}

/** Fails with the response body in the message, which is what one needs to read a failure. */
export function expectStatus(res: { status: number; text?: string }, status: number): void {
  if (res.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${res.status}: ${res.text ?? ''}`);
  }
}

export function postAlert(url: string, body: unknown): Promise<Response> {
  return request(url)
    .post('/alerts')
    .send(body as object);
}

/** Sends `text` byte for byte, for bodies that are not (valid) JSON objects. */
export function postRaw(url: string, path: string, text: string, contentType = 'application/json') {
  return request(url).post(path).set('Content-Type', contentType).send(text);
}

/** Posts a new alert and returns it, failing unless the server answers 201. */
export async function createAlert(url: string, overrides: Body = {}): Promise<Alert> {
  const res = await postAlert(url, alertBody(overrides));
  expectStatus(res, 201);
  return res.body as Alert;
}

export async function getAlert(url: string, id: string): Promise<Alert> {
  const res = await request(url).get(`/alerts/${id}`);
  expectStatus(res, 200);
  return res.body as Alert;
}

export function listAlertsRaw(url: string, query: Record<string, string | number> = {}): Promise<Response> {
  return request(url).get('/alerts').query(query);
}

export async function listAlerts(
  url: string,
  query: Record<string, string | number> = {},
): Promise<AlertPage> {
  const res = await listAlertsRaw(url, query);
  expectStatus(res, 200);
  return res.body as AlertPage;
}

/** Follows `nextCursor` to the end; `between` runs after each page (to change the store mid-walk). */
export async function walkAlerts(
  url: string,
  query: Record<string, string | number>,
  between: (pageIndex: number) => Promise<void> = () => Promise.resolve(),
): Promise<AlertPage[]> {
  const pages: AlertPage[] = [];
  let before: string | null = null;
  do {
    const page = await listAlerts(url, before === null ? query : { ...query, before });
    pages.push(page);
    before = page.nextCursor;
    await between(pages.length - 1);
    if (pages.length > 1000) throw new Error('pagination does not end');
  } while (before !== null);
  return pages;
}

export function handleAlert(
  url: string,
  id: string,
  action: 'acknowledge' | 'resolve',
  body: unknown,
): Promise<Response> {
  return request(url)
    .post(`/alerts/${id}/${action}`)
    .send(body as object);
}

export function heartbeat(url: string, deviceId: string, body: unknown = {}): Promise<Response> {
  return request(url)
    .put(`/devices/${deviceId}/heartbeat`)
    .send(body as object);
}

export async function listDevices(url: string): Promise<Device[]> {
  const res = await request(url).get('/devices');
  expectStatus(res, 200);
  return res.body as Device[];
}

export async function findDevice(url: string, id: string): Promise<Device | undefined> {
  return (await listDevices(url)).find((device) => device.id === id);
}

export async function scrapeMetrics(url: string): Promise<Sample[]> {
  const res = await request(url).get('/metrics');
  expectStatus(res, 200);
  return parsePrometheusText(res.text);
}

export interface RawResponse {
  status: number;
  text: string;
  body: unknown;
}

/**
 * A request exactly as written, through node:http: supertest always adds a Content-Type to a
 * body, so this is the only way to send one without any. A body given as several chunks goes
 * out with `Transfer-Encoding: chunked` and no Content-Length, as a streaming client sends it.
 */
export function rawRequest(
  url: string,
  method: string,
  path: string,
  body: string | string[],
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const lengthHeader = typeof body === 'string' ? { 'Content-Length': String(Buffer.byteLength(body)) } : {};
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method, headers: { ...lengthHeader, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = undefined;
        try {
          parsed = JSON.parse(text);
        } catch {
          // Not JSON: the caller's assertion on the body will show the text.
        }
        resolve({ status: res.statusCode ?? 0, text, body: parsed });
      });
    });
    req.on('error', reject);
    for (const chunk of typeof body === 'string' ? [body] : body) req.write(chunk);
    req.end();
  });
}
