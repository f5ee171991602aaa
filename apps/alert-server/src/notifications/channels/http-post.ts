import { ChannelSendError } from './channel';

export interface HttpPost {
  url: string;
  /** ASCII values only: fetch refuses anything else, and receivers read bytes above 0x7f differently. */
  headers: Record<string, string>;
  body: string;
}

/** Enough of an error page to tell a proxy's 502 from the receiver's own refusal, short enough for a log line. */
const EXCERPT_CHARS = 200;

/**
 * POSTs `request` and resolves once the receiver answered 2xx; otherwise rejects with a
 * `ChannelSendError` whose `reason` the scheduler and the timeline can rely on. Gives up as soon
 * as `signal` aborts, whatever stage the exchange is at (connecting, waiting, reading).
 */
export async function httpPost(request: HttpPost, signal: AbortSignal): Promise<void> {
  const target = describeTarget(request.url);
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal,
      // A redirected POST comes back as a GET without its body on 301/302: the receiver's address
      // is wrong and someone must fix it, which a visible `http_301` says.
      redirect: 'manual',
    });
  } catch (error) {
    throw sendFailure(error, signal, target);
  }
  if (response.ok) {
    // Unread, the answer would hold its connection until garbage collection.
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  let excerpt: string;
  try {
    excerpt = await readExcerpt(response);
  } catch (error) {
    if (signal.aborted) throw sendFailure(error, signal, target);
    excerpt = '(answer unreadable)';
  }
  throw new ChannelSendError(
    `http_${response.status}`,
    `${target} answered HTTP ${response.status}${excerpt ? `: ${excerpt}` : ''}`,
  );
}

/** The origin only: a URL's path or query may be a secret (an ntfy topic, a token parameter). */
function describeTarget(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the receiver';
  }
}

async function readExcerpt(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < EXCERPT_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    // A huge error page is not read to its end.
    await reader.cancel().catch(() => undefined);
  }
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > EXCERPT_CHARS ? `${line.slice(0, EXCERPT_CHARS)}…` : line;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);
/** Node's own TLS codes and OpenSSL's certificate verification codes (`CERT_HAS_EXPIRED`, ...). */
const TLS_CODE = /^ERR_(TLS|SSL)_|CERT|UNABLE_TO_(GET|VERIFY|DECRYPT)_|HOSTNAME_MISMATCH/;

function sendFailure(error: unknown, signal: AbortSignal, target: string): ChannelSendError {
  // Whatever fetch rejects with once the signal fired (its reason, an AbortError, a torn socket),
  // the cause is the scheduler giving up.
  if (signal.aborted) {
    return new ChannelSendError('timeout', `${target} did not answer in time`, { cause: error });
  }
  const codes = errorCodes(error);
  const detail = codes[0] ?? innermostMessage(error);
  const failure = (reason: string, what: string) =>
    new ChannelSendError(reason, `${what} (${detail})`, { cause: error });
  if (codes.includes('ECONNREFUSED'))
    return failure('connection_refused', `${target} refused the connection`);
  if (codes.some((code) => DNS_CODES.has(code))) return failure('dns', `${target}: name not resolved`);
  if (codes.some((code) => TLS_CODE.test(code))) return failure('tls', `${target}: TLS failed`);
  return failure('network', `${target} could not be reached`);
}

/**
 * Every `code` under fetch's bare "fetch failed": in its `cause` chain and, when a name resolved
 * to several addresses and each attempt failed, in the AggregateError of the attempts.
 */
function errorCodes(error: unknown, depth = 0): string[] {
  if (typeof error !== 'object' || error === null || depth > 5) return [];
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  return [
    ...(typeof code === 'string' ? [code] : []),
    ...errorCodes(cause, depth + 1),
    ...(Array.isArray(errors) ? errors.flatMap((inner) => errorCodes(inner, depth + 1)) : []),
  ];
}

function innermostMessage(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
