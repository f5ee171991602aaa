import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { TestCertificates } from '../../../../../test/support/tls-proxy';
import { Started, WatchedProcess } from '../../../../../test/support/watched-process';
import { sleep } from '../eventually';

/** Debian's broker (the `mosquitto` package), the one a site would run. */
export const MOSQUITTO = '/usr/sbin/mosquitto';

export interface MosquittoOptions {
  /** Where its configuration file goes. */
  dir: string;
  /** A plain listener on 127.0.0.1. */
  port: number;
  /** A TLS listener too, with this certificate. */
  tls?: { port: number; certificates: TestCertificates };
}

/** What the broker's log says it received: the oracle of what a client really published. */
export interface BrokerPublish {
  clientId: string;
  qos: number;
  topic: string;
}

const brokers = new Started<MosquittoProcess>();

/**
 * A real mosquitto as a child process on the shared harness (output drained and kept, bounded
 * stop), anonymous, without persistence, logging every packet: a restart is a broker that
 * forgot everything, as after a crash.
 */
export class MosquittoProcess extends WatchedProcess {
  private constructor(
    child: ReturnType<typeof spawn>,
    readonly options: MosquittoOptions,
  ) {
    super(child, `mosquitto :${options.port}`);
  }

  /** Starts it and resolves once it accepts connections. */
  static async start(options: MosquittoOptions): Promise<MosquittoProcess> {
    const config = join(options.dir, `mosquitto-${options.port}.conf`);
    writeFileSync(config, configText(options));
    const child = spawn(MOSQUITTO, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    const broker = brokers.track(new MosquittoProcess(child, options));
    await broker.waitForStderr((line) => line.includes(' running'), 10_000, 'the broker running');
    await broker.acceptsConnections(5_000);
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.options.port}`;
  }

  /** A new broker on the same ports and configuration, once this one has stopped. */
  async restart(): Promise<MosquittoProcess> {
    await this.stop();
    return MosquittoProcess.start(this.options);
  }

  /** SIGSTOP: connections stay open, nothing is read or answered (a hung broker). */
  freeze(): void {
    this.child.kill('SIGSTOP');
  }

  /** Every PUBLISH the broker received from clients whose id starts with `clientPrefix`. */
  publishesFrom(clientPrefix: string): BrokerPublish[] {
    const received = /Received PUBLISH from (\S+) \(d\d, q(\d), r\d, m\d+, '([^']*)'/;
    return this.stderrLines.flatMap((line) => {
      const match = received.exec(line);
      if (!match || !match[1].startsWith(clientPrefix)) return [];
      return [{ clientId: match[1], qos: Number(match[2]), topic: match[3] }];
    });
  }

  private waitForStderr(match: (line: string) => boolean, timeoutMs: number, what: string) {
    return this.waitFor(
      () => this.stderrLines.find(match),
      timeoutMs,
      () => what,
    );
  }

  private async acceptsConnections(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await connects(this.options.port))) {
      if (this.exitResult || Date.now() > deadline) {
        throw new Error(`${this.label} does not accept connections\n${this.output()}`);
      }
      await sleep(20);
    }
  }
}

/** Kills every broker still running and removes their folders: call in afterAll. */
export function cleanupMosquittos(): Promise<void> {
  return brokers.cleanup();
}

/** A folder for a broker's configuration, removed by `cleanupMosquittos`. */
export function mosquittoDir(): string {
  return brokers.tempDir('vigie-mosquitto-');
}

function configText({ port, tls }: MosquittoOptions): string {
  const lines = [
    // Started as root, mosquitto would switch to its own user, which cannot read the test's files.
    `user ${userInfo().username}`,
    'per_listener_settings false',
    'allow_anonymous true',
    'persistence false',
    // stderr, not stdout: mosquitto buffers stdout when it is a pipe, and the log is the oracle.
    'log_dest stderr',
    'log_type all',
    `listener ${port} 127.0.0.1`,
  ];
  if (tls) {
    lines.push(
      `listener ${tls.port} 127.0.0.1`,
      `cafile ${tls.certificates.caFile}`,
      `certfile ${tls.certificates.certFile}`,
      `keyfile ${tls.certificates.keyFile}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
