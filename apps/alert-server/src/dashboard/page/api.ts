import type {
  Alert,
  AlertPage,
  AlertStatus,
  AlertType,
  Device,
  Enrollment,
  TimelineEntry,
} from '@app/contracts/wire';
import { t } from './i18n';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The NestJS error shape: `message` is a string or a list of strings. */
function errorText(status: number, body: unknown): string {
  if (body && typeof body === 'object' && 'message' in body) {
    const message = body.message;
    if (Array.isArray(message)) return message.map(String).join('; ');
    if (typeof message === 'string') return message;
  }
  return `HTTP ${status}`;
}

let unauthorized: () => void = () => undefined;

/**
 * Called (before the request's promise rejects) when a read or an action answers 401: the
 * session expired or was ended elsewhere, or the server now asks operators to sign in.
 */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}

async function send(path: string, init?: RequestInit): Promise<Response> {
  try {
    // same-origin (the default) sends the session cookie; nothing here ever goes elsewhere.
    return await fetch(path, { ...init, headers: { Accept: 'application/json', ...init?.headers } });
  } catch {
    throw new ApiError(0, t('networkError'));
  }
}

async function request<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await send(path, init);
  const body: unknown = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401) unauthorized();
  if (!res.ok) throw new ApiError(res.status, errorText(res.status, body));
  return body as T;
}

// --- operator sessions -------------------------------------------------------------------

export interface OperatorSession {
  name: string;
  expiresAt: string;
}

/** The operator signed in on this browser, or null (401: no session, or it ended). */
export async function getSession(): Promise<OperatorSession | null> {
  const res = await send('/auth/session');
  if (res.status === 401 || res.status === 404) return null;
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, errorText(res.status, body));
  return body as OperatorSession;
}

/**
 * Whether the alerts can be read without a session: true with VIGIE_AUTH=off (a lab bench),
 * where GET /auth/session answers 401 all the same; false when the server wants a sign-in.
 */
export async function readableWithoutSession(): Promise<boolean> {
  const res = await send('/alerts?limit=1');
  if (res.ok) return true;
  if (res.status === 401) return false;
  throw new ApiError(res.status, errorText(res.status, await res.json().catch(() => null)));
}

export type SignInResult =
  | { outcome: 'signed-in' }
  | { outcome: 'wrong' }
  /** Too many attempts from this address; `retryAfterMs` from Retry-After, when given. */
  | { outcome: 'limited'; retryAfterMs: number | null }
  | { outcome: 'failed'; message: string };

/** POST /auth/login: 204 and the HttpOnly session cookie, which scripts here never see. */
export async function signIn(name: string, password: string): Promise<SignInResult> {
  const res = await send('/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, password }),
  });
  if (res.ok) return { outcome: 'signed-in' };
  if (res.status === 401) return { outcome: 'wrong' };
  if (res.status === 429)
    return { outcome: 'limited', retryAfterMs: retryAfterMs(res.headers.get('Retry-After')) };
  return { outcome: 'failed', message: errorText(res.status, await res.json().catch(() => null)) };
}

/** JSON even with nothing to say: the server takes no other content type on what changes state. */
export async function signOut(): Promise<void> {
  const res = await send('/auth/logout', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{}',
  });
  if (!res.ok) throw new ApiError(res.status, errorText(res.status, await res.json().catch(() => null)));
}

/** Retry-After as seconds or as an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export interface AlertQuery {
  status?: AlertStatus;
  type?: AlertType;
  deviceId?: string;
  limit?: number;
  before?: string | null;
}

export function listAlerts(query: AlertQuery): Promise<AlertPage> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  return request<AlertPage>(`/alerts?${params.toString()}`);
}

/**
 * Walks the pages newest first, handing each page to `visit`, until the last page or until
 * `visit` returns false (e.g. once the alerts are older than a period).
 */
export async function walkAlerts(
  query: AlertQuery,
  visit: (items: Alert[]) => boolean | void,
  maxPages = 1000,
): Promise<boolean> {
  let before: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const result: AlertPage = await listAlerts({ ...query, before, limit: query.limit ?? 500 });
    if (visit(result.items) === false || !result.nextCursor) return true;
    before = result.nextCursor;
  }
  return false;
}

export async function listAllAlerts(status: AlertStatus): Promise<Alert[]> {
  const all: Alert[] = [];
  await walkAlerts({ status }, (items) => {
    all.push(...items);
  });
  return all;
}

/** What happened to an alert, oldest first: reception, escalation, notifications, handling. */
export function getTimeline(id: string): Promise<TimelineEntry[]> {
  return request<TimelineEntry[]>(`/alerts/${encodeURIComponent(id)}/timeline`);
}

/** POST /devices/enrollments: a one-time code and the command that installs the Pi with it. */
export function createEnrollment(deviceId: string, location: string): Promise<Enrollment> {
  return request<Enrollment>('/devices/enrollments', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(location ? { deviceId, location } : { deviceId }),
  });
}

/** The agent version this server hands out. */
export async function getAgentVersion(): Promise<string> {
  return (await request<{ version: string }>('/agent/version')).version;
}

export function listDevices(): Promise<Device[]> {
  return request<Device[]>('/devices');
}

export type AlertAction = 'acknowledge' | 'resolve';

/** `by` only without sign-in (VIGIE_AUTH=off); with a session the server records the operator. */
export function handleAlert(
  id: string,
  action: AlertAction,
  by: string | null,
  note: string,
): Promise<Alert> {
  const body: { by?: string; note?: string } = {};
  if (by) body.by = by;
  if (note) body.note = note;
  return request<Alert>(`/alerts/${encodeURIComponent(id)}/${action}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}
