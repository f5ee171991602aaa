import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '@app/contracts';
import { freePort } from '../../../../test/support/agent-process';
import { TestCertificates, makeTestCertificates } from '../../../../test/support/tls-proxy';
import { ChannelSendError, Notification } from '../../src/notifications/channels/channel';
import { EmailChannel } from '../../src/notifications/channels/email.channel';
import type { EmailChannelConfig } from '../../src/notifications/notify-config';
import { eventually } from '../support/eventually';
import {
  SmtpReceiver,
  SmtpReceiverOptions,
  parseMail,
  startSilentServer,
  startSmtpReceiver,
  startStarttlsRefusingServer,
} from '../support/receivers/smtp-receiver';

const alert: Alert = {
  id: '0190b7a2-6d1e-7c3a-9f00-4b1d2c3e4f50',
  deviceId: 'pi-accueil-01',
  type: 'fire',
  severity: 'critical',
  location: 'Accueil',
  message: 'Fumée au rez-de-chaussée',
  button: 'red',
  triggeredAt: '2026-03-02T09:14:05.120Z',
  receivedAt: '2026-03-02T09:14:05.180Z',
  status: 'open',
  acknowledgedAt: null,
  acknowledgedBy: null,
  acknowledgementNote: null,
  resolvedAt: null,
  resolvedBy: null,
  resolutionNote: null,
};

const escalated = (id = 'ntf-7f3c9a'): Notification => ({
  id,
  type: 'alert.escalated',
  step: 2,
  alert,
  dashboardUrl: 'https://vigie.example.org/',
});

const TO = ['direction@example.org', 'astreinte@example.org'];
const deadline = () => AbortSignal.timeout(10_000);

