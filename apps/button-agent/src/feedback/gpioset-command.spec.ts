import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GpioLine, parseLibgpiodVersion } from '../gpio/gpiomon-command';
import { planGpioset } from './gpioset-command';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const V1 = parseLibgpiodVersion(fixture('gpioset-version-v1.txt'))!;
const V2 = parseLibgpiodVersion(fixture('gpioset-version-v2.txt'))!;
const LED: GpioLine = { pin: 18, name: 'GPIO18', chip: 'gpiochip0', offset: 18 };

/** `--mode=wait` → `--mode`, `-b` → `-b`; positional arguments give null. */
function optionName(arg: string): string | null {
  return arg.startsWith('-') ? arg.split('=')[0] : null;
}

describe('gpioset command line', () => {
  it('reads the libgpiod version from gpioset --version (the real texts)', () => {
    expect(V1).toMatchObject({ major: 1, minor: 6, patch: 3 });
    expect(V2).toMatchObject({ major: 2, minor: 2, patch: 1 });
  });

  it('v1: chip and offset, held until ENTER or the end of stdin', () => {
    expect(planGpioset(V1, LED, 'led', 1)).toEqual({
      args: ['--mode=wait', 'gpiochip0', '18=1'],
      releasedByClosingStdin: true,
    });
    expect(planGpioset(V1, { ...LED, chip: 'gpiochip4', offset: 5 }, 'buzzer', 0).args).toEqual([
      '--mode=wait',
      'gpiochip4',
      '5=0',
    ]);
  });

  it('v2: the line by name, with a consumer name gpioinfo shows, held until killed', () => {
    expect(planGpioset(V2, LED, 'buzzer', 0)).toEqual({
      args: ['--consumer=vigie-buzzer', '--by-name', 'GPIO18=0'],
      releasedByClosingStdin: false,
    });
  });

  // The options are checked against libgpiod's own --help (fixtures/SOURCES.md says where from).
  it.each([
    ['v1', V1, 'gpioset-help-v1.txt'],
    ['v2', V2, 'gpioset-help-v2.txt'],
  ] as const)('%s: every option used is in the real gpioset --help', (_name, version, helpFile) => {
    const help = fixture(helpFile);
    const used = [0, 1].flatMap((level) =>
      planGpioset(version, LED, 'led', level as 0 | 1).args.flatMap((arg) => optionName(arg) ?? []),
    );
    expect(used.length).toBeGreaterThan(0);
    for (const option of new Set(used)) {
      expect({ option, listed: new RegExp(`(^|[\\s,])${option}([=\\s:,]|$)`, 'm').test(help) }).toEqual({
        option,
        listed: true,
      });
    }
  });

  it('v1: --mode=wait is one of the modes the help lists', () => {
    expect(fixture('gpioset-help-v1.txt')).toMatch(/--mode=\[exit\|wait\|time\|signal\]/);
    expect(fixture('gpioset-help-v1.txt')).toMatch(/wait:\s+set values and wait for user to press ENTER/);
  });

  it('v2: Debian builds gpioset without --interactive (why each level change restarts it)', () => {
    expect(fixture('gpioset-help-v2.txt')).not.toMatch(/--interactive/);
  });
});
