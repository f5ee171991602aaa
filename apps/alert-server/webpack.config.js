'use strict';
/**
 * The Nest CLI's webpack configuration plus two entries: the store's writer and the WAL
 * checkpointer run in worker threads, which load their own scripts, emitted beside main.js.
 * The writer's script is the application's (it composes the features' writes); the
 * checkpointer's is the store's own.
 */
const path = require('node:path');

module.exports = (options) => ({
  ...options,
  entry: {
    main: options.entry,
    'wal-checkpointer.worker': path.join(__dirname, 'src', 'store', 'wal-checkpointer.worker.ts'),
    'store-writer.worker': path.join(__dirname, 'src', 'store-writer.worker.ts'),
  },
  // The CLI names the one bundle `<app folder>/main.js`; keep that folder for both.
  output: { ...options.output, filename: path.join(path.dirname(options.output.filename), '[name].js') },
});
