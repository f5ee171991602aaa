'use strict';
/**
 * bench:notify's receivers, in a child process of their own: a webhook HTTP receiver (the tests'
 * HttpReceiver), Debian's mosquitto with a QoS 1 subscriber, and an SMTP server (smtp-server).
 * Each notification is stamped with Date.now() on arrival (the server's receivedAt is its
 * Date.now() too, same machine) and its notification id is kept. A child process, not the
 * bench's: during the throughput rounds the receivers take their share of the two cores, but
 * must not stall the load generator's event loop, or "notifications on" would be measured
 * with a slower client.
 *
 * The parent side is `startReceivers()`; the child side runs when this file is the script.
 */
const { fork, spawn } = require('node:child_process');
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const MOSQUITTO = '/usr/sbin/mosquitto';
/** The MQTT channel's topic prefix; the subscriber takes everything under it. */
const MQTT_TOPIC = 'vigie-bench';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------- parent side

/**
 * Forks the receivers and resolves once all listen.
 * @returns {Promise<{ webhookUrl: string, mqttUrl: string, smtpUrl: string, mqttTopic: string,
 *   count(): Promise<number>, take(options?: { summary?: boolean }): Promise<object>, stop(): Promise<void> }>}
 */
function startReceivers() {
  const child = fork(__filename, ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let nextRequest = 1;
  const pending = new Map();
  let failed = null;
  child.on('message', (message) => {
    const waiting = pending.get(message.requestId);
    if (!waiting) return;
    pending.delete(message.requestId);
    if (message.error) waiting.reject(new Error(`receivers: ${message.error}`));
    else waiting.resolve(message.result);
  });
  child.once('exit', (code, signal) => {
    failed = new Error(`the receivers' process exited (${signal ?? code})`);
    for (const waiting of pending.values()) waiting.reject(failed);
    pending.clear();
  });
  const ask = (command, options = {}) =>
    new Promise((resolve, reject) => {
      if (failed) return reject(failed);
      const requestId = nextRequest++;
      pending.set(requestId, { resolve, reject });
      child.send({ requestId, command, options });
    });

  const timer = setTimeout(() => child.kill('SIGKILL'), READY_TIMEOUT_MS);
  return ask('ready').then(
    (addresses) => {
      clearTimeout(timer);
      return {
        ...addresses,
        mqttTopic: MQTT_TOPIC,
        /** Notifications received so far (all channels). */
        count: () => ask('count'),
        /**
         * What arrived since the last take, and forget it; `summary`: counts per channel only
         * (the throughput rounds receive tens of thousands).
         */
        take: (options) => ask('take', options),
        /** CPU time (ms) the receivers' process and the broker have used so far: they share the cores. */
        cpuMs: () => ask('cpu'),
        async stop() {
          if (failed) return;
          const exited = new Promise((resolve) => child.once('exit', resolve));
          const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          await ask('stop').catch(() => undefined);
          await exited;
          clearTimeout(kill);
        },
      };
    },
    (error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      throw error;
    },
  );
}

// ---------------------------------------------------------------- child side

/** One arrival: which channel, when (epoch ms), the notification id and what the body says. */
function arrival(channel, id, body) {
  return {
    channel,
    at: Date.now(),
    id,
    alertId: body?.alert?.id ?? null,
    step: body?.step ?? null,
    type: body?.type ?? null,
  };
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function connects(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * mosquitto as the tests start it (test/support/receivers/mosquitto-process.ts: anonymous, no
 * persistence, the bench's user, loopback), but logging errors and warnings only: the tests log
 * every packet as their oracle, which here would be hundreds of thousands of lines for the
 * broker to write and this process to read during the throughput rounds.
 */
async function startMosquitto(dir) {
  const port = await freePort();
  const config = path.join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    [
      `user ${os.userInfo().username}`,
      'per_listener_settings false',
      'allow_anonymous true',
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      // The default (100) would hold back QoS 1 messages to the subscriber under the flood.
      'max_inflight_messages 0',
      'max_queued_messages 0',
      `listener ${port} 127.0.0.1`,
      '',
    ].join('\n'),
  );
  const broker = spawn(MOSQUITTO, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = [];
  broker.stderr.setEncoding('utf8').on('data', (chunk) => stderr.push(chunk));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await connects(port))) {
    if (broker.exitCode !== null || Date.now() > deadline) {
      broker.kill('SIGKILL');
      throw new Error(`mosquitto does not accept connections\n${stderr.join('')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid: broker.pid,
    stop() {
      if (broker.exitCode !== null || broker.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        const kill = setTimeout(() => broker.kill('SIGKILL'), 5_000);
        broker.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        broker.kill('SIGTERM');
      });
    },
  };
}

/** A QoS 1 subscriber to everything under the channel's topic. */
async function subscribe(url, record) {
  const mqtt = require('mqtt');
  const client = await mqtt.connectAsync(url, {
    clientId: `vigie-bench-sub-${process.pid}`,
    clean: true,
    reconnectPeriod: 0,
  });
  client.on('message', (_topic, payload) => {
    const body = parseJson(payload.toString('utf8'));
    record(arrival('mqtt', body?.notificationId ?? null, body));
  });
  await client.subscribeAsync(`${MQTT_TOPIC}/#`, { qos: 1 });
  return { stop: () => client.endAsync(true) };
}

/** An SMTP server taking every message, without TLS (the channel then sends in clear). */
async function startSmtp(record) {
  const { SMTPServer } = require('smtp-server');
  const server = new SMTPServer({
    logger: false,
    // smtp-server would offer STARTTLS with its own certificate, which nodemailer would refuse.
    hideSTARTTLS: true,
    authOptional: true,
    // The flood of the throughput rounds opens one session per message.
    maxClients: 10_000,
    closeTimeout: 200,
    onData(stream, _session, callback) {
      const chunks = [];
      stream.on('data', (chunk) => chunks.push(chunk));
      stream.on('end', () => {
        // Stamped at the end of DATA, before the 250 answer: the message is in.
        const at = Date.now();
        const raw = Buffer.concat(chunks).toString('utf8');
        const headers = raw.slice(0, raw.indexOf('\r\n\r\n') >>> 0);
        // The Message-ID is the notification id: ASCII, unlike the subject (the location's
        // accents make it RFC 2047) and the body (quoted-printable).
        const messageId = /^Message-ID:\s*<([^@>\s]+)@/im.exec(headers)?.[1] ?? null;
        record({ ...arrival('email', messageId, null), at });
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `smtp://127.0.0.1:${server.server.address().port}`,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function child() {
  require('ts-node').register({
    transpileOnly: true,
    project: path.join(__dirname, '..', '..', 'tsconfig.json'),
  });
  const { HttpReceiver } = require('../../apps/alert-server/test/support/receivers/http-receiver');

  let arrivals = [];
  const record = (entry) => arrivals.push(entry);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigie-bench-receivers-'));
  const stops = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };

  const { statCpuMs } = require('./proc-stats');
  let addresses;
  let brokerPid;
  let startError = null;
  try {
    // No signature check: the bench measures arrival, the e2e tests check signatures.
    const webhook = await HttpReceiver.start((request) => {
      const body = parseJson(request.body.toString('utf8'));
      record(arrival('webhook', request.headers['webhook-id'] ?? null, body));
      // The receiver keeps every request; the bench needs only the arrivals.
      webhook.requests.length = 0;
      return { status: 204 };
    });
    stops.push(() => webhook.close());
    const broker = await startMosquitto(dir);
    stops.push(() => broker.stop());
    brokerPid = broker.pid;
    const subscriber = await subscribe(broker.url, record);
    stops.push(() => subscriber.stop());
    const smtp = await startSmtp(record);
    stops.push(() => smtp.stop());
    addresses = { webhookUrl: webhook.url('/hooks/vigie'), mqttUrl: broker.url, smtpUrl: smtp.url };
  } catch (error) {
    startError = error;
  }

  const handlers = {
    ready: () => {
      if (startError) throw startError;
      return addresses;
    },
    count: () => arrivals.length,
    cpu: () => {
      const own = process.cpuUsage();
      return { receivers: (own.user + own.system) / 1000, broker: statCpuMs(`/proc/${brokerPid}/stat`) };
    },
    take: ({ summary }) => {
      const taken = arrivals;
      arrivals = [];
      if (!summary) return taken;
      const counts = {};
      for (const entry of taken) counts[entry.channel] = (counts[entry.channel] ?? 0) + 1;
      return counts;
    },
    stop: async () => {
      await stopAll();
      return true;
    },
  };
  process.on('message', ({ requestId, command, options }) => {
    Promise.resolve()
      .then(() => handlers[command](options))
      .then(
        (result) => process.send({ requestId, result }, () => command === 'stop' && process.exit(0)),
        (error) => process.send({ requestId, error: String(error?.stack ?? error) }),
      );
  });
  // The bench died: take the broker down with us.
  process.once('disconnect', () => void stopAll().then(() => process.exit(0)));
}

if (require.main === module && process.argv[2] === '--child') {
  child().catch((error) => {
    process.stderr.write(`receivers failed: ${String(error?.stack ?? error)}\n`);
    process.exit(1);
  });
}

module.exports = { startReceivers, MQTT_TOPIC };
