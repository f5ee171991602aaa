'use strict';
/**
 * Preloaded into the alert server (`node -r bench/lib/no-checkpointer.js dist/...`) by
 * `bench:checkpointer`: the WAL checkpointer's thread is replaced by one that never reports
 * ready, so the store never hands checkpoints to it and the writer's connection keeps SQLite's
 * own automatic checkpoints, as `StoreOptions.checkpointer: false` does. The server is
 * otherwise unchanged, and no setting of the server is needed to run it without the thread.
 */
const workerThreads = require('node:worker_threads');

const { Worker } = workerThreads;
const PARKED = "require('node:worker_threads').parentPort.on('message', () => undefined);";

workerThreads.Worker = class BenchWorker extends Worker {
  constructor(file, options) {
    if (String(file).endsWith('wal-checkpointer.worker.js')) super(PARKED, { eval: true });
    else super(file, options);
  }
};
