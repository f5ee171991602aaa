import type { AlertSeverity } from '@app/contracts';
import { NtfyChannel } from '../../src/notifications/channels/ntfy.channel';
import { notificationText } from '../../src/notifications/channels/notification-text';
import { HttpReceiver, ReceivedRequest, SilentServer, unusedPort } from '../support/receivers/http-receiver';
import {
  aDevice,
  anAlert,
  deviceOffline,
  escalated,
  resolved,
} from '../support/receivers/notification-fixtures';
import { decodeEncodedWords } from '../support/receivers/rfc2047';
import { sendFailure } from '../support/receivers/send-failure';

// No ntfy server can run here: these hold the adapter to ntfy's documented publish protocol
// (POST the text to the topic's URL; Title, Priority, Tags, Click, Authorization headers; header
// values may be RFC 2047 encoded words, which the server decodes).
describe('ntfy channel', () => {
  let receiver: HttpReceiver;
  const channel = (token: string | null = 'tk_phones') =>
    new NtfyChannel('phones', { kind: 'ntfy', url: receiver.url('/vigie-alerts'), token });
  const publish = async (notification = escalated(), token?: string | null) => {
    await channel(token).send(notification, AbortSignal.timeout(5000));
    return receiver.only();
  };
  const asciiOnly = (request: ReceivedRequest) =>
    request.rawHeaders.filter((_, index) => index % 2 === 1).every((value) => /^[\x20-\x7e]*$/.test(value));

  beforeEach(async () => {
    receiver = await HttpReceiver.start(() => ({ status: 200, body: '{"id":"m1"}' }));
  });
  afterEach(() => receiver.close());

  it('POSTs the text to the topic URL with title, priority, tags, dashboard link, id and token', async () => {
    const notification = escalated(anAlert({ severity: 'critical', type: 'fire' }));

    const request = await publish(notification);

    expect(request.method).toBe('POST');
    expect(request.url).toBe('/vigie-alerts');
    expect(request.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(request.body.toString('utf8')).toBe(notificationText(notification).body);
    expect(request.body.toString('utf8')).toContain('Bâtiment É — salle des fêtes');
    expect(decodeEncodedWords(String(request.headers.title))).toBe(
      'FIRE: Bâtiment É — salle des fêtes (pi-accueil-01)',
    );
    expect(request.headers.priority).toBe('5');
    expect(request.headers.tags).toBe('rotating_light,fire');
    expect(request.headers.click).toBe('https://vigie.example.org/');
    expect(request.headers['x-vigie-notification']).toBe(notification.id);
    expect(request.headers.authorization).toBe('Bearer tk_phones');
  });

  it('sends every header as plain ASCII, so ntfy (which reads UTF-8) gets the accents intact', async () => {
    const request = await publish(escalated(anAlert({ location: 'Bâtiment É — salle des fêtes' })));

    expect(asciiOnly(request)).toBe(true);
    expect(String(request.headers.title)).toMatch(/^=\?UTF-8\?B\?/);
  });

  it('splits a long accented title into encoded words of at most 75 characters, each decodable alone', async () => {
    const location = 'Résidence étudiante « Les Érables », bâtiment Ç, 3ᵉ étage — salle polyvalente';
    const request = await publish(escalated(anAlert({ location })));

    const words = String(request.headers.title).split(' ');
    expect(words.length).toBeGreaterThan(1);
    for (const word of words) {
      expect(word.length).toBeLessThanOrEqual(75);
      expect(() => decodeEncodedWords(word)).not.toThrow();
    }
    expect(decodeEncodedWords(String(request.headers.title))).toBe(`FIRE: ${location} (pi-accueil-01)`);
  });

  it('leaves an ASCII title as it is', async () => {
    const request = await publish(escalated(anAlert({ location: 'Hall B' })));
    expect(request.headers.title).toBe('FIRE: Hall B (pi-accueil-01)');
  });

  it.each<[AlertSeverity, string, string]>([
    ['critical', '5', 'rotating_light'],
    ['warning', '4', 'warning'],
    ['info', '3', 'information_source'],
  ])('an escalated %s alert has priority %s and the %s tag', async (severity, priority, tag) => {
    const request = await publish(escalated(anAlert({ severity, type: 'intrusion' })));
    expect(request.headers.priority).toBe(priority);
    expect(request.headers.tags).toBe(`${tag},intrusion`);
  });

  it('a resolved alert is told at ordinary priority with a check mark', async () => {
    const request = await publish(resolved(anAlert({ severity: 'critical', type: 'medical' })));
    expect(request.headers.priority).toBe('3');
    expect(request.headers.tags).toBe('white_check_mark,medical');
    expect(decodeEncodedWords(String(request.headers.title))).toMatch(/^RESOLVED MEDICAL: /);
  });

  it('a device gone offline is told at priority 4', async () => {
    const request = await publish(deviceOffline(aDevice({ id: 'pi-hall', location: null })));
    expect(request.headers.priority).toBe('4');
    expect(request.headers.tags).toBe('electric_plug,device_offline');
    expect(request.headers.title).toBe('OFFLINE: location not set (pi-hall)');
  });

  it('an open topic and no dashboard address: no Authorization, no Click', async () => {
    const request = await publish({ ...escalated(), dashboardUrl: null }, null);
    expect(request.headers).not.toHaveProperty('authorization');
    expect(request.headers).not.toHaveProperty('click');
  });

  describe('failures', () => {
    it('a refused token fails with http_403 and ntfy’s reason', async () => {
      receiver.answerWith(() => ({ status: 403, body: '{"code":40301,"http":403,"error":"forbidden"}' }));

      const { error } = await sendFailure(() => channel().send(escalated(), AbortSignal.timeout(5000)));

      expect(error.reason).toBe('http_403');
      expect(error.message).toContain('forbidden');
      expect(error.message).not.toContain('vigie-alerts');
    });

    it('a server that accepts and never answers fails with timeout as soon as the signal aborts', async () => {
      const silent = await SilentServer.start();
      try {
        const hanging = new NtfyChannel('phones', { kind: 'ntfy', url: silent.url('/topic'), token: null });

        const { error, elapsedMs } = await sendFailure(() =>
          hanging.send(escalated(), AbortSignal.timeout(300)),
        );

        expect(error.reason).toBe('timeout');
        expect(elapsedMs).toBeLessThan(1000);
      } finally {
        await silent.close();
      }
    });

    it('nothing listening fails with connection_refused', async () => {
      const url = `http://127.0.0.1:${await unusedPort()}/topic`;
      const closed = new NtfyChannel('phones', { kind: 'ntfy', url, token: null });

      const { error } = await sendFailure(() => closed.send(escalated(), AbortSignal.timeout(5000)));

      expect(error.reason).toBe('connection_refused');
    });
  });
});
