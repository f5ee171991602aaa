import { connectAsync, type MqttClient } from 'mqtt';
import type { Alert, AlertType, Device } from '@app/contracts';
import { freePort } from '../../../../test/support/agent-process';
import { TestCertificates, makeTestCertificates } from '../../../../test/support/tls-proxy';
import { ChannelSendError, Notification } from '../../src/notifications/channels/channel';
import { MqttChannel } from '../../src/notifications/channels/mqtt.channel';
import { eventually } from '../support/eventually';
import { MosquittoProcess, cleanupMosquittos, mosquittoDir } from '../support/receivers/mosquitto-process';

const PREFIX = 'vigie-test';
/** The channel's client ids start with this (the broker's log names them). */
const CHANNEL_CLIENT = 'vigie_';

const alertOf = (type: AlertType): Alert => ({
  id: `0190b7a2-6d1e-7c3a-9f00-${type.padEnd(12, '0').slice(0, 12)}`,
  deviceId: 'pi-accueil-01',
  type,
  severity: 'critical',
  location: 'Accueil',
  message: null,
  button: null,
  triggeredAt: '2026-03-02T09:14:05.120Z',
  receivedAt: '2026-03-02T09:14:05.180Z',
  status: 'open',
  acknowledgedAt: null,
  acknowledgedBy: null,
  acknowledgementNote: null,
  resolvedAt: null,
  resolvedBy: null,
  resolutionNote: null,
});

const escalated = (id: string, type: AlertType = 'fire'): Notification => ({
  id,
  type: 'alert.escalated',
  step: 1,
  alert: alertOf(type),
  dashboardUrl: null,
});

const device: Device = {
  id: 'pi-atelier-02',
  location: 'Atelier',
  status: 'offline',
  lastSeenAt: '2026-03-02T08:00:00.000Z',
  agentVersion: '1.4.0',
  spoolDepth: 0,
};

interface Received {
  topic: string;
  raw: string;
  qos: number;
}

const deadline = () => AbortSignal.timeout(5_000);

async function sendError(send: Promise<void>): Promise<ChannelSendError> {
  const error: unknown = await send.then(
    () => new Error('the send resolved'),
    (rejected: unknown) => rejected,
  );
  expect(error).toBeInstanceOf(ChannelSendError);
  return error as ChannelSendError;
}

