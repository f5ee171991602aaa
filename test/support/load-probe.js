'use strict';
/**
 * Preloaded into an agent by a test (`node -r`): counts the Intl.DateTimeFormat objects made
 * and, on SIGUSR2, writes one `probe.loaded` JSON line on stdout with that count and the Node
 * modules loaded so far, so that a test can tell what the running agent holds in memory.
 * Nothing runs until the signal.
 */
const { writeSync } = require('node:fs');

const Original = Intl.DateTimeFormat;
let dateTimeFormats = 0;
Intl.DateTimeFormat = new Proxy(Original, {
  construct(target, args, newTarget) {
    dateTimeFormats++;
    return Reflect.construct(target, args, newTarget);
  },
  apply(target, thisArg, args) {
    dateTimeFormats++;
    return Reflect.apply(target, thisArg, args);
  },
});

process.on('SIGUSR2', () => {
  const modules = process.moduleLoadList
    .filter((name) => name.startsWith('NativeModule '))
    .map((name) => name.slice('NativeModule '.length));
  // One write of one line: it cannot interleave with the agent's own (synchronous) log lines.
  writeSync(1, `${JSON.stringify({ event: 'probe.loaded', dateTimeFormats, modules })}\n`);
});
