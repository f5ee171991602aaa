/**
 * What gpiomon prints, parsed. Pure functions: the recorded outputs of libgpiod v1 and v2 in
 * `fixtures/` are the tests. Both versions' default output is understood as well as the
 * formats the agent asks for, so a gpiomon that ignores `--format` still works.
 */

/**
 * libgpiod v1 (Bookworm): `%e` is 0 falling / 1 rising. `%s.%n` is NOT usable: `%n` is printed
 * without zero padding (5 ms after a second prints `12.5000000`), so seconds and nanoseconds
 * are separate fields.
 */
export const V1_FORMAT = 'vigie %o %e %s %n';

/**
 * libgpiod v2 (Trixie): `%E` spells the edge (`%e` changed meaning from v1: 1 rising, 2 falling);
 * `%S` is seconds.nanoseconds, zero padded; `%l` the line name, last because it is free text.
 */
export const V2_FORMAT = 'vigie %E %S %l';

export interface GpiomonEdge {
  kind: 'edge';
  edge: 'rising' | 'falling';
  /** v1 reports offsets on the one chip its gpiomon watches; v2 reports names (and offsets in its default output). */
  offset: number | null;
  name: string | null;
  chip: string | null;
  /** The kernel's timestamp of the edge, in seconds on the clock gpiomon used. */
  seconds: number;
}

export type GpiomonLine = GpiomonEdge | { kind: 'banner' } | { kind: 'unexpected'; text: string };

const V1_CUSTOM = /^vigie (\d+) ([01]) (\d+) (\d+)$/;
const V1_DEFAULT = /^event:\s+(RISING|FALLING) EDGE offset: (\d+) timestamp: \[\s*(\d+)\.(\d+)\]$/;
const V2_CUSTOM = /^vigie (rising|falling) (\d+\.\d+) (.+)$/;
const V2_DEFAULT = /^(\d+\.\d+)\t(rising|falling)\t(.+)$/;
const V2_BANNER = /^Monitoring lines? '/;

export function parseGpiomonLine(text: string): GpiomonLine {
  let match = V1_CUSTOM.exec(text);
  if (match) {
    return edge(match[2] === '1' ? 'rising' : 'falling', {
      offset: Number(match[1]),
      seconds: Number(match[3]) + Number(match[4]) / 1e9,
    });
  }
  match = V1_DEFAULT.exec(text);
  if (match) {
    return edge(match[1] === 'RISING' ? 'rising' : 'falling', {
      offset: Number(match[2]),
      seconds: Number(match[3]) + Number(match[4]) / 1e9,
    });
  }
  match = V2_CUSTOM.exec(text);
  if (match) {
    return edge(match[1] as 'rising' | 'falling', { name: match[3], seconds: Number(match[2]) });
  }
  match = V2_DEFAULT.exec(text);
  if (match) {
    const id = parseV2LineId(match[3]);
    if (id) return edge(match[2] as 'rising' | 'falling', { ...id, seconds: Number(match[1]) });
  }
  if (V2_BANNER.test(text)) return { kind: 'banner' };
  return { kind: 'unexpected', text };
}

function edge(
  direction: 'rising' | 'falling',
  fields: Partial<Pick<GpiomonEdge, 'offset' | 'name' | 'chip'>> & { seconds: number },
): GpiomonEdge {
  return { kind: 'edge', edge: direction, offset: null, name: null, chip: null, ...fields };
}

/** v2 names a line `"GPIO17"`, `gpiochip0 17` when unnamed, `gpiochip0 17 "GPIO17"` with `--chip`. */
function parseV2LineId(id: string): Pick<GpiomonEdge, 'offset' | 'name' | 'chip'> | null {
  const withChip = /^(\S+) (\d+)(?: "(.*)")?$/.exec(id);
  if (withChip) return { chip: withChip[1], offset: Number(withChip[2]), name: withChip[3] ?? null };
  const quoted = /^"(.*)"$/.exec(id);
  if (quoted) return { chip: null, offset: null, name: quoted[1] };
  return /^\S+$/.test(id) ? { chip: null, offset: null, name: id } : null;
}

/**
 * Cuts a stream into lines: a line split across chunks waits for its end. A "line" longer than
 * `maxLength` is not gpiomon talking to us; it is dropped rather than held in memory.
 */
export class LineSplitter {
  private pending = '';
  private discarding = false;

  constructor(private readonly maxLength = 4096) {}

  push(chunk: string): { lines: string[]; dropped: number } {
    const parts = (this.pending + chunk).split('\n');
    this.pending = parts.pop() ?? '';
    let dropped = 0;
    const lines: string[] = [];
    for (const part of parts) {
      if (this.discarding) {
        this.discarding = false; // the end of an over-long line
        continue;
      }
      lines.push(part.endsWith('\r') ? part.slice(0, -1) : part);
    }
    if (this.pending.length > this.maxLength) {
      this.pending = '';
      if (!this.discarding) dropped++;
      this.discarding = true;
    }
    return { lines: lines.filter((line) => line.length > 0), dropped };
  }
}
