import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { SecureContext, createSecureContext, rootCertificates } from 'node:tls';
import axios, { AxiosError, AxiosInstance } from 'axios';
import { AgentConfig } from '../config/agent-config';
import { codeForNetworkError } from '../diagnostics/error-codes';
import { version as packageVersion } from '../../../../package.json';

/** Injection token of the axios instance for the alert server. */
export const SERVER_HTTP = Symbol('SERVER_HTTP');

/** A dead server must not hold a press for long: fail fast, then retry with backoff. */
export const CONNECT_TIMEOUT_MS = 3000;
/** Heartbeats and `doctor`: nothing waits behind them, so a slow server gets its time. */
export const RESPONSE_TIMEOUT_MS = 10_000;
/**
 * `POST /alerts`, from the start of the request to the answer's head (connecting included). The
 * server answers as soon as the alert is on disk: milliseconds, a few hundred on a poor Wi-Fi.
 * An answer missing after 3 s is most likely lost, and the alert it was for is often stored
 * already: the retry, same id, then only gets a 200. A server slower than this would not lose
 * alerts either (each request it reads is stored), only see them again after a backoff.
 */
export const ALERT_RESPONSE_TIMEOUT_MS = 3000;

/** Axios instance for the alert server: base URL, token, CA, timeouts, never throwing on a status. */
export function createServerClient(config: AgentConfig): AxiosInstance {
  // Four alert requests at most (see Delivery), a heartbeat and the device stream, which holds
  // its socket: none waits for a socket, whose wait would count in its timeout.
  const agentOptions = { keepAlive: true, maxSockets: 6 };
  const secureContext = trustedContext(config.caCertificate);
  return axios.create({
    baseURL: config.serverUrl.toString().replace(/\/$/, ''),
    timeout: RESPONSE_TIMEOUT_MS,
    transitional: { clarifyTimeoutError: true },
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': `vigie-button-agent/${agentVersion()}`,
      ...(config.deviceToken ? { Authorization: `Bearer ${config.deviceToken}` } : {}),
    },
    httpAgent: withConnectTimeout(new HttpAgent(agentOptions)),
    httpsAgent: withConnectTimeout(
      new HttpsAgent({ ...agentOptions, ...(secureContext ? { secureContext } : {}) }),
    ),
    proxy: false,
    maxRedirects: 0,
    validateStatus: () => true,
  });
}

/**
 * What an https server is checked against when VIGIE_CA_FILE is set: that CA in addition to the
 * system's (Node's bundled roots and NODE_EXTRA_CA_CERTS): VIGIE_CA_FILE is an extra CA.
 * Node's `ca` option alone replaces them, so a server that moves to a public certificate would
 * be refused. Built once, so each new TLS connection does not parse the ~150 roots again.
 * Undefined (Node's defaults) without VIGIE_CA_FILE.
 */
export function trustedContext(
  caCertificate: string | null,
  env: NodeJS.ProcessEnv = process.env,
): SecureContext | undefined {
  if (!caCertificate) return undefined;
  const ca = [...rootCertificates];
  if (env.NODE_EXTRA_CA_CERTS) {
    try {
      ca.push(readFileSync(env.NODE_EXTRA_CA_CERTS, 'utf8'));
    } catch {
      // Node itself warns at start-up about an unreadable NODE_EXTRA_CA_CERTS.
    }
  }
  ca.push(caCertificate);
  return createSecureContext({ ca });
}

/** Node has no connect timeout of its own: destroy a socket that does not connect in time. */
function withConnectTimeout<T extends HttpAgent>(agent: T): T {
  const create = (
    agent as unknown as { createConnection: (...args: unknown[]) => Socket }
  ).createConnection.bind(agent);
  (agent as unknown as { createConnection: (...args: unknown[]) => Socket }).createConnection = (...args) => {
    const socket = create(...args);
    const timer = setTimeout(() => {
      const error = Object.assign(new Error(`connect timeout after ${CONNECT_TIMEOUT_MS} ms`), {
        code: 'ETIMEDOUT',
      });
      socket.destroy(error);
    }, CONNECT_TIMEOUT_MS);
    timer.unref();
    socket.once('connect', () => clearTimeout(timer));
    socket.once('secureConnect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
    return socket;
  };
  return agent;
}

/** The version in package.json, bundled at build time. */
export function agentVersion(): string {
  return packageVersion;
}

/** The stable code of a request that got no HTTP answer (axios wraps the system error). */
export function networkErrorCode(error: unknown): string {
  const axiosError = error as AxiosError;
  const systemCode =
    axiosError.code === 'ERR_NETWORK' || axiosError.code === undefined
      ? codeOf(axiosError.cause)
      : axiosError.code;
  return codeForNetworkError(systemCode);
}

function codeOf(value: unknown): string | undefined {
  const code: unknown =
    typeof value === 'object' && value !== null && 'code' in value ? value.code : undefined;
  return typeof code === 'string' ? code : undefined;
}
