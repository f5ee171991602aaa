import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from './error-codes';

/** Every `.ts` file of the agent's sources, specs aside. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('agent error codes', () => {
  it('explain every code the agent logs, so a technician finds its meaning and what to check', () => {
    const logged = new Set<string>();
    for (const file of sources(join(__dirname, '..'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(
        /code(?:: string)?(?::| =) '([A-Z][A-Z0-9_]+)'/g,
      )) {
        logged.add(match[1]);
      }
    }
    // System error codes given to errors the agent makes itself, not log codes.
    for (const systemCode of ['EEXIST', 'ETIMEDOUT']) logged.delete(systemCode);
    expect(logged.size).toBeGreaterThan(8);
    expect([...logged].filter((code) => !ERROR_CODES[code]).sort()).toEqual([]);
  });
});
