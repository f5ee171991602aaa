/**
 * Reading settings from the environment, for both apps: every bad variable is collected
 * and reported on its own line, so a technician fixes them all in one go.
 */
export type Env = Record<string, string | undefined>;

/** Thrown by a parser: the value is wrong, and the message says what was expected. */
export class InvalidValue extends Error {}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /** The parsed value, or the fallback when unset or empty (or invalid, recording why). */
  read<T>(name: string, fallback: T, parse: (raw: string) => T): T {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    try {
      return parse(raw);
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      this.problems.push(`invalid configuration: ${name}=${JSON.stringify(raw)}: ${error.message}`);
      return fallback;
    }
  }

  has(name: string): boolean {
    return (this.env[name] ?? '') !== '';
  }

  problem(line: string): void {
    this.problems.push(`invalid configuration: ${line}`);
  }

  /** Throws every recorded problem at once. */
  check(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

export function integerIn(raw: string, min: number, max: number, expected?: string): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) {
    throw new InvalidValue(expected ?? `expected a whole number from ${min} to ${max}`);
  }
  return value;
}

export function oneOf<T extends string>(raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw))
    throw new InvalidValue(`expected one of ${allowed.join(', ')}`);
  return raw as T;
}
