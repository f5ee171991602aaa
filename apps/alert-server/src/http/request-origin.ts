import type { Request } from 'express';

/**
 * Which page a state-changing request comes from. A browser names it in `Origin` (and, in
 * current browsers, `Sec-Fetch-Site`), and no page can forge either; the operator's session
 * cookie goes along with requests from any page of the same site (another port of this host, a
 * sibling host name), so the cookie alone does not prove the operator's intent.
 */

/** What a link, an image or a prefetch sends never changes anything here: only these do. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function changesState(method: string): boolean {
  return STATE_CHANGING.has(method);
}

/** Why a request was refused: what the browser said, and what this server would have accepted. */
export interface ForeignRequest {
  /** The Origin header as sent (`null` from sandboxed frames and some redirects), or undefined. */
  origin: string | undefined;
  /** The Sec-Fetch-Site header as sent, or undefined. */
  site: string | undefined;
  ownOrigins: string[];
}

/**
 * The request when it comes from a page that is not this server's, else null. A request with
 * neither header (curl, the Pi agents, scripts) is no browser's, so it passes: only a browser
 * carries the operator's cookie on its own.
 */
export function foreignRequest(req: Request, publicUrl: Readonly<URL> | null): ForeignRequest | null {
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  const siteValue = typeof site === 'string' ? site : undefined;
  if (origin === undefined) {
    // Browsers send Origin on every POST today; one that does not (an extension or a proxy
    // stripped it) still says where the page was.
    if (siteValue !== 'cross-site' && siteValue !== 'same-site') return null;
    return { origin, site: siteValue, ownOrigins: ownOrigins(req, publicUrl) };
  }
  const own = ownOrigins(req, publicUrl);
  const claimed = asOrigin(origin);
  if (claimed !== null && own.includes(claimed)) return null;
  return { origin, site: siteValue, ownOrigins: own };
}

/**
 * The origins of this server's own pages: VIGIE_PUBLIC_URL's, and the one the request was sent
 * to (scheme and Host, as a browser addressed it; from a proxy on this host, its
 * X-Forwarded-Proto and X-Forwarded-Host, which Express honours through `trust proxy`). The
 * second cannot be forged by a page: a browser sets Host itself, and a page can only add
 * X-Forwarded-* through a CORS preflight, which this server never grants. Keeping it beside
 * VIGIE_PUBLIC_URL lets the page work both through the proxy's name and at the LAN address.
 */
export function ownOrigins(req: Request, publicUrl: Readonly<URL> | null): string[] {
  const origins: string[] = [];
  if (publicUrl) origins.push(publicUrl.origin);
  const addressed = requestOrigin(req);
  if (addressed !== null && !origins.includes(addressed)) origins.push(addressed);
  return origins;
}

/** `scheme://host[:port]` the request was sent to, or null when the Host header is absent or not a host. */
export function requestOrigin(req: Request): string | null {
  const host = req.host;
  if (!host) return null;
  return asOrigin(`${req.protocol}://${host}`);
}

/**
 * The serialised origin of `value` when it is one (`scheme://host[:port]`, http or https), else
 * null. Normalised as browsers write it: lower case, no default port.
 */
function asOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  // Anything past the authority means the value was no bare origin (a crafted Host header).
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return null;
  return url.origin;
}
