import type { Request, Response } from 'express';
import { SESSION_COOKIE, clearSessionCookie, sessionCookie, setSessionCookie } from './session-cookie';

function request(cookie: string | undefined, secure = false): Request {
  return { headers: cookie === undefined ? {} : { cookie }, secure } as unknown as Request;
}

function response(): { res: Response; cookies: string[] } {
  const cookies: string[] = [];
  const res = {
    append(name: string, value: string) {
      expect(name).toBe('Set-Cookie');
      cookies.push(value);
      return this;
    },
  } as unknown as Response;
  return { res, cookies };
}

const TOKEN = 'vgs_Ab3-_xyz0123456789abcdefghijklmnopqrstuvw';

describe('session cookie', () => {
  it('is named vigie_session', () => {
    expect(SESSION_COOKIE).toBe('vigie_session');
  });

  describe('sessionCookie (reading the Cookie header)', () => {
    it.each([
      ['alone', `vigie_session=${TOKEN}`],
      ['among others', `theme=dark; vigie_session=${TOKEN}; lang=fr`],
      ['without spaces after the separators', `theme=dark;vigie_session=${TOKEN};lang=fr`],
      ['with spaces around name and value', ` vigie_session = ${TOKEN} `],
      ['first of two', `vigie_session=${TOKEN}; vigie_session=other`],
      ['the longest accepted (256 characters)', `vigie_session=${'a'.repeat(256)}`],
    ])('finds the value %s', (_what, header) => {
      const expected = header.includes('a'.repeat(256)) ? 'a'.repeat(256) : TOKEN;
      expect(sessionCookie(request(header))).toBe(expected);
    });

    it.each([
      ['no Cookie header', undefined],
      ['an empty header', ''],
      ['other cookies only', 'theme=dark; lang=fr'],
      ['an empty value', 'vigie_session='],
      ['a name without a value', 'vigie_session'],
      ['a quoted value', `vigie_session="${TOKEN}"`],
      ['a value with a space inside', 'vigie_session=abc def'],
      ['a value with "="', `vigie_session=${TOKEN}=`],
      ['a value with non-ASCII', 'vigie_session=abcé'],
      ['a value with a dot or a slash', 'vigie_session=a.b/c'],
      ['a longer name', `xvigie_session=${TOKEN}`],
      ['another case', `VIGIE_SESSION=${TOKEN}`],
      ['a name with a prefix and a space', `x vigie_session=${TOKEN}`],
      ['a value over 256 characters', `vigie_session=${'a'.repeat(257)}`],
      [
        'a malformed first occurrence (the second is not looked at)',
        `vigie_session=a b; vigie_session=${TOKEN}`,
      ],
      ['separators only', ';;; =; ='],
    ])('reads nothing from %s', (_what, header) => {
      expect(sessionCookie(request(header))).toBeNull();
    });
  });

  describe('setSessionCookie and clearSessionCookie', () => {
    function attributes(line: string): string[] {
      return line.split('; ').slice(1).sort();
    }

    it('sets HttpOnly, SameSite=Strict, Path=/, a 12 h Max-Age, and no Secure over http', () => {
      const { res, cookies } = response();
      setSessionCookie(request(undefined, false), res, TOKEN);
      expect(cookies).toHaveLength(1);
      expect(cookies[0].startsWith(`vigie_session=${TOKEN}; `)).toBe(true);
      expect(attributes(cookies[0])).toEqual(['HttpOnly', 'Max-Age=43200', 'Path=/', 'SameSite=Strict']);
    });

    it('adds Secure over https', () => {
      const { res, cookies } = response();
      setSessionCookie(request(undefined, true), res, TOKEN);
      expect(attributes(cookies[0])).toEqual([
        'HttpOnly',
        'Max-Age=43200',
        'Path=/',
        'SameSite=Strict',
        'Secure',
      ]);
    });

    it('clears with an empty value and Max-Age=0, with the same attributes', () => {
      for (const secure of [false, true]) {
        const { res, cookies } = response();
        clearSessionCookie(request(undefined, secure), res);
        expect(cookies[0].startsWith('vigie_session=; ')).toBe(true);
        expect(attributes(cookies[0])).toEqual(
          ['HttpOnly', 'Max-Age=0', 'Path=/', 'SameSite=Strict', ...(secure ? ['Secure'] : [])].sort(),
        );
      }
    });

    it('what it sets, it reads back', () => {
      const { res, cookies } = response();
      setSessionCookie(request(undefined), res, TOKEN);
      expect(sessionCookie(request(cookies[0].split(';')[0]))).toBe(TOKEN);
    });
  });
});
