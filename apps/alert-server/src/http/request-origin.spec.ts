import type { Request } from 'express';
import { changesState, foreignRequest, ownOrigins } from './request-origin';

/** What Express gives: `protocol` and `host` already account for a trusted proxy's X-Forwarded-*. */
function request(protocol: string, host: string | undefined, headers: Record<string, string> = {}): Request {
  return { protocol, host, headers } as unknown as Request;
}

describe('request origin', () => {
  it('only POST, PUT, PATCH and DELETE change state', () => {
    expect(['POST', 'PUT', 'PATCH', 'DELETE'].every(changesState)).toBe(true);
    expect(['GET', 'HEAD', 'OPTIONS'].some(changesState)).toBe(false);
  });

  it('own origins: VIGIE_PUBLIC_URL first, then where the request was sent, normalised', () => {
    const publicUrl = new URL('https://Vigie.Example:443/vigie/');
    expect(ownOrigins(request('http', '192.168.1.10:3000'), publicUrl)).toEqual([
      'https://vigie.example',
      'http://192.168.1.10:3000',
    ]);
    expect(ownOrigins(request('https', 'vigie.example:443'), publicUrl)).toEqual(['https://vigie.example']);
    expect(ownOrigins(request('http', '[::1]:3000'), null)).toEqual(['http://[::1]:3000']);
  });

  it.each([
    ['no Host (HTTP/1.0)', 'http', undefined],
    ['a Host with a user name', 'http', 'evil.example@127.0.0.1:3000'],
    ['a Host with a path', 'http', '127.0.0.1:3000/x'],
    ['a forwarded scheme that is not http(s)', 'javascript', '127.0.0.1:3000'],
    ['a Host that is no host', 'http', 'a b'],
  ])('the request gives no origin of its own with %s', (_what, protocol, host) => {
    expect(ownOrigins(request(protocol, host), null)).toEqual([]);
  });

  it('passes requests of no browser (neither Origin nor Sec-Fetch-Site) and of its own pages', () => {
    expect(foreignRequest(request('http', 'h:3000'), null)).toBeNull();
    expect(foreignRequest(request('http', 'h:3000', { 'sec-fetch-site': 'same-origin' }), null)).toBeNull();
    expect(foreignRequest(request('http', 'h:3000', { 'sec-fetch-site': 'none' }), null)).toBeNull();
    expect(foreignRequest(request('http', 'h:3000', { origin: 'http://h:3000' }), null)).toBeNull();
    expect(foreignRequest(request('https', 'h:443', { origin: 'https://h' }), null)).toBeNull();
  });

  it.each<[string, { origin?: string; 'sec-fetch-site'?: string }]>([
    ['another port', { origin: 'http://h:3001', 'sec-fetch-site': 'same-site' }],
    ['another scheme', { origin: 'https://h:3000' }],
    ['Origin: null', { origin: 'null' }],
    ['an empty Origin', { origin: '' }],
    ['two origins in one header', { origin: 'http://h:3000, http://evil.example' }],
    ['a cross-site page without Origin', { 'sec-fetch-site': 'cross-site' }],
    ['a same-site page without Origin', { 'sec-fetch-site': 'same-site' }],
  ])('refuses %s', (_what, headers) => {
    expect(foreignRequest(request('http', 'h:3000', headers), null)).toEqual({
      origin: headers.origin,
      site: headers['sec-fetch-site'],
      ownOrigins: ['http://h:3000'],
    });
  });

  it('refuses any Origin when the request names no host and no public URL is set', () => {
    expect(foreignRequest(request('http', undefined, { origin: 'http://h:3000' }), null)).not.toBeNull();
  });
});
