import { hostname } from 'node:os';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { DomainEvents } from '../events/domain-events';
import { DEVICE_ID_PATTERN } from '@app/contracts';
import { DeviceAuthService } from '../auth/device-auth.service';
import { DeviceCredentialsRepository } from '../auth/device-credentials.repository';
import { OperatorAuthService, OperatorInputError } from '../auth/operator-auth.service';
import { OperatorsRepository } from '../auth/operators.repository';
import { APP_STORE, AppStore } from '../app-store';
import { AppConfig } from '../config/app-config';
import { EnrollmentRepository } from '../enrollment/enrollment.repository';
import { EnrollmentService } from '../enrollment/enrollment.service';
import { publicServerUrl } from '../http/server-url';
import { Store } from '../store/store';
import { UsageError, onlyOne, parse, table } from './command-line';

/** sysexits: a wrong command line. */
export const EXIT_USAGE = 64;
/** The command was understood but could not be done (no such device, name taken...). */
export const EXIT_REFUSED = 1;

export const ADMIN_USAGE = `usage:
  main.js device add ID [--location TEXT]   create a device and print its token (shown once)
  main.js device enroll ID [--location TEXT]   a one-time code; prints the Pi's install command
  main.js device list                       devices with a token, and their state
  main.js device revoke ID                  refuse the device's token from now on
  main.js operator add NAME --password-stdin   create an operator; the password is read from stdin
  main.js operator list
  main.js operator remove NAME              remove an operator and end their sessions
  main.js config check [FILE]               validate a notification file (default: VIGIE_NOTIFY_FILE)`;

export interface AdminIo {
  out(line: string): void;
  err(line: string): void;
  /** The first line of standard input, without its line ending. */
  readLine(): Promise<string>;
}

/** True for the words that start an admin command instead of the server. */
export function isAdminCommand(args: readonly string[]): boolean {
  return args[0] === 'device' || args[0] === 'operator';
}

/**
 * The device and operator commands (`device add|enroll|list|revoke`, `operator add|list|remove`). They
 * work on the store directly (the server may be running: SQLite lets both write), and their effect
 * is immediate, since the server reads tokens and sessions from the store on every request.
 */
