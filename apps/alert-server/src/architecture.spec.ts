import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const SOURCES = __dirname;

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Every relative module a file imports (static, dynamic, require), as a path under the sources. */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)'(\.[^']*)'/g)];
  return specifiers.map((match) =>
    relative(SOURCES, resolve(dirname(file), match[1]))
      .split(sep)
      .join('/'),
  );
}

describe('the alert server layout', () => {
  it('keeps the store free of features: its files import only the store and the configuration', () => {
    const outside = filesUnder(join(SOURCES, 'store')).flatMap((file) =>
      relativeImports(file)
        // A spec may run the store with the application's registry as its fixture.
        .filter((target) => !(file.endsWith('.spec.ts') && target === 'app-store'))
        .filter((target) => !target.startsWith('store/') && !target.startsWith('config/'))
        .map((target) => `${relative(SOURCES, file)} imports ${target}`),
    );
    expect(outside).toEqual([]);
  });

  it('has no service inject the store: every write goes through its feature repository', () => {
    const services = filesUnder(SOURCES).filter((file) => file.endsWith('.service.ts'));
    expect(services.length).toBeGreaterThan(0);
    const injecting = services.filter((file) => {
      const targets = relativeImports(file);
      return targets.includes('store/store') || targets.includes('app-store');
    });
    expect(injecting.map((file) => relative(SOURCES, file))).toEqual([]);
  });
});
