import { readFileSync } from 'node:fs';
import net from 'node:net';
import { SMTPServer, SMTPServerOptions } from 'smtp-server';
import type { TestCertificates } from '../../../../../test/support/tls-proxy';

/** One message as the SMTP server took it: the envelope, the raw text, and how the session was. */
export interface ReceivedMail {
  mailFrom: string;
  rcptTo: string[];
  raw: string;
  /** TLS at the time of DATA (smtps:// or after STARTTLS). */
  secure: boolean;
  /** Who logged in, if anyone. */
  user: string | undefined;
}

export interface SmtpReceiverOptions {
  /** Offers STARTTLS with this certificate; without it the server offers no TLS at all. */
  certificates?: TestCertificates;
  /** TLS from the first byte (smtps://); needs `certificates`. */
  implicitTls?: boolean;
  /** Requires AUTH with one of these user -> password pairs. */
  users?: Record<string, string>;
  /** Answers every RCPT TO with this code. */
  rejectRcpt?: number;
  /** Answers the end of DATA with this code. */
  rejectData?: number;
}

export interface SmtpReceiver {
  port: number;
  mails: ReceivedMail[];
  close(): Promise<void>;
}

const rejection = (code: number) => Object.assign(new Error(`rejected by the test`), { responseCode: code });

/** A real SMTP server (smtp-server) on a free loopback port, keeping every message it accepts. */
export function startSmtpReceiver(options: SmtpReceiverOptions = {}): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const { certificates, users } = options;
  const serverOptions: SMTPServerOptions = {
    logger: false,
    secure: options.implicitTls ?? false,
    // smtp-server offers STARTTLS with its own self-signed certificate unless told not to.
    hideSTARTTLS: !certificates,
    ...(certificates && {
      key: readFileSync(certificates.keyFile),
      cert: readFileSync(certificates.certFile),
    }),
    authOptional: !users,
    onAuth(auth, _session, callback) {
      const known = auth.username !== undefined && users?.[auth.username] === auth.password;
      if (known) callback(null, { user: auth.username });
      else callback(rejection(535));
    },
    onRcptTo(_address, _session, callback) {
      callback(options.rejectRcpt ? rejection(options.rejectRcpt) : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (options.rejectData) return callback(rejection(options.rejectData));
        mails.push({
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
          user: typeof session.user === 'string' ? session.user : undefined,
        });
        callback();
      });
    },
    closeTimeout: 200,
  };
  const server = new SMTPServer(serverOptions);
  // A client refusing the certificate or hanging up shows up here; the test reads the outcome.
  server.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.server.address() as net.AddressInfo).port,
        mails,
        close: () => new Promise<void>((resolveClose) => server.close(() => resolveClose())),
      });
    });
  });
}

/** A TCP server that accepts and never says a word: an SMTP server that hangs before its greeting. */
export interface SilentServer {
  port: number;
  /** Connections accepted so far, and how many the client has closed since. */
  accepted: number;
  closedByClient: number;
  close(): Promise<void>;
}

export function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    silent.accepted += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (sockets.delete(socket)) silent.closedByClient += 1;
    });
  });
  const silent: SilentServer = {
    port: 0,
    accepted: 0,
    closedByClient: 0,
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const socket of sockets) {
          sockets.delete(socket);
          socket.destroy();
        }
        server.close(() => resolveClose());
      }),
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      silent.port = (server.address() as net.AddressInfo).port;
      resolve(silent);
    });
  });
}

/** A message's headers (unfolded; the first of each name) and its text body, decoded. */
export interface ParsedMail {
  header(name: string): string | undefined;
  text: string;
}

/**
 * Enough of RFC 5322 and MIME for the single-part text message the email channel sends:
 * unfolds the headers and decodes a quoted-printable or base64 body.
 */
export function parseMail(raw: string): ParsedMail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  const encoding = headers.get('content-transfer-encoding')?.toLowerCase();
  const text =
    encoding === 'quoted-printable'
      ? decodeQuotedPrintable(body)
      : encoding === 'base64'
        ? Buffer.from(body, 'base64').toString('utf8')
        : body;
  return { header: (name) => headers.get(name.toLowerCase()), text: text.replace(/\r\n/g, '\n') };
}

function decodeQuotedPrintable(body: string): string {
  const unwrapped = body.replace(/=\r\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < unwrapped.length; i++) {
    const hex = unwrapped.slice(i + 1, i + 3);
    if (unwrapped[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(unwrapped.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** An SMTP server that offers STARTTLS and then answers it 454, as a server whose TLS is broken. */
export interface StarttlsRefusingServer {
  port: number;
  /** Every command line the client sent, in order. */
  commands: string[];
  close(): Promise<void>;
}

/**
 * Scripted by hand: smtp-server cannot offer STARTTLS and refuse it. A client that carries on
 * in clear text after the 454 shows up as MAIL FROM in `commands`.
 */
export function startStarttlsRefusingServer(): Promise<StarttlsRefusingServer> {
  const commands: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const reply = (line: string) => socket.write(`${line}\r\n`);
    let inData = false;
    let pending = '';
    reply('220 localhost ESMTP test');
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n')) >= 0) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            reply('250 queued');
          }
          continue;
        }
        commands.push(line);
        const verb = line.split(' ')[0].toUpperCase();
        if (verb === 'EHLO') reply('250-localhost\r\n250-STARTTLS\r\n250 8BITMIME');
        else if (verb === 'STARTTLS') reply('454 4.7.0 TLS not available');
        else if (verb === 'DATA') {
          inData = true;
          reply('354 go ahead');
        } else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else reply('250 ok');
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        commands,
        close: () =>
          new Promise<void>((resolveClose) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => resolveClose());
          }),
      });
    });
  });
}