export async function runAdminCommand(
  args: readonly string[],
  config: AppConfig,
  io: AdminIo,
): Promise<number> {
  let store: AppStore | null = null;
  try {
    const [subject, verb, ...rest] = args;
    const command = subject === 'device' ? deviceCommand(verb, rest, config) : operatorCommand(verb, rest);
    store = await Store.open(config.sqlitePath, APP_STORE, { writer: 'main' });
    return await command(store, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n${ADMIN_USAGE}`);
      return EXIT_USAGE;
    }
    if (error instanceof OperatorInputError) {
      io.err(error.message);
      return EXIT_REFUSED;
    }
    throw error;
  } finally {
    await store?.close();
  }
}

type Command = (store: AppStore, io: AdminIo) => Promise<number>;

function deviceCommand(verb: string | undefined, rest: string[], config: AppConfig): Command {
  const devices = (store: AppStore) => new DeviceAuthService(new DeviceCredentialsRepository(store));
  switch (verb) {
    case 'enroll': {
      const { id, location } = deviceAndLocation(rest);
      return async (store, io) => {
        const enrollment = await new EnrollmentService(new EnrollmentRepository(store)).create(
          id,
          location,
          'admin command',
          commandLineServerUrl(config),
        );
        io.out(`device ${id}: enrollment code made, valid until ${enrollment.expiresAt}, once.`);
        io.out('On the Pi, run:');
        io.out(enrollment.command);
        return 0;
      };
    }
    case 'add': {
      const { id, location } = deviceAndLocation(rest);
      return async (store, io) => {
        const token = await devices(store).create(id, location);
        if (token === null) {
          io.err(`device ${id} already has a token: revoke it first (device revoke ${id}) to make a new one`);
          return EXIT_REFUSED;
        }
        io.out(`device ${id} added${location ? ` (${location})` : ''}.`);
        io.out('Put this token in VIGIE_DEVICE_TOKEN on the device. It is shown only now:');
        io.out(token);
        return 0;
      };
    }
    case 'list': {
      const { positional } = parse(rest, []);
      if (positional.length > 0) throw new UsageError('device list takes no argument');
      return async (store, io) => {
        const rows = await devices(store).list();
        if (rows.length === 0) {
          io.out('no device has a token yet (device add ID)');
          return 0;
        }
        io.out(
          table(
            ['ID', 'TOKEN', 'CREATED', 'LAST SEEN', 'LOCATION'],
            rows.map((row) => [
              row.device_id,
              row.revoked_at ? `revoked ${row.revoked_at}` : 'active',
              row.created_at,
              row.last_seen_at ?? 'never',
              row.location ?? '',
            ]),
          ),
        );
        return 0;
      };
    }
    case 'revoke': {
      const id = onlyOne(parse(rest, []).positional, 'ID');
      return async (store, io) => {
        if (!(await devices(store).revoke(id))) {
          io.err(`device ${id} has no active token`);
          return EXIT_REFUSED;
        }
        io.out(`device ${id}: token revoked; the server refuses it from now on.`);
        return 0;
      };
    }
    default:
      throw new UsageError(verb ? `unknown command: device ${verb}` : 'device needs a command');
  }
}

function operatorCommand(verb: string | undefined, rest: string[]): Command {
  const operators = (store: AppStore) =>
    new OperatorAuthService(new OperatorsRepository(store), new DomainEvents(new EventEmitter2()));
  switch (verb) {
    case 'add': {
      const { positional, flags } = parse(rest, [], ['--password-stdin']);
      const name = onlyOne(positional, 'NAME');
      if (!flags.has('--password-stdin')) {
        throw new UsageError(
          'operator add needs --password-stdin (a password on the command line would stay in the shell history)',
        );
      }
      return async (store, io) => {
        const password = await io.readLine();
        if (!(await operators(store).add(name, password))) {
          io.err(`operator ${name} already exists`);
          return EXIT_REFUSED;
        }
        io.out(`operator ${name} added.`);
        return 0;
      };
    }
    case 'list': {
      if (rest.length > 0) throw new UsageError('operator list takes no argument');
      return async (store, io) => {
        const rows = await operators(store).list();
        if (rows.length === 0) {
          io.out('no operator yet (operator add NAME --password-stdin)');
          return 0;
        }
        io.out(
          table(
            ['NAME', 'CREATED'],
            rows.map((row) => [row.name, row.created_at]),
          ),
        );
        return 0;
      };
    }
    case 'remove': {
      const name = onlyOne(parse(rest, []).positional, 'NAME');
      return async (store, io) => {
        if (!(await operators(store).remove(name))) {
          io.err(`no operator named ${name}`);
          return EXIT_REFUSED;
        }
        io.out(`operator ${name} removed; their sessions are ended.`);
        return 0;
      };
    }
    default:
      throw new UsageError(verb ? `unknown command: operator ${verb}` : 'operator needs a command');
  }
}

/**
 * The address a Pi reaches this server at: VIGIE_PUBLIC_URL, else this machine's name and the
 * server's port (a command run on the server itself; set VIGIE_PUBLIC_URL when Pis know it by
 * another name).
 */
function commandLineServerUrl(config: AppConfig): string {
  return publicServerUrl(config) ?? `http://${hostname()}:${config.port}`;
}

/** `ID [--location TEXT]`, both checked (device add and device enroll). */
function deviceAndLocation(rest: string[]): { id: string; location: string | null } {
  const { positional, options } = parse(rest, ['--location']);
  const id = onlyOne(positional, 'ID');
  checkDeviceId(id);
  return { id, location: checkLocation(options.get('--location') ?? null) };
}

function checkDeviceId(id: string): void {
  if (!DEVICE_ID_PATTERN.test(id))
    throw new UsageError(`device id ${JSON.stringify(id)}: 1 to 64 of A-Z a-z 0-9 . _ -`);
}

/** As long as a heartbeat's location may be (120 characters), and printable. */
function checkLocation(location: string | null): string | null {
  if (location === null) return null;
  // eslint-disable-next-line no-control-regex
  if (location.length > 120 || /[\u0000-\u001f\u007f]/.test(location) || !location.isWellFormed()) {
    throw new UsageError('--location: at most 120 characters, without control characters');
  }
  return location;
}
