import { spawn } from 'node:child_process';
import { SERVER_MAIN } from './server-process';
import { assertBuilt, childEnv } from './watched-process';

/** What one run of the server binary's admin command printed, and its exit code. */
export interface AdminRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node dist/apps/alert-server/main.js <args>` (device, operator and config commands) on a
 * store file, as an administrator would at the security post; `stdin` is written then closed.
 * `extraEnv` is added to (or, with `undefined`, removed from) the environment, as in `childEnv`.
 */
export function runAdmin(
  sqlitePath: string,
  args: string[],
  stdin = '',
  extraEnv: Record<string, string | undefined> = {},
): Promise<AdminRun> {
  assertBuilt(SERVER_MAIN, 'apps/alert-server/src');
  return new Promise((resolve, reject) => {
    const env = childEnv({ VIGIE_SQLITE_PATH: sqlitePath, LOG_LEVEL: 'warn' }, extraEnv);
    const child = spawn(process.execPath, [SERVER_MAIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** `device add`: the token, alone on the last line of stdout. */
export async function addDevice(sqlitePath: string, deviceId: string, location?: string): Promise<string> {
  const run = await runAdmin(sqlitePath, [
    'device',
    'add',
    deviceId,
    ...(location ? ['--location', location] : []),
  ]);
  if (run.code !== 0) throw new Error(`device add ${deviceId} exited ${run.code}: ${run.stderr}`);
  return run.stdout.trimEnd().split('\n').at(-1)!;
}

export async function revokeDevice(sqlitePath: string, deviceId: string): Promise<void> {
  const run = await runAdmin(sqlitePath, ['device', 'revoke', deviceId]);
  if (run.code !== 0) throw new Error(`device revoke ${deviceId} exited ${run.code}: ${run.stderr}`);
}

/** `operator add NAME --password-stdin`. */
export async function addOperator(sqlitePath: string, name: string, password: string): Promise<void> {
  const run = await runAdmin(sqlitePath, ['operator', 'add', name, '--password-stdin'], `${password}\n`);
  if (run.code !== 0) throw new Error(`operator add ${name} exited ${run.code}: ${run.stderr}`);
}
