import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GpioLine,
  isSupportedVersion,
  parseGpioinfoOutput,
  parseGpiofindOutput,
  parseLibgpiodVersion,
  planGpiomon,
} from './gpiomon-command';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const line = (pin: number, chip = 'gpiochip0'): GpioLine => ({ pin, name: `GPIO${pin}`, chip, offset: pin });

describe('gpiomon command line', () => {
  it('reads the libgpiod version from gpiomon --version', () => {
    expect(parseLibgpiodVersion(fixture('gpiomon-version-v1.txt'))).toEqual({
      major: 1,
      minor: 6,
      patch: 3,
      text: '1.6.3',
    });
    expect(parseLibgpiodVersion(fixture('gpiomon-version-v2.txt'))).toMatchObject({
      major: 2,
      minor: 2,
      patch: 1,
    });
    expect(parseLibgpiodVersion('gpiomon (libgpiod) v2.1')).toMatchObject({ major: 2, minor: 1, patch: 0 });
    expect(parseLibgpiodVersion('gpiomon: command not found')).toBeNull();
  });

  it('needs v1.6 (line buffering) or v2', () => {
    const version = (text: string) => parseLibgpiodVersion(`gpiomon (libgpiod) v${text}`)!;
    expect(isSupportedVersion(version('1.2.1'))).toBe(false);
    expect(isSupportedVersion(version('1.6.2'))).toBe(true);
    expect(isSupportedVersion(version('2.0'))).toBe(true);
  });

  it('finds lines with v1 gpiofind and v2 gpioinfo', () => {
    expect(parseGpiofindOutput(fixture('gpiofind-v1.txt'))).toEqual({ chip: 'gpiochip0', offset: 17 });
    expect(parseGpiofindOutput('')).toBeNull();
    const info = parseGpioinfoOutput(fixture('gpioinfo-v2.txt'));
    expect(info.get('GPIO17')).toEqual({
      name: 'GPIO17',
      chip: 'gpiochip0',
      offset: 17,
      consumer: 'gpiomon',
    });
    expect(info.get('GPIO27')).toEqual({ name: 'GPIO27', chip: 'gpiochip0', offset: 27 });
  });

  it('v2: one gpiomon, lines by name, pull-up, both edges, banner, no --active-low', () => {
    const plans = planGpiomon(parseLibgpiodVersion('gpiomon (libgpiod) v2.2.1')!, [
      line(17),
      line(27, 'gpiochip4'),
    ]);
    expect(plans).toHaveLength(1);
    expect(plans[0].args).toEqual([
      '--banner',
      '--bias=pull-up',
      '--edges=both',
      '--format=vigie %E %S %l',
      '--by-name',
      'GPIO17',
      'GPIO27',
    ]);
  });

  it('v1: one gpiomon per chip, offsets, pull-up, line-buffered, no --active-low', () => {
    const plans = planGpiomon(parseLibgpiodVersion('gpiomon (libgpiod) v1.6.3')!, [
      line(17),
      line(5, 'gpiochip1'),
      line(27),
    ]);
    expect(plans.map((plan) => plan.args)).toEqual([
      ['--line-buffered', '--bias=pull-up', '--format=vigie %o %e %s %n', 'gpiochip0', '17', '27'],
      ['--line-buffered', '--bias=pull-up', '--format=vigie %o %e %s %n', 'gpiochip1', '5'],
    ]);
    expect(plans[1].lines.map((l) => l.pin)).toEqual([5]);
  });
});
