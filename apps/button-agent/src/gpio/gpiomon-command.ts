import { V1_FORMAT, V2_FORMAT } from './gpiomon-output';

/** The libgpiod release behind the command-line tools, from `gpiomon --version`. */
export interface LibgpiodVersion {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

/** A configured pin found as a line of a GPIO chip. */
export interface GpioLine {
  pin: number;
  name: string;
  chip: string;
  offset: number;
  /** Who holds the line now, when the tools say (v2 `gpioinfo`), e.g. `"gpiomon"`. */
  consumer?: string;
}

/** One gpiomon process to run and the lines it reports. */
export interface GpiomonPlan {
  args: string[];
  lines: GpioLine[];
}

/** The Raspberry Pi kernels name the header pins after their BCM number on every model. */
export function lineNameOf(pin: number): string {
  return `GPIO${pin}`;
}

/** `gpiomon (libgpiod) v1.6.3` or `gpiomon (libgpiod) v2.2.1` (v2.1 has no patch number). */
export function parseLibgpiodVersion(output: string): LibgpiodVersion | null {
  const match = /\(libgpiod\)\s+v?(\d+)\.(\d+)(?:\.(\d+))?\S*/.exec(output);
  if (!match) return null;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3] ?? 0),
    text: match[0].replace(/^\(libgpiod\)\s+v?/, ''),
  };
}

/** Bias (1.5) and `--line-buffered` (1.6) are needed; Bullseye has 1.6.2, Bookworm 1.6.3. */
export function isSupportedVersion(version: LibgpiodVersion): boolean {
  return version.major >= 2 || (version.major === 1 && version.minor >= 6);
}

/** v1 `gpiofind GPIO17` prints `gpiochip0 17`. */
export function parseGpiofindOutput(output: string): { chip: string; offset: number } | null {
  const match = /^(\S+) (\d+)\s*$/.exec(output.trim());
  return match ? { chip: match[1], offset: Number(match[2]) } : null;
}

/**
 * v2 `gpioinfo GPIO17 GPIO27` prints one line per line found:
 * `gpiochip0 17<TAB>"GPIO17"        <TAB>input bias=pull-up edges=both consumer="gpiomon"`.
 */
export function parseGpioinfoOutput(output: string): Map<string, Omit<GpioLine, 'pin'>> {
  const lines = new Map<string, Omit<GpioLine, 'pin'>>();
  for (const text of output.split('\n')) {
    const match = /^(\S+) (\d+)\t"?([^"\t]+?)"?\s*\t(.*)$/.exec(text);
    if (!match) continue;
    const consumer = /consumer=(?:"([^"]*)"|(\S+))/.exec(match[4]);
    lines.set(match[3], {
      name: match[3],
      chip: match[1],
      offset: Number(match[2]),
      ...(consumer ? { consumer: consumer[1] ?? consumer[2] } : {}),
    });
  }
  return lines;
}

/**
 * The gpiomon processes to run. Lines are watched raw, with the pull-up on and both edges:
 * falling is the contact closing (down), rising its opening (up). `--active-low` is not used,
 * so no edge is inverted anywhere: the one place that knows the button is active-low is the
 * mapping falling → down in the driver.
 *
 * v1 takes a chip and offsets, so one process per chip; v2 finds the lines by name itself,
 * across chips, so one process; `--banner` tells us when its lines are requested.
 */
export function planGpiomon(version: LibgpiodVersion, lines: readonly GpioLine[]): GpiomonPlan[] {
  if (version.major >= 2) {
    return [
      {
        args: [
          '--banner',
          '--bias=pull-up',
          '--edges=both',
          `--format=${V2_FORMAT}`,
          '--by-name',
          ...lines.map((line) => line.name),
        ],
        lines: [...lines],
      },
    ];
  }
  const chips = [...new Set(lines.map((line) => line.chip))];
  return chips.map((chip) => {
    const onChip = lines.filter((line) => line.chip === chip);
    return {
      args: [
        '--line-buffered',
        '--bias=pull-up',
        `--format=${V1_FORMAT}`,
        chip,
        ...onChip.map((line) => String(line.offset)),
      ],
      lines: onChip,
    };
  });
}
