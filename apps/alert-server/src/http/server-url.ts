import type { Request } from 'express';
import type { AppConfig } from '../config/app-config';
import { requestOrigin } from './request-origin';

/**
 * The address a Pi should use for this server: VIGIE_PUBLIC_URL, else the one this request
 * reached (the operator's, or the Pi's). The enrollment command and the install script name it.
 */
export function serverUrl(req: Request, config: Pick<AppConfig, 'publicUrl'>): string {
  const configured = config.publicUrl?.href.replace(/\/$/, '');
  return configured ?? requestOrigin(req) ?? `http://${req.socket.localAddress}:${req.socket.localPort}`;
}
