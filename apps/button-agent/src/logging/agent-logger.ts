import pino, { Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import { AgentConfig } from '../config/agent-config';

export type AgentLogger = Logger;

/** Injection token of the agent's pino logger. */
export const AGENT_LOGGER = Symbol('AGENT_LOGGER');

/**
 * One JSON object per line on stdout with `level`, `time`, `msg` (what journald and log tools read), or pretty
 * lines for humans. Written synchronously: a crash right after a line must not lose it.
 */
export function createAgentLogger(
  config: Pick<AgentConfig, 'logLevel' | 'logFormat' | 'deviceId'>,
): AgentLogger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    base: { service: 'button-agent', deviceId: config.deviceId },
  };
  if (config.logFormat === 'pretty') {
    // In this thread, not as a pino transport: a transport runs in a worker that loads pino and
    // pino-pretty by file path, which the one-file agent bundle does not have. Synchronous too,
    // as the JSON lines are. Required here, not imported: the service logs JSON, and pino-pretty
    // with its dependencies would otherwise sit in memory for nothing.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as typeof PinoPretty;
    return pino(
      options,
      pretty({ translateTime: 'SYS:HH:MM:ss.l', singleLine: true, sync: true, destination: 1 }),
    );
  }
  return pino(options, pino.destination({ dest: 1, sync: true }));
}
