import type { Alert, AlertPage, AlertStatus, AlertType, Device } from '@app/contracts';
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

async function request<T>(path: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers: { Accept: 'application/json', ...init?.headers } });
  } catch {
    throw new ApiError(0, t('networkError'));
  }
  const body: unknown = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, errorText(res.status, body));
  return body as T;
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

export function listDevices(): Promise<Device[]> {
  return request<Device[]>('/devices');
}

export type AlertAction = 'acknowledge' | 'resolve';

export function handleAlert(id: string, action: AlertAction, by: string, note: string): Promise<Alert> {
  const body: { by: string; note?: string } = { by };
  if (note) body.note = note;
  return request<Alert>(`/alerts/${encodeURIComponent(id)}/${action}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}
