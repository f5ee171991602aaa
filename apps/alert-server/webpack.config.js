'use strict';
/**
 * The Nest CLI's webpack configuration plus an entry: the store's writer runs in a worker
 * thread, which loads its own script, emitted beside main.js. The script is the application's
 * (it composes the features' writes).
 */
const path = require('node:path');

module.exports = (options) => ({
  ...options,
  entry: {
    main: options.entry,
    'store-writer.worker': path.join(__dirname, 'src', 'store-writer.worker.ts'),
  },
  // The CLI names the one bundle `<app folder>/main.js`; keep that folder for every entry.
  output: { ...options.output, filename: path.join(path.dirname(options.output.filename), '[name].js') },
});
