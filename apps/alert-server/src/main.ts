import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/app-config';
import { Logger } from '@nestjs/common';
import { prepareGracefulStop } from './http/graceful-stop';
import { createServer } from './server';
import { ADMIN_USAGE, EXIT_USAGE, isAdminCommand, runAdminCommand } from './cli/admin-command';
import { isConfigCommand, runConfigCommand } from './cli/config-command';

/** Exit status for a configuration error (sysexits EX_CONFIG), as the button agent uses. */
const EXIT_CONFIG = 78;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  // Before the environment is loaded: checking a file must report its faults, not exit 78 on them.
  if (isConfigCommand(args)) {
    process.exitCode = runConfigCommand(args, process.env, {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
    });
    return;
  }

  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`${problem}\n`);
    process.exit(EXIT_CONFIG);
  }

  if (isAdminCommand(args)) {
    process.exitCode = await runAdminCommand(args, config, {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
      readLine: firstLineOfStdin,
    });
    return;
  }
  if (args.length > 0) {
    process.stderr.write(
      `unknown command: ${args.join(' ')}\n(no argument starts the server)\n${ADMIN_USAGE}\n`,
    );
    process.exit(EXIT_USAGE);
  }

  const app = await createServer(config);
  const logger = new Logger('Server');
  if (config.auth === 'off') {
    logger.warn(
      { code: 'AUTH_OFF' },
      'VIGIE_AUTH=off: devices and operators are not authenticated (lab bench only)',
    );
  }
  const beginStop = prepareGracefulStop(app);
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.log(
    { event: 'server.ready', port, host: config.host, sqlitePath: config.sqlitePath },
    'alert server ready',
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log({ event: 'server.stopping', signal }, 'stopping: finishing requests, closing the store');
    // Stop accepting and tell busy connections to close; app.close() then waits for the
    // requests in flight to be answered and closes the store.
    beginStop();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ code: 'SHUTDOWN_FAILED', err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** The password of `operator add --password-stdin`: the first line, without its line ending. */
async function firstLineOfStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0];
}

main().catch((error: unknown) => {
  const args = process.argv.slice(2);
  const admin = isAdminCommand(args) || isConfigCommand(args);
  const failure = admin
    ? { code: 'ADMIN_COMMAND_FAILED', msg: `${process.argv.slice(2, 4).join(' ')} failed` }
    : { code: 'STARTUP_FAILED', msg: 'alert server failed to start' };
  process.stderr.write(
    `${JSON.stringify({ level: 'error', time: new Date().toISOString(), ...failure, err: String((error as Error)?.stack ?? error) })}\n`,
  );
  process.exit(1);
});
