import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentTimeOf } from './event-time';
import { GpiomonEdge, LineSplitter, parseGpiomonLine } from './gpiomon-output';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

function parseAll(text: string) {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map(parseGpiomonLine);
}

const edgesOf = (lines: ReturnType<typeof parseAll>) =>
  lines
    .filter((line): line is GpiomonEdge => line.kind === 'edge')
    .map((line) => [line.edge, line.offset ?? line.name, line.seconds.toFixed(9)]);

// One press with a contact bounce on GPIO17, then one clean press on GPIO27.
const V1_RECORDED = [
  ['falling', 17, '8342.117284553'],
  ['rising', 17, '8342.119003221'],
  ['falling', 17, '8342.119102876'],
  ['rising', 17, '8342.310455012'],
  ['falling', 27, '8350.004512999'],
  ['rising', 27, '8350.187002345'],
];
const SAME_PRESSES = [
  ['falling', 17, '8342.117284553'],
  ['rising', 17, '8342.119003221'],
  ['falling', 17, '8343.000005000'],
  ['rising', 17, '8343.310455012'],
  ['falling', 27, '8350.004512999'],
  ['rising', 27, '8350.187002345'],
];

describe('gpiomon output', () => {
  it('reads the default output of libgpiod v1', () => {
    expect(edgesOf(parseAll(fixture('gpiomon-v1-default.txt')))).toEqual(V1_RECORDED);
  });

  it("reads v1 with the agent's format, nanoseconds unpadded (8343 5000 is 8343.000005)", () => {
    expect(edgesOf(parseAll(fixture('gpiomon-v1-format.txt')))).toEqual(SAME_PRESSES);
  });

  it('reads the default output of libgpiod v2, lines by name', () => {
    const byName = SAME_PRESSES.map(([edge, pin, at]) => [edge, `GPIO${pin}`, at]);
    expect(edgesOf(parseAll(fixture('gpiomon-v2-default.txt')))).toEqual(byName);
  });

  it("reads v2 with the agent's format, and its banner", () => {
    const lines = parseAll(fixture('gpiomon-v2-format.txt'));
    expect(lines[0]).toEqual({ kind: 'banner' });
    expect(edgesOf(lines)).toEqual(SAME_PRESSES.map(([edge, pin, at]) => [edge, `GPIO${pin}`, at]));
  });

  it('reads the other v2 line ids: unnamed, with --chip, --unquoted', () => {
    expect(parseGpiomonLine('12.000000001\tfalling\tgpiochip4 17')).toMatchObject({
      chip: 'gpiochip4',
      offset: 17,
    });
    expect(parseGpiomonLine('12.000000001\trising\tgpiochip0 17 "GPIO17"')).toMatchObject({
      chip: 'gpiochip0',
      offset: 17,
      name: 'GPIO17',
      edge: 'rising',
    });
    expect(parseGpiomonLine('12.000000001\trising\tGPIO17')).toMatchObject({ name: 'GPIO17' });
  });

  it('calls anything else unexpected, and never an edge', () => {
    for (const text of [
      'gpiomon: unable to request lines: Device or resource busy',
      'vigie falling soon GPIO17',
      'vigie 17 2 8342 1',
      'event: FALLING EDGE offset: x timestamp: [1.2]',
      '12.5\tsideways\t"GPIO17"',
    ]) {
      expect(parseGpiomonLine(text)).toEqual({ kind: 'unexpected', text });
    }
  });
});

describe('LineSplitter', () => {
  it('keeps a line cut across chunks until its end arrives', () => {
    const splitter = new LineSplitter();
    expect(splitter.push('vigie falling 1.0 GP')).toEqual({ lines: [], dropped: 0 });
    expect(splitter.push('IO17\nvigie rising 2.0 GPIO17\r\nvig')).toEqual({
      lines: ['vigie falling 1.0 GPIO17', 'vigie rising 2.0 GPIO17'],
      dropped: 0,
    });
    expect(splitter.push('ie falling 3.0 GPIO27\n\n')).toEqual({
      lines: ['vigie falling 3.0 GPIO27'],
      dropped: 0,
    });
  });

  it('drops an over-long line whole, then goes on', () => {
    const splitter = new LineSplitter(10);
    expect(splitter.push('x'.repeat(11))).toEqual({ lines: [], dropped: 1 });
    expect(splitter.push('y'.repeat(20))).toEqual({ lines: [], dropped: 0 });
    expect(splitter.push('zz\nshort\n')).toEqual({ lines: ['short'], dropped: 0 });
  });
});

describe('agentTimeOf', () => {
  const clocks = { agentMs: 5_000, monotonicMs: 8_342_200 };

  it('places a CLOCK_MONOTONIC stamp on the agent clock, keeping its age', () => {
    expect(agentTimeOf(8342.15, clocks)).toBeCloseTo(4_950, 6);
    expect(agentTimeOf(8342.2, clocks)).toBe(5_000);
  });

  it('falls back to the receipt time for a stamp on another clock', () => {
    expect(agentTimeOf(1_760_000_000.5, clocks)).toBe(5_000); // wall clock (v1 on kernels before 5.7)
    expect(agentTimeOf(8_000, clocks)).toBe(5_000); // too old to trust
    expect(agentTimeOf(null, clocks)).toBe(5_000);
  });
});
