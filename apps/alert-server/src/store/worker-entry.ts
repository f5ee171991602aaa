export interface WorkerEntry {
  file: string;
  execArgv: string[];
}

/**
 * A worker thread's script, given without its extension. Built, webpack emits `<script>.js`
 * beside main.js; from the sources (the tests), ts-node compiles `<script>.ts` in the thread,
 * and tsconfig-paths resolves the `@app/*` libraries as the bundle does (without it, a write
 * importing one made the thread fail to start and the store fall back to the main thread).
 * `file` given (tests): that script as it is.
 */
export function workerEntry(script: string, file?: string): WorkerEntry {
  if (file) return { file, execArgv: [] };
  if (__filename.endsWith('.ts')) {
    return {
      file: `${script}.ts`,
      execArgv: ['--require', 'ts-node/register/transpile-only', '--require', 'tsconfig-paths/register'],
    };
  }
  return { file: `${script}.js`, execArgv: [] };
}
