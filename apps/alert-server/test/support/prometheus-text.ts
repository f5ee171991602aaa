/** One sample line of the Prometheus text exposition format (version 0.0.4). */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/**
 * Parses exposition text into samples. Strict on purpose: a line it cannot read throws, so a
 * malformed scrape fails the test instead of silently hiding a metric.
 */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    try {
      samples.push(parseSampleLine(line));
    } catch (error) {
      throw new Error(`metrics line ${index + 1} is not valid exposition text: ${line}`, { cause: error });
    }
  }
  return samples;
}

function parseSampleLine(line: string): Sample {
  const name = NAME.exec(line)?.[0];
  if (!name) throw new Error('no metric name');
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    while (!rest.startsWith('}')) {
      const labelName = LABEL_NAME.exec(rest)?.[0];
      if (!labelName || rest[labelName.length] !== '=' || rest[labelName.length + 1] !== '"') {
        throw new Error('bad label');
      }
      rest = rest.slice(labelName.length + 2);
      let value = '';
      let end = 0;
      for (; end < rest.length && rest[end] !== '"'; end++) {
        if (rest[end] === '\\') {
          const escaped = rest[++end];
          value += escaped === 'n' ? '\n' : escaped;
        } else value += rest[end];
      }
      if (end >= rest.length) throw new Error('unterminated label value');
      labels[labelName] = value;
      rest = rest.slice(end + 1);
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (!rest.startsWith('}')) throw new Error('expected , or }');
    }
    rest = rest.slice(1);
  }
  const [valueText, timestamp, ...extra] = rest.trim().split(/\s+/);
  if (!rest.startsWith(' ') || valueText === undefined || extra.length > 0) throw new Error('bad value');
  if (timestamp !== undefined && !/^-?\d+$/.test(timestamp)) throw new Error('bad timestamp');
  return { name, labels, value: parseValue(valueText) };
}

/** As Prometheus reads it (Go's ParseFloat): special values in any case; prom-client writes `Nan`. */
function parseValue(text: string): number {
  const special = text.toLowerCase();
  if (special === '+inf' || special === 'inf') return Infinity;
  if (special === '-inf') return -Infinity;
  if (special === 'nan') return NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`bad number ${text}`);
  return value;
}

/**
 * The value of the one sample with exactly these labels, or undefined when there is none.
 * Throws when several match, which would mean a duplicated series.
 */
export function sampleValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = Object.entries(labels);
  const matches = samples.filter(
    (sample) =>
      sample.name === name &&
      Object.keys(sample.labels).length === wanted.length &&
      wanted.every(([key, value]) => sample.labels[key] === value),
  );
  if (matches.length > 1) throw new Error(`${name}${JSON.stringify(labels)} appears ${matches.length} times`);
  return matches[0]?.value;
}

/**
 * Every sample of one metric keyed by its labels (`severity=info,type=test`), so a test can
 * assert a whole family at once and see every unexpected series in the failure.
 */
export function family(samples: Sample[], name: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const sample of samples) {
    if (sample.name !== name) continue;
    const key = Object.keys(sample.labels)
      .sort()
      .map((label) => `${label}=${sample.labels[label]}`)
      .join(',');
    values[key] = sample.value;
  }
  return values;
}
