import { ConfigError, Env } from '@app/env';
import { NotifyConfig } from '../notifications/notify-config';
import { loadNotifyFile } from '../notifications/notify-file';
import { ADMIN_USAGE, AdminIo, EXIT_USAGE } from './admin-command';

/** The file has faults (each printed on its own line). */
export const EXIT_INVALID = 1;

/** True for `config ...`: it runs before the environment is validated, and never opens the store. */
export function isConfigCommand(args: readonly string[]): boolean {
  return args[0] === 'config';
}

/**
 * `config check [FILE]`: validates a notification file (default VIGIE_NOTIFY_FILE) as start-up
 * would, so that a change can be checked before a restart turns it into an outage.
 */
export function runConfigCommand(
  args: readonly string[],
  env: Env,
  io: Pick<AdminIo, 'out' | 'err'>,
): number {
  const [, verb, ...rest] = args;
  const usage = (problem: string) => {
    io.err(`${problem}\n${ADMIN_USAGE}`);
    return EXIT_USAGE;
  };
  if (verb !== 'check') return usage(verb ? `unknown command: config ${verb}` : 'config needs a command');
  if (rest.length > 1 || rest.some((arg) => arg.startsWith('--'))) {
    return usage('config check takes one FILE at most');
  }
  const file = rest[0] ?? (env.VIGIE_NOTIFY_FILE || undefined);
  if (file === undefined) return usage('config check needs a FILE, or VIGIE_NOTIFY_FILE set');
  try {
    io.out(summary(loadNotifyFile(file, env)));
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) io.err(problem);
    return EXIT_INVALID;
  }
}

/** `notify.yml: 5 channels, 2 rules, devices.offline → phones`. */
function summary(config: NotifyConfig): string {
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  const offline = config.deviceOffline ? config.deviceOffline.notify.join(', ') : 'dashboard only';
  return `${config.file}: ${count(config.channels.size, 'channel')}, ${count(config.escalation.length, 'rule')}, devices.offline → ${offline}`;
}
