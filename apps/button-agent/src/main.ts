import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AgentModule } from './agent.module';
import { EXIT } from './commands/exit-codes';
import { RunCommand } from './commands/run.command';
import { SendArguments, SendCommand, UsageError, parseSendArguments } from './commands/send.command';
import { ConfigError, loadAgentConfig } from './config/agent-config';
import { DoctorCommand } from './doctor/doctor.command';

const USAGE = 'usage: button-agent [run | send TYPE [--message TEXT] [--wait SECONDS] | doctor [--blink]]';

function stderr(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Resolves with the first SIGTERM or SIGINT: commands finish what they hold, then exit. */
function firstStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}

async function main(argv: string[]): Promise<number> {
  const [command = 'run', ...args] = argv;
  const doctorBlink = command === 'doctor' && args.length === 1 && args[0] === '--blink';
  if (
    !['run', 'send', 'doctor'].includes(command) ||
    (command !== 'send' && args.length > 0 && !doctorBlink)
  ) {
    stderr(USAGE);
    return EXIT.USAGE;
  }
  let sendArguments: SendArguments | null = null;
  try {
    if (command === 'send') sendArguments = parseSendArguments(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    stderr(`${error.message}\n${USAGE}`);
    return EXIT.USAGE;
  }

  let config;
  try {
    config = loadAgentConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (command === 'doctor') {
      for (const problem of error.problems) process.stdout.write(`FAIL config       ${problem}\n`);
      return EXIT.FAILURE;
    }
    error.problems.forEach(stderr);
    return EXIT.CONFIG;
  }

  const stopSignal = firstStopSignal();
  const app = await NestFactory.createApplicationContext(
    AgentModule.forRoot(config, () => process.exit(EXIT.FAILURE)),
    { logger: ['error', 'warn'] },
  );
  try {
    if (sendArguments) return await app.get(SendCommand).run(sendArguments, stopSignal);
    if (command === 'doctor')
      return await app
        .get(DoctorCommand)
        .run((line) => process.stdout.write(`${line}\n`), { blink: doctorBlink });
    return await app.get(RunCommand).run(stopSignal);
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `${JSON.stringify({ level: 'fatal', time: new Date().toISOString(), service: 'button-agent', code: 'AGENT_FAILED', msg: 'button agent failed', err: String((error as Error)?.stack ?? error) })}\n`,
    );
    process.exit(EXIT.FAILURE);
  },
);
