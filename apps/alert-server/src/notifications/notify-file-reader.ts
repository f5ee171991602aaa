import type { Env } from '@app/env';

/**
 * Reads the values of a parsed notification file by key path, substituting `${NAME}` in text,
 * and collects every fault as one line naming the file and the key: a technician fixes them all
 * in one go instead of meeting them one start-up at a time.
 */
export class NotifyFileReader {
  readonly faults: string[] = [];

  constructor(
    readonly file: string,
    private readonly env: Env,
  ) {}

  fault(path: string, message: string): void {
    this.faults.push(`invalid configuration: ${this.file}: ${path === '' ? '' : `${path}: `}${message}`);
  }

  /**
   * A map's entries, faulting the keys outside `known` (any key when not given); null (a fault
   * recorded) when not a map.
   */
  map(value: unknown, path: string, known?: readonly string[]): Record<string, unknown> | null {
    if (!isMap(value)) {
      this.fault(path, `expected a map, got ${describe(value)}`);
      return null;
    }
    for (const key of Object.keys(value)) {
      if (known && !known.includes(key)) {
        this.fault(keyPath(path, key), `unknown key (expected: ${known.join(', ')})`);
      }
    }
    return value;
  }

  /** A list; null (a fault recorded) when it is something else. */
  list(value: unknown, path: string): unknown[] | null {
    if (Array.isArray(value)) return value as unknown[];
    this.fault(path, `expected a list, got ${describe(value)}`);
    return null;
  }

  /** Text with `${NAME}` substituted; null (a fault recorded) when it is not text or a variable is unset. */
  text(value: unknown, path: string): string | null {
    if (typeof value !== 'string') {
      this.fault(path, `expected text, got ${describe(value)}`);
      return null;
    }
    return this.substitute(value, path);
  }

  /** A key that must be there (YAML's empty value counts as missing). */
  required<T>(value: unknown, path: string, read: (value: unknown, path: string) => T | null): T | null {
    if (value === undefined || value === null) {
      this.fault(path, 'missing (required)');
      return null;
    }
    return read(value, path);
  }

  /**
   * `${NAME}` is the variable's value, so that secrets stay out of the file; `$${` writes a
   * literal `${`. Only text is substituted, after parsing: a value can never inject YAML.
   */
  private substitute(raw: string, path: string): string | null {
    let complete = true;
    const text = raw.replace(/\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\{/g, (found, name?: string) => {
      if (found === '$${') return '${';
      if (name === undefined) {
        complete = false;
        this.fault(path, '"${" must start ${NAME} (letters, digits, _); write $${ for a literal "${"');
        return found;
      }
      const value = this.env[name];
      // An empty variable is unset, as everywhere else in the configuration.
      if (value === undefined || value === '') {
        complete = false;
        this.fault(path, `\${${name}}: the environment variable ${name} is not set`);
        return found;
      }
      return value;
    });
    return complete ? text : null;
  }
}

export function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `a.b`, or `a["odd key"]` for a key a reader could not tell apart from the path. */
export function keyPath(path: string, key: string): string {
  const segment = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  if (segment !== key) return `${path}[${segment}]`;
  return path === '' ? key : `${path}.${key}`;
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') {
    return `text (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return `a ${typeof value} (${value})`;
  return `a ${typeof value}`;
}

/** `no such file`, `permission denied`...: what a person can act on, not an errno. */
export function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  return code ?? String(error);
}
