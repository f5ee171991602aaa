import { AxiosInstance } from 'axios';
import { codeForStatus } from '../diagnostics/error-codes';
import { AlertBody } from '../spool/spooled-alert';
import { parseRetryAfter } from './backoff';
import { ALERT_RESPONSE_TIMEOUT_MS, networkErrorCode } from './http-client';

/** What to do with an alert after one delivery attempt: done, retry, or set aside as rejected. */
export type DeliveryOutcome =
  | { kind: 'accepted'; status: number }
  /** The server refused the alert itself: retrying the same body can never succeed. */
  | { kind: 'rejected'; status: number; code: string; answer: unknown }
  /** Worth retrying: network, 408, 429, 5xx, and 401/403 (a token can be fixed without touching the alert). */
  | { kind: 'retry'; code: string; status: number | null; retryAfterMs: number | null; detail: string };

const REFUSED_FOR_CONTENT = new Set([400, 409, 413, 415, 422]);

export class AlertSender {
  constructor(private readonly http: AxiosInstance) {}

  async send(alert: AlertBody): Promise<DeliveryOutcome> {
    try {
      const response = await this.http.post('/alerts', alert, { timeout: ALERT_RESPONSE_TIMEOUT_MS });
      return classify(response.status, response.data, response.headers['retry-after']);
    } catch (error) {
      const detail = (error as Error).message;
      return { kind: 'retry', code: networkErrorCode(error), status: null, retryAfterMs: null, detail };
    }
  }
}

export function classify(status: number, data: unknown, retryAfter?: unknown): DeliveryOutcome {
  if (status >= 200 && status < 300) return { kind: 'accepted', status };
  const code = codeForStatus(status);
  if (REFUSED_FOR_CONTENT.has(status))
    return { kind: 'rejected', status, code, answer: { status, body: data } };
  return {
    kind: 'retry',
    code,
    status,
    retryAfterMs: status === 429 || status === 503 ? parseRetryAfter(retryAfter) : null,
    detail: summarize(data),
  };
}

function summarize(data: unknown): string {
  if (data && typeof data === 'object' && 'message' in data) {
    const message = data.message;
    return Array.isArray(message) ? message.join('; ') : String(message);
  }
  return typeof data === 'string' ? data.slice(0, 200) : '';
}
