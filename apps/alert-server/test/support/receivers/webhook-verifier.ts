import { Webhook } from 'standardwebhooks';
import type { Answering, ReceivedRequest } from './http-receiver';

/**
 * Checks a request the way a receiver built on the `standardwebhooks` package does (an
 * implementation independent of Vigie's): signature over id, timestamp and the raw body, and the
 * timestamp within five minutes of this machine's clock. Returns the parsed body; throws when the
 * check fails.
 */
export function verifyStandardWebhook(secret: string, request: ReceivedRequest): unknown {
  const headers: Record<string, string> = {};
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return new Webhook(secret).verify(request.body, headers);
}

/** A receiver's answer: 204 when the request passes the check, 401 with the reason otherwise. */
export function standardWebhooksReceiver(secret: string): Answering {
  return (request) => {
    try {
      verifyStandardWebhook(secret, request);
      return { status: 204 };
    } catch (error) {
      return { status: 401, body: `signature check failed: ${(error as Error).message}` };
    }
  };
}
