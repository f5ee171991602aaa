import pino, { Logger } from 'pino';
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
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', singleLine: true } },
    });
  }
  return pino(options, pino.destination({ dest: 1, sync: true }));
}
