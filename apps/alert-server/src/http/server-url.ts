import type { Request } from 'express';
import type { AppConfig } from '../config/app-config';
import { requestOrigin } from './request-origin';

/**
 * The address a Pi should use for this server: VIGIE_PUBLIC_URL, else the one this request
 * reached (the operator's, or the Pi's). The enrollment command and the install script name it.
 */
export function serverUrl(req: Request, config: Pick<AppConfig, 'publicUrl'>): string {
  return (
    publicServerUrl(config) ??
    requestOrigin(req) ??
    `http://${req.socket.localAddress}:${req.socket.localPort}`
  );
}

/** VIGIE_PUBLIC_URL as a base to append paths to (no trailing slash), or null when unset. */
export function publicServerUrl(config: Pick<AppConfig, 'publicUrl'>): string | null {
  return config.publicUrl?.href.replace(/\/$/, '') ?? null;
}
