import { join } from 'node:path';
import { GpioUnavailableError } from './gpio-unavailable.error';
import { SysfsFiles } from './sysfs-files';

export const DEFAULT_SYSFS_GPIO_DIR = '/sys/class/gpio';

/** A GPIO controller as sysfs shows it: `gpiochip512/{base,label,ngpio}`. */
export interface SysfsChip {
  name: string;
  base: number;
  ngpio: number;
  label: string;
}

const DRIVER_HINT = 'set VIGIE_GPIO_DRIVER=gpiod (apt install gpiod)';

export async function readSysfsChips(gpioDir: string, files: SysfsFiles): Promise<SysfsChip[]> {
  const names = (await files.list(gpioDir)).filter((name) => /^gpiochip\d+$/.test(name));
  const chips = await Promise.all(
    names.map(async (name) => {
      const field = async (file: string) => (await files.read(join(gpioDir, name, file))).trim();
      return {
        name,
        base: Number(await field('base')),
        ngpio: Number(await field('ngpio')),
        label: await field('label'),
      };
    }),
  );
  return chips.sort((a, b) => a.base - b.base);
}

/**
 * The chip of the header pins: the SoC's pin controller (`pinctrl-bcm2835`, `pinctrl-bcm2711`,
 * `pinctrl-rp1`...), else the lowest-numbered chip. Expanders (`raspberrypi-exp-gpio`) are not it.
 */
export function headerChipOf(chips: readonly SysfsChip[]): SysfsChip | null {
  return chips.find((chip) => chip.label.startsWith('pinctrl-')) ?? chips[0] ?? null;
}

/**
 * Whether rpi-gpio's way works here: sysfs present and writable, and GPIO numbers starting at
 * 0 so that BCM 17 is `gpio17`. Kernels since 6.6 (and every Pi 5) number them from 512 or 571:
 * writing 17 to `export` would then fail or take another controller's line, so we refuse.
 */
export async function checkSysfsGpio(
  gpioDir: string,
  pins: readonly number[],
  files: SysfsFiles,
): Promise<SysfsChip> {
  if (!(await files.exists(join(gpioDir, 'export')))) {
    throw new GpioUnavailableError(
      `${gpioDir} is missing: this kernel has no GPIO sysfs interface; ${DRIVER_HINT}`,
    );
  }
  const chip = headerChipOf(await readSysfsChips(gpioDir, files));
  if (!chip) throw new GpioUnavailableError(`no GPIO chip under ${gpioDir}; ${DRIVER_HINT}`);
  if (chip.base !== 0) {
    const example = pins[0] ?? 17;
    throw new GpioUnavailableError(
      `GPIO numbers in ${gpioDir} start at ${chip.base} on this kernel (${chip.name}, ${chip.label}), not 0: ` +
        `the rpi-gpio driver cannot address GPIO${example} (it would be gpio${chip.base + example}); ${DRIVER_HINT}`,
      'GPIO_SYSFS_NUMBERING',
    );
  }
  const outside = pins.find((pin) => pin >= chip.ngpio);
  if (outside !== undefined) {
    throw new GpioUnavailableError(
      `GPIO${outside} is not on ${chip.name} (${chip.label}, ${chip.ngpio} lines): check VIGIE_BUTTONS`,
      'GPIO_LINE_NOT_FOUND',
    );
  }
  if (!(await files.writable(join(gpioDir, 'export')))) {
    throw new GpioUnavailableError(
      `cannot write ${join(gpioDir, 'export')}: add the agent's user to the gpio group, or ${DRIVER_HINT}`,
    );
  }
  return chip;
}

/** What a failed sysfs write means for a technician. */
export function explainSysfsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? firstLine(error);
  return code === 'EBUSY'
    ? 'in use by another program or a kernel driver (gpioinfo shows which)'
    : code === 'EACCES'
      ? "no permission: add the agent's user to the gpio group"
      : code;
}

/** rpi-gpio's errors can carry a whole file (all of /proc/cpuinfo when it finds no Revision). */
function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n')[0];
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}
