import type { Request, Response } from 'express';
import { SESSION_TTL_MS } from './operator-auth.service';

export const SESSION_COOKIE = 'vigie_session';

/** The session cookie's value, or null. Hand-parsed: one cookie does not need a dependency. */
export function sessionCookie(req: Request): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0 || part.slice(0, separator).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(separator + 1).trim();
    return /^[A-Za-z0-9_-]{1,256}$/.test(value) ? value : null;
  }
  return null;
}

/** HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure over https. */
export function setSessionCookie(req: Request, res: Response, token: string): void {
  res.append('Set-Cookie', cookie(req, `${SESSION_COOKIE}=${token}`, Math.floor(SESSION_TTL_MS / 1000)));
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.append('Set-Cookie', cookie(req, `${SESSION_COOKIE}=`, 0));
}

function cookie(req: Request, pair: string, maxAgeSeconds: number): string {
  return [
    pair,
    'Path=/',
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(req.secure ? ['Secure'] : []),
  ].join('; ');
}
