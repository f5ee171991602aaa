'use strict';
/**
 * The Nest CLI's webpack configuration plus a second entry: the WAL checkpointer runs in a
 * worker thread, which loads its own script, emitted beside main.js.
 */
const path = require('node:path');

module.exports = (options) => ({
  ...options,
  entry: {
    main: options.entry,
    'wal-checkpointer.worker': path.join(__dirname, 'src', 'store', 'wal-checkpointer.worker.ts'),
  },
  // The CLI names the one bundle `<app folder>/main.js`; keep that folder for both.
  output: { ...options.output, filename: path.join(path.dirname(options.output.filename), '[name].js') },
});
