import { execFile } from 'node:child_process';
import {
  GpioLine,
  LibgpiodVersion,
  isSupportedVersion,
  lineNameOf,
  parseGpioinfoOutput,
  parseGpiofindOutput,
  parseLibgpiodVersion,
} from './gpiomon-command';
import { GpioUnavailableError } from './gpio-unavailable.error';

/** Where the libgpiod tools are; tests point these at fakes. */
export interface GpiodCommands {
  gpiomon: string;
  gpiofind: string;
  gpioinfo: string;
}

export const DEFAULT_GPIOD_COMMANDS: GpiodCommands = {
  gpiomon: 'gpiomon',
  gpiofind: 'gpiofind',
  gpioinfo: 'gpioinfo',
};

/** What the gpiod driver found: the tools' version and each pin's chip and offset. */
export interface GpiodSetup {
  version: LibgpiodVersion;
  lines: GpioLine[];
}

const INSTALL_HINT = 'install the gpiod package (apt install gpiod)';

/** The tools that find a line by name: `gpiofind` (v1), `gpioinfo` (v2). */
export type LineLookupCommands = Pick<GpiodCommands, 'gpiofind' | 'gpioinfo'>;

/** Asks the tools which libgpiod this is and where each pin's line is; throws GpioUnavailableError. */
export async function findGpiodSetup(pins: readonly number[], commands: GpiodCommands): Promise<GpiodSetup> {
  const version = await readLibgpiodVersion(commands.gpiomon, 'gpiomon');
  return { version, lines: await findGpioLines(version, pins, commands) };
}

/**
 * The libgpiod release of a tool (`gpiomon`, `gpioset`), supported ones only (v1.6 or v2):
 * the tools of one release change their options and output together.
 */
export async function readLibgpiodVersion(command: string, tool: string): Promise<LibgpiodVersion> {
  const versionRun = await run(command, ['--version']);
  if (versionRun.missing) throw new GpioUnavailableError(`${tool} not found: ${INSTALL_HINT}`);
  const version = parseLibgpiodVersion(versionRun.stdout);
  if (!version) {
    throw new GpioUnavailableError(
      `${tool} --version printed no libgpiod version (${JSON.stringify(firstLine(versionRun.stdout + versionRun.stderr))})`,
    );
  }
  if (!isSupportedVersion(version)) {
    throw new GpioUnavailableError(
      `${tool} is libgpiod v${version.text}; v1.6 or newer is needed (pull-up bias, line-buffered output): upgrade the system or use VIGIE_GPIO_DRIVER=rpi-gpio`,
    );
  }
  return version;
}

/**
 * Each pin's chip and offset, found by its line name (`GPIO17`) so that the chip numbering of
 * the model does not matter. `pinsSetting` names the variable to check when a line is missing.
 */
export function findGpioLines(
  version: LibgpiodVersion,
  pins: readonly number[],
  commands: LineLookupCommands,
  pinsSetting = 'VIGIE_BUTTONS',
): Promise<GpioLine[]> {
  return version.major >= 2
    ? findLinesV2(pins, commands, pinsSetting)
    : findLinesV1(pins, commands, pinsSetting);
}

/** `gpiomon v2.2.1, GPIO17 on gpiochip0 line 17` for logs and `doctor`. */
export function describeGpiodSetup(setup: GpiodSetup): string {
  const lines = setup.lines.map((line) => {
    const holder = line.consumer ? ` (held by ${JSON.stringify(line.consumer)})` : '';
    return `${line.name} on ${line.chip} line ${line.offset}${holder}`;
  });
  return `gpiomon v${setup.version.text}, ${lines.join(', ')}`;
}

async function findLinesV1(
  pins: readonly number[],
  commands: LineLookupCommands,
  pinsSetting: string,
): Promise<GpioLine[]> {
  const lines: GpioLine[] = [];
  for (const pin of pins) {
    const name = lineNameOf(pin);
    const found = await run(commands.gpiofind, [name]);
    if (found.missing) throw new GpioUnavailableError(`gpiofind not found: ${INSTALL_HINT}`);
    const place = found.code === 0 ? parseGpiofindOutput(found.stdout) : null;
    if (!place) throw lineNotFound(name, found.stderr, pinsSetting);
    lines.push({ pin, name, ...place });
  }
  return lines;
}

async function findLinesV2(
  pins: readonly number[],
  commands: LineLookupCommands,
  pinsSetting: string,
): Promise<GpioLine[]> {
  const names = pins.map(lineNameOf);
  const info = await run(commands.gpioinfo, names);
  if (info.missing) throw new GpioUnavailableError(`gpioinfo not found: ${INSTALL_HINT}`);
  const found = parseGpioinfoOutput(info.stdout);
  return pins.map((pin) => {
    const line = found.get(lineNameOf(pin));
    if (!line) throw lineNotFound(lineNameOf(pin), info.stderr, pinsSetting);
    return { pin, ...line };
  });
}

function lineNotFound(name: string, stderr: string, pinsSetting: string): GpioUnavailableError {
  const said = stderr.trim() ? ` (${firstLine(stderr)})` : '';
  return new GpioUnavailableError(
    `no GPIO line named ${name}${said}: check the BCM pin numbers in ${pinsSetting}; gpioinfo lists the lines`,
    'GPIO_LINE_NOT_FOUND',
  );
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

interface RunResult {
  missing: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a short tool; never rejects. `missing` when it cannot be executed at all. */
function run(command: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 5000, encoding: 'utf8' }, (error, stdout, stderr) => {
      const spawnCode = (error as NodeJS.ErrnoException | null)?.code;
      const missing = spawnCode === 'ENOENT' || spawnCode === 'EACCES';
      const exitCode = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ missing, code: exitCode, stdout, stderr });
    });
  });
}
