import { join } from 'node:path';

export interface WorkerEntry {
  file: string;
  execArgv: string[];
}

/**
 * Where a store thread's script is (`name`: `store-writer` or `wal-checkpointer`). Built,
 * webpack emits `<name>.worker.js` beside main.js; from the sources (the tests), ts-node
 * compiles `<name>.worker.ts` in the thread. `file` given (tests): that script as it is.
 */
export function workerEntry(name: string, file?: string): WorkerEntry {
  if (file) return { file, execArgv: [] };
  if (__filename.endsWith('.ts')) {
    return {
      file: join(__dirname, `${name}.worker.ts`),
      execArgv: ['--require', 'ts-node/register/transpile-only'],
    };
  }
  return { file: join(__dirname, `${name}.worker.js`), execArgv: [] };
}
