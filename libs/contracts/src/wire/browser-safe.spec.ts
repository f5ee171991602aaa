import { join, relative } from 'node:path';
import { build } from 'esbuild';

/**
 * The dashboard page bundles `@app/contracts/wire` for the browser: the entry must pull in
 * nothing but its own files (no class-validator, no reflect-metadata, no Node built-in).
 */
describe('@app/contracts/wire', () => {
  it('bundles for a browser from its own folder alone', async () => {
    const folder = __dirname;
    const result = await build({
      entryPoints: [join(folder, 'index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });

    const inputs = Object.keys(result.metafile.inputs).map((input) => relative(folder, input));
    expect(inputs.filter((input) => input.startsWith('..'))).toEqual([]);
    expect(inputs.length).toBeGreaterThan(0);
  });
});
