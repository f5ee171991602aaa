import type http from 'node:http';
import { Answer, send } from './security';

/**
 * What a browser sends for a page of each kind of origin, and the bodies an HTML form or a
 * no-cors fetch can carry: the requests a hostile page could make with an operator's cookie.
 */

export interface PageOrigin {
  what: string;
  headers: Record<string, string>;
}

/** Pages that are not the server's own, as a browser describes them. */
export function foreignPages(serverUrl: string): PageOrigin[] {
  const port = Number(new URL(serverUrl).port);
  return [
    {
      what: 'a cross-site page',
      headers: { Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' },
    },
    {
      // Another service on the security-post machine (Grafana): the cookie goes along.
      what: 'a same-site page on another port',
      headers: { Origin: `http://127.0.0.1:${port === 3001 ? 3002 : 3001}`, 'Sec-Fetch-Site': 'same-site' },
    },
    {
      what: 'a page of the same host name but over https',
      headers: { Origin: serverUrl.replace(/^http:/, 'https:'), 'Sec-Fetch-Site': 'same-site' },
    },
    { what: 'a sandboxed frame (Origin: null)', headers: { Origin: 'null', 'Sec-Fetch-Site': 'cross-site' } },
    { what: 'a cross-site page whose Origin was stripped', headers: { 'Sec-Fetch-Site': 'cross-site' } },
    { what: 'a same-site page whose Origin was stripped', headers: { 'Sec-Fetch-Site': 'same-site' } },
  ];
}

/** What a page may send without a CORS preflight: no body, or a form's / text body. */
export const SIMPLE_BODIES: Array<{ what: string; headers: Record<string, string>; rawBody?: string }> = [
  { what: 'no body, no Content-Type', headers: { 'Content-Length': '0' } },
  {
    what: 'no body, text/plain',
    headers: { 'Content-Length': '0', 'Content-Type': 'text/plain' },
  },
  {
    what: 'no body, form-urlencoded',
    headers: { 'Content-Length': '0', 'Content-Type': 'application/x-www-form-urlencoded' },
  },
  {
    what: 'a form-urlencoded body',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    rawBody: 'note=x',
  },
  { what: 'a text/plain body', headers: { 'Content-Type': 'text/plain' }, rawBody: '{"note":"x"}' },
];

/** A POST with exactly these headers and optional raw body (no Content-Type added). */
export function post(
  url: string,
  path: string,
  headers: http.OutgoingHttpHeaders,
  rawBody?: string,
): Promise<Answer> {
  return send(url, 'POST', path, { headers, ...(rawBody === undefined ? {} : { rawBody }) });
}

/** A JSON POST, as the page and curl send it: `body` undefined sends none (Content-Length: 0). */
export function postJson(
  url: string,
  path: string,
  headers: http.OutgoingHttpHeaders,
  body?: unknown,
): Promise<Answer> {
  return body === undefined
    ? send(url, 'POST', path, {
        headers: { 'Content-Type': 'application/json', 'Content-Length': '0', ...headers },
      })
    : send(url, 'POST', path, { headers, body });
}
