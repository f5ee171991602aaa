/** A command line the admin commands could not understand: exit 64 with the usage. */
export class UsageError extends Error {}

/** Positional arguments, `--option value` pairs among `valued`, and the `boolean` flags given. */
export function parse(args: string[], valued: string[], boolean: string[] = []) {
  const positional: string[] = [];
  const options = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (valued.includes(arg)) {
      const value = args[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
      options.set(arg, value);
    } else if (boolean.includes(arg)) {
      flags.add(arg);
    } else if (arg.startsWith('--')) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  return { positional, options, flags };
}

export function onlyOne(positional: string[], what: string): string {
  if (positional.length !== 1) throw new UsageError(`expected one ${what}`);
  return positional[0];
}

/** Columns padded to their widest cell, for `device list` and `operator list`. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
