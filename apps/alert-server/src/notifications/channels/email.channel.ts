import { readFileSync } from 'node:fs';
import { createTransport, type SMTPTransportOptions, type Transporter } from 'nodemailer';
import type { EmailChannelConfig } from '../notify-config';
import { Channel, ChannelSendError, Notification } from './channel';
import { notificationText } from './notification-text';

/**
 * Bounds of nodemailer's own for a server that stalls, in case the scheduler's signal is
 * generous: an SMTP session of one small message is seconds, never minutes.
 */
const CONNECTION_TIMEOUT_MS = 10_000;
const GREETING_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 30_000;

/**
 * Email over SMTP with nodemailer. One connection per send, not a pool: alerts come a few a day,
 * so a pooled connection would sit idle until the server drops it and the next alert would
 * meet a dead socket first; a fresh session per message costs one handshake, starts clean
 * after any failure, and an abort closes that send's socket and nothing else.
 */
export class EmailChannel implements Channel {
  readonly kind = 'email';
  private readonly transport: Transporter;
  private readonly messageIdDomain: string;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly config: EmailChannelConfig,
  ) {
    this.transport = createTransport(transportOptions(config));
    this.messageIdDomain = addressDomain(config.from);
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    if (this.closed) throw new ChannelSendError('closed', `email ${this.name}: channel closed`);
    const text = notificationText(notification);
    try {
      await this.transport.sendMail({
        from: this.config.from,
        to: [...this.config.to],
        subject: `[Vigie] ${text.title}`,
        text: text.body,
        // The notification's id, not a fresh one: every retry carries the same Message-ID, so a
        // receiver (or the mail store) drops the duplicate of an at-least-once send.
        messageId: `<${notification.id}@${this.messageIdDomain}>`,
        // nodemailer closes the session's socket when this aborts and rejects at once.
        signal,
      });
    } catch (error) {
      throw sendError(this.name, error, signal);
    }
  }

  close(): Promise<void> {
    this.closed = true;
    this.transport.close();
    return Promise.resolve();
  }
}

function transportOptions(config: EmailChannelConfig): SMTPTransportOptions {
  const url = new URL(config.smtp);
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new Error(`email: ${url.protocol} is not smtp: or smtps:`);
  }
  const secure = url.protocol === 'smtps:';
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    // smtp://: STARTTLS whenever the server offers it, and a failed upgrade ends the session
    // rather than continuing in clear text (what opportunisticTLS would do).
    ignoreTLS: false,
    opportunisticTLS: false,
    auth: url.username
      ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
      : undefined,
    tls: config.ca ? { ca: readFileSync(config.ca) } : undefined,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    greetingTimeout: GREETING_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
  };
}

/** The domain of `vigie@example.org` or `Vigie <vigie@example.org>`: the right side of the Message-ID. */
function addressDomain(from: string): string {
  const domain = /@([^\s<>@]+)>?\s*$/.exec(from)?.[1];
  if (!domain) throw new Error(`email: from ${JSON.stringify(from)} has no domain`);
  return domain;
}

interface SmtpError {
  code?: string;
  /** The system error's code (ECONNREFUSED) under nodemailer's own (ESOCKET). */
  originalCode?: string;
  responseCode?: number;
  message?: string;
}

/** A short, stable reason: what went wrong, not nodemailer's words for it. */
function sendReason(error: SmtpError, signal: AbortSignal): string {
  if (signal.aborted || error.code === 'EABORT' || error.code === 'ETIMEDOUT') return 'timeout';
  const code = error.originalCode ?? error.code ?? '';
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (error.code === 'EAUTH' || error.code === 'ENOAUTH') return 'auth';
  // A certificate refused on smtps:// surfaces as a socket error carrying OpenSSL's code.
  if (error.code === 'ETLS' || /CERT|SSL|TLS|UNABLE_TO_VERIFY/.test(code)) return 'tls';
  if (error.responseCode) return `smtp_${error.responseCode}`;
  return 'network';
}

function sendError(name: string, error: unknown, signal: AbortSignal): ChannelSendError {
  const smtpError: SmtpError = typeof error === 'object' && error !== null ? error : {};
  const reason = sendReason(smtpError, signal);
  const detail = smtpError.message ?? String(error);
  return new ChannelSendError(reason, `email ${name}: ${reason}: ${detail}`, { cause: error });
}