describe('mqtt channel (mqtt.js against a real mosquitto)', () => {
  let certificates: TestCertificates;
  let broker: MosquittoProcess;
  let watcher: MqttClient;
  let channel: MqttChannel;
  const received: Received[] = [];
  const extraChannels: MqttChannel[] = [];

  beforeAll(async () => {
    const dir = mosquittoDir();
    certificates = makeTestCertificates(dir);
    const [port, tlsPort] = [await freePort(), await freePort()];
    broker = await MosquittoProcess.start({ dir, port, tls: { port: tlsPort, certificates } });
    // A subscriber such as a building's system: QoS 1, so a QoS 0 publish would arrive as QoS 0.
    watcher = await connectAsync(broker.url, { clientId: 'watcher', reconnectPeriod: 100 });
    watcher.on('message', (topic, payload, packet) =>
      received.push({ topic, raw: payload.toString('utf8'), qos: packet.qos }),
    );
    await watcher.subscribeAsync(`${PREFIX}/#`, { qos: 1 });
    channel = new MqttChannel('building', { kind: 'mqtt', url: broker.url, topic: PREFIX, ca: null });
    await eventually(() => Promise.resolve(expect(channel.connected).toBe(true)));
  });

  afterEach(async () => {
    await Promise.all(extraChannels.splice(0).map((extra) => extra.close()));
  });

  afterAll(async () => {
    await channel?.close();
    await watcher?.endAsync(true);
    await cleanupMosquittos();
  });

  const receivedIds = () =>
    received.map((message) => (JSON.parse(message.raw) as { notificationId: string }).notificationId);

  /** The watcher got the message of this notification (and returns it). */
  const arrival = (id: string) =>
    eventually(() => {
      const found = received.filter((message) => message.raw.includes(`"notificationId":"${id}"`));
      expect(found).toHaveLength(1);
      return Promise.resolve(found[0]);
    });

  /** A new broker on the same port; resolves once the channel and the watcher are back on it. */
  async function brokerBack(): Promise<void> {
    broker = await MosquittoProcess.start(broker.options);
    await eventually(() => Promise.resolve(expect(channel.connected).toBe(true)), { timeoutMs: 5_000 });
    await eventually(() => Promise.resolve(expect(watcher.connected).toBe(true)), { timeoutMs: 5_000 });
    await watcher.subscribeAsync(`${PREFIX}/#`, { qos: 1 });
  }

  it('publishes the JSON of an alert notification at QoS 1 on <topic>/alerts/<type>', async () => {
    const alert = alertOf('fire');
    await channel.send(escalated('ntf-fire'), deadline());

    const message = await arrival('ntf-fire');
    expect(message.topic).toBe(`${PREFIX}/alerts/fire`);
    expect(message.qos).toBe(1);
    expect(message.raw).toBe(
      JSON.stringify({ type: 'alert.escalated', step: 1, alert, notificationId: 'ntf-fire' }),
    );
  });

  it('sends a resolved alert to the same topic, with step null', async () => {
    const alert = { ...alertOf('intrusion'), status: 'resolved' as const };
    await channel.send(
      { id: 'ntf-resolved', type: 'alert.resolved', step: null, alert, dashboardUrl: null },
      deadline(),
    );

    const message = await arrival('ntf-resolved');
    expect(message.topic).toBe(`${PREFIX}/alerts/intrusion`);
    expect(JSON.parse(message.raw)).toEqual({
      type: 'alert.resolved',
      step: null,
      alert,
      notificationId: 'ntf-resolved',
    });
  });

  it('publishes a device gone offline on <topic>/devices/offline', async () => {
    await channel.send(
      { id: 'ntf-offline', type: 'device.offline', step: null, device, dashboardUrl: null },
      deadline(),
    );

    const message = await arrival('ntf-offline');
    expect(message.topic).toBe(`${PREFIX}/devices/offline`);
    expect(message.qos).toBe(1);
    expect(message.raw).toBe(
      JSON.stringify({ type: 'device.offline', step: null, device, notificationId: 'ntf-offline' }),
    );
  });

  it('keeps one connection for every send, and the broker received each at QoS 1', () => {
    const publishes = broker.publishesFrom(CHANNEL_CLIENT);
    expect(publishes.map(({ qos, topic }) => ({ qos, topic }))).toEqual([
      { qos: 1, topic: `${PREFIX}/alerts/fire` },
      { qos: 1, topic: `${PREFIX}/alerts/intrusion` },
      { qos: 1, topic: `${PREFIX}/devices/offline` },
    ]);
    const connections = broker.stderrLines.filter((line) => / as vigie_\w+ /.test(line));
    expect(connections).toHaveLength(1);
    expect(connections[0]).toContain(publishes[0].clientId);
  });

  it('resolves only on the PUBACK: a hung broker makes it give up at the signal, and the message is dropped, not resent after a reconnect', async () => {
    broker.freeze();
    const started = Date.now();
    const error = await sendError(channel.send(escalated('ntf-hung', 'medical'), AbortSignal.timeout(300)));
    expect(error.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1000);

    await broker.kill('SIGKILL');
    await brokerBack();
    await channel.send(escalated('ntf-after-hung', 'panic'), deadline());
    await arrival('ntf-after-hung');

    // mqtt.js replays its store before it reports the connection, so a replay would come first.
    expect(broker.publishesFrom(CHANNEL_CLIENT).map(({ topic }) => topic)).toEqual([
      `${PREFIX}/alerts/panic`,
    ]);
    expect(receivedIds()).not.toContain('ntf-hung');
  });

  it('rejects at once when the connection drops before the PUBACK, and never resends it', async () => {
    broker.freeze();
    const send = sendError(channel.send(escalated('ntf-dropped', 'medical'), AbortSignal.timeout(10_000)));
    const started = Date.now();
    await broker.kill('SIGKILL');

    expect((await send).reason).toBe('network');
    expect(Date.now() - started).toBeLessThan(1000);

    await brokerBack();
    await channel.send(escalated('ntf-after-drop', 'panic'), deadline());
    await arrival('ntf-after-drop');
    expect(broker.publishesFrom(CHANNEL_CLIENT).map(({ topic }) => topic)).toEqual([
      `${PREFIX}/alerts/panic`,
    ]);
    expect(receivedIds()).not.toContain('ntf-dropped');
  });

  it('rejects at once while the broker is down instead of queueing, so the rejected message never arrives later', async () => {
    await broker.stop();
    await eventually(() => Promise.resolve(expect(channel.connected).toBe(false)));

    const started = Date.now();
    const error = await sendError(
      channel.send(escalated('ntf-while-down', 'medical'), AbortSignal.timeout(5_000)),
    );
    expect(['not_connected', 'connection_refused']).toContain(error.reason);
    expect(Date.now() - started).toBeLessThan(200);

    await brokerBack();
    await channel.send(escalated('ntf-after-down', 'panic'), deadline());
    await arrival('ntf-after-down');
    expect(broker.publishesFrom(CHANNEL_CLIENT).map(({ topic }) => topic)).toEqual([
      `${PREFIX}/alerts/panic`,
    ]);
    expect(receivedIds()).not.toContain('ntf-while-down');
  });

  it('says `connection_refused` when nothing listens', async () => {
    const port = await freePort();
    const refused = new MqttChannel('nowhere', {
      kind: 'mqtt',
      url: `mqtt://127.0.0.1:${port}`,
      topic: PREFIX,
      ca: null,
    });
    extraChannels.push(refused);

    await eventually(async () => {
      expect((await sendError(refused.send(escalated('ntf-refused'), deadline()))).reason).toBe(
        'connection_refused',
      );
    });
  });

  it('connects over mqtts:// trusting the CA given by `ca`', async () => {
    const secure = new MqttChannel('building-tls', {
      kind: 'mqtt',
      url: `mqtts://localhost:${broker.options.tls!.port}`,
      topic: PREFIX,
      ca: certificates.caFile,
    });
    extraChannels.push(secure);
    await eventually(() => Promise.resolve(expect(secure.connected).toBe(true)));

    await secure.send(escalated('ntf-tls'), deadline());
    expect((await arrival('ntf-tls')).topic).toBe(`${PREFIX}/alerts/fire`);
  });

  it('says `tls` when the broker’s certificate is not trusted', async () => {
    const untrusting = new MqttChannel('building-tls', {
      kind: 'mqtt',
      url: `mqtts://localhost:${broker.options.tls!.port}`,
      topic: PREFIX,
      ca: null,
    });
    extraChannels.push(untrusting);

    await eventually(async () => {
      expect((await sendError(untrusting.send(escalated('ntf-untrusted'), deadline()))).reason).toBe('tls');
    });
    expect(receivedIds()).not.toContain('ntf-untrusted');
  });

  it('close() ends the connection, and a send after it fails', async () => {
    const closing = new MqttChannel('closing', { kind: 'mqtt', url: broker.url, topic: PREFIX, ca: null });
    await eventually(() => Promise.resolve(expect(closing.connected).toBe(true)));
    await closing.send(escalated('ntf-before-close'), deadline());
    const clientId = broker.publishesFrom(CHANNEL_CLIENT).at(-1)!.clientId;

    await closing.close();

    expect((await sendError(closing.send(escalated('ntf-after-close'), deadline()))).reason).toBe('closed');
    await eventually(() =>
      Promise.resolve(
        expect(broker.stderrLines.some((line) => line.includes(`Client ${clientId} `))).toBe(true),
      ),
    );
    expect(receivedIds()).not.toContain('ntf-after-close');
  });
});
