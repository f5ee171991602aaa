import { randomBytes } from 'node:crypto';
import { WebhookChannel } from '../../src/notifications/channels/webhook.channel';
import { HttpReceiver, SilentServer, unusedPort } from '../support/receivers/http-receiver';
import { SelfSignedHttpsServer } from '../support/receivers/https-receiver';
import { anAlert, deviceOffline, escalated } from '../support/receivers/notification-fixtures';
import { sendFailure } from '../support/receivers/send-failure';
import { standardWebhooksReceiver, verifyStandardWebhook } from '../support/receivers/webhook-verifier';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const TEN_MINUTES = 10 * 60_000;
const send = (channel: WebhookChannel, notification = escalated()) =>
  channel.send(notification, AbortSignal.timeout(5000));

describe('webhook channel', () => {
  let receiver: HttpReceiver;
  const channelTo = (path = '/hooks/vigie', now?: () => number) =>
    new WebhookChannel('dispatch', { kind: 'webhook', url: receiver.url(path), secret }, now);

  beforeEach(async () => {
    receiver = await HttpReceiver.start(standardWebhooksReceiver(secret));
  });
  afterEach(() => receiver.close());

  it('POSTs {type, step, alert} as JSON, signed so that a Standard Webhooks receiver accepts it', async () => {
    const alert = anAlert();
    const notification = escalated(alert, 2);
    const before = Math.floor(Date.now() / 1000);

    await send(channelTo(), notification);

    const request = receiver.only();
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/hooks/vigie');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['webhook-id']).toBe(notification.id);
    const timestamp = Number(request.headers['webhook-timestamp']);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    // Exactly these keys: no notification id, no dashboard address.
    expect(verifyStandardWebhook(secret, request)).toStrictEqual({ type: 'alert.escalated', step: 2, alert });
  });

  it('tells of a device gone offline as {type, step: null, device}', async () => {
    const notification = deviceOffline();
    await send(channelTo(), notification);
    expect(verifyStandardWebhook(secret, receiver.only())).toStrictEqual({
      type: 'device.offline',
      step: null,
      device: notification.type === 'device.offline' ? notification.device : null,
    });
  });

  it('signs each attempt anew: same webhook-id, fresh timestamp', async () => {
    let now = Date.now();
    const channel = channelTo('/hooks/vigie', () => now);
    const notification = escalated();
    await send(channel, notification);
    now += 2000;
    await send(channel, notification);

    const [first, second] = receiver.requests;
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(Number(second.headers['webhook-timestamp'])).toBe(Number(first.headers['webhook-timestamp']) + 2);
    expect(second.headers['webhook-signature']).not.toBe(first.headers['webhook-signature']);
  });

  it('a body altered on the way fails the receiver’s check', async () => {
    await send(channelTo());
    const genuine = receiver.only();
    const tampered = genuine.body.toString('utf8').replace('"critical"', '"info"');
    expect(tampered).not.toBe(genuine.body.toString('utf8'));

    const response = await fetch(receiver.url('/hooks/vigie'), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': String(genuine.headers['webhook-id']),
        'webhook-timestamp': String(genuine.headers['webhook-timestamp']),
        'webhook-signature': String(genuine.headers['webhook-signature']),
      },
      body: tampered,
    });

    expect(response.status).toBe(401);
    expect(await response.text()).toContain('No matching signature');
  });

  it('a request stamped ten minutes ago (a replay) fails the check, though its signature is right', async () => {
    const stale = channelTo('/hooks/vigie', () => Date.now() - TEN_MINUTES);

    const { error } = await sendFailure(() => send(stale));

    expect(error.reason).toBe('http_401');
    expect(error.message).toContain('timestamp too old');
    // Seen from ten minutes ago the same request passes: only its age failed it.
    const realNow = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(realNow - TEN_MINUTES);
    try {
      expect(() => verifyStandardWebhook(secret, receiver.only())).not.toThrow();
    } finally {
      clock.mockRestore();
    }
  });

  describe('failures', () => {
    it('a receiver answering 500 fails with http_500 and an excerpt of its answer, not the secret path', async () => {
      receiver.answerWith(() => ({ status: 500, body: 'dispatch database\n  is down' }));

      const { error } = await sendFailure(() => send(channelTo('/hooks/secret-path')));

      expect(error.reason).toBe('http_500');
      expect(error.message).toContain('dispatch database is down');
      expect(error.message).not.toContain('secret-path');
    });

    it('a receiver that accepts and never answers fails with timeout as soon as the signal aborts', async () => {
      const silent = await SilentServer.start();
      try {
        const channel = new WebhookChannel('dispatch', { kind: 'webhook', url: silent.url(), secret });

        const { error, elapsedMs } = await sendFailure(() =>
          channel.send(escalated(), AbortSignal.timeout(300)),
        );

        expect(error.reason).toBe('timeout');
        expect(silent.accepted).toBe(1);
        expect(elapsedMs).toBeGreaterThanOrEqual(250);
        expect(elapsedMs).toBeLessThan(1000);
      } finally {
        await silent.close();
      }
    });

    it('nothing listening fails with connection_refused', async () => {
      const url = `http://127.0.0.1:${await unusedPort()}/hooks/vigie`;
      const channel = new WebhookChannel('dispatch', { kind: 'webhook', url, secret });

      const { error } = await sendFailure(() => send(channel));

      expect(error.reason).toBe('connection_refused');
    });

    it('a certificate the system does not trust fails with tls', async () => {
      const server = await SelfSignedHttpsServer.start();
      try {
        const channel = new WebhookChannel('dispatch', { kind: 'webhook', url: server.url(), secret });

        const { error } = await sendFailure(() => send(channel));

        expect(error.reason).toBe('tls');
      } finally {
        await server.close();
      }
    });
  });
});