describe('email channel (nodemailer against a real SMTP server)', () => {
  let dir: string;
  let certificates: TestCertificates;
  const receivers: SmtpReceiver[] = [];
  const channels: EmailChannel[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-smtp-'));
    certificates = makeTestCertificates(dir);
  });

  afterEach(async () => {
    await Promise.all(channels.splice(0).map((channel) => channel.close()));
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function receiver(options: SmtpReceiverOptions = {}): Promise<SmtpReceiver> {
    const started = await startSmtpReceiver(options);
    receivers.push(started);
    return started;
  }

  function channel(smtp: string, config: Partial<EmailChannelConfig> = {}): EmailChannel {
    const made = new EmailChannel('direction', {
      kind: 'email',
      smtp,
      from: 'Vigie <vigie@alerts.example.org>',
      to: TO,
      ca: null,
      ...config,
    });
    channels.push(made);
    return made;
  }

  async function sendError(send: Promise<void>): Promise<ChannelSendError> {
    const error: unknown = await send.then(
      () => new Error('the send resolved'),
      (rejected: unknown) => rejected,
    );
    expect(error).toBeInstanceOf(ChannelSendError);
    return error as ChannelSendError;
  }

  it('delivers the subject, the text, the stable Message-ID and every recipient', async () => {
    const smtp = await receiver();
    await channel(`smtp://127.0.0.1:${smtp.port}`).send(escalated(), deadline());

    expect(smtp.mails).toHaveLength(1);
    const [mail] = smtp.mails;
    expect(mail.mailFrom).toBe('vigie@alerts.example.org');
    expect(mail.rcptTo).toEqual(TO);
    const parsed = parseMail(mail.raw);
    expect(parsed.header('Subject')).toBe('[Vigie] FIRE: Accueil (pi-accueil-01)');
    expect(parsed.header('Message-ID')).toBe('<ntf-7f3c9a@alerts.example.org>');
    expect(parsed.header('To')).toBe(TO.join(', '));
    expect(parsed.text.trim()).toBe(
      [
        'Fumée au rez-de-chaussée',
        'incendie / fire — Accueil (pi-accueil-01), bouton / button red',
        'reçue / received 2026-03-02T09:14:05.180Z',
        'étape / step 2: non acquittée / not acknowledged',
        'https://vigie.example.org/',
      ].join('\n'),
    );
  });

  it('sends a retry with the same Message-ID, so the receiver can drop the duplicate', async () => {
    const smtp = await receiver();
    const email = channel(`smtp://127.0.0.1:${smtp.port}`);
    await email.send(escalated('ntf-retried'), deadline());
    await email.send(escalated('ntf-retried'), deadline());

    const ids = smtp.mails.map((mail) => parseMail(mail.raw).header('Message-ID'));
    expect(ids).toEqual(['<ntf-retried@alerts.example.org>', '<ntf-retried@alerts.example.org>']);
  });

  it('upgrades with STARTTLS when the server offers it, trusting the CA given by `ca`', async () => {
    const smtp = await receiver({ certificates });
    await channel(`smtp://localhost:${smtp.port}`, { ca: certificates.caFile }).send(escalated(), deadline());

    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0].secure).toBe(true);
  });

  it('refuses to go on in clear text when the STARTTLS upgrade fails (certificate not trusted)', async () => {
    const smtp = await receiver({ certificates });
    const error = await sendError(channel(`smtp://localhost:${smtp.port}`).send(escalated(), deadline()));

    expect(error.reason).toBe('tls');
    expect(smtp.mails).toHaveLength(0);
  });

  it('refuses to go on in clear text when the server offers STARTTLS and then refuses it', async () => {
    const broken = await startStarttlsRefusingServer();
    try {
      const error = await sendError(channel(`smtp://127.0.0.1:${broken.port}`).send(escalated(), deadline()));

      expect(error.reason).toBe('tls');
      expect(broken.commands.map((command) => command.split(' ')[0])).toEqual(['EHLO', 'STARTTLS']);
    } finally {
      await broken.close();
    }
  });

  it('speaks TLS from the first byte on smtps://', async () => {
    const smtp = await receiver({ certificates, implicitTls: true });
    await channel(`smtps://localhost:${smtp.port}`, { ca: certificates.caFile }).send(
      escalated(),
      deadline(),
    );

    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0].secure).toBe(true);
  });

  it('logs in with the user and the (percent-encoded) password of the URL', async () => {
    const smtp = await receiver({ certificates, users: { vigie: 'p@ss:w/rd' } });
    const url = `smtp://vigie:${encodeURIComponent('p@ss:w/rd')}@localhost:${smtp.port}`;
    await channel(url, { ca: certificates.caFile }).send(escalated(), deadline());

    expect(smtp.mails.map((mail) => mail.user)).toEqual(['vigie']);
  });

  it('fails with `auth` when the password is wrong', async () => {
    const smtp = await receiver({ certificates, users: { vigie: 'right' } });
    const email = channel(`smtp://vigie:wrong@localhost:${smtp.port}`, { ca: certificates.caFile });

    expect((await sendError(email.send(escalated(), deadline()))).reason).toBe('auth');
    expect(smtp.mails).toHaveLength(0);
  });

  it('fails with `smtp_550` when the server rejects the recipients', async () => {
    const smtp = await receiver({ rejectRcpt: 550 });
    const error = await sendError(channel(`smtp://127.0.0.1:${smtp.port}`).send(escalated(), deadline()));

    expect(error.reason).toBe('smtp_550');
  });

  it('fails with `smtp_554` when the server rejects the message after DATA', async () => {
    const smtp = await receiver({ rejectData: 554 });
    const error = await sendError(channel(`smtp://127.0.0.1:${smtp.port}`).send(escalated(), deadline()));

    expect(error.reason).toBe('smtp_554');
  });

  it('gives up with `timeout` as soon as the signal aborts, closing the socket of a server that never speaks', async () => {
    const silent = await startSilentServer();
    try {
      const started = Date.now();
      const error = await sendError(
        channel(`smtp://127.0.0.1:${silent.port}`).send(escalated(), AbortSignal.timeout(300)),
      );

      expect(error.reason).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(1000);
      expect(silent.accepted).toBe(1);
      await eventually(() => Promise.resolve(expect(silent.closedByClient).toBe(1)));
    } finally {
      await silent.close();
    }
  });

  it('fails with `connection_refused` when nothing listens', async () => {
    const port = await freePort();
    const error = await sendError(channel(`smtp://127.0.0.1:${port}`).send(escalated(), deadline()));

    expect(error.reason).toBe('connection_refused');
  });

  it('refuses to send after close', async () => {
    const smtp = await receiver();
    const email = channel(`smtp://127.0.0.1:${smtp.port}`);
    await email.close();

    expect((await sendError(email.send(escalated(), deadline()))).reason).toBe('closed');
    expect(smtp.mails).toHaveLength(0);
  });
});
