#!/usr/bin/env node
'use strict';
// Thin entry point: all the work is in dist/cli/main.js; only this file sets the exit status.
const { main } = require('../dist/cli/main.js');

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  // main() resolves with a status whatever happens; should it ever reject, say so on a
  // stderr that may be broken, without a second error for that.
  (err) => {
    try {
      process.stderr.write(`loopwatch: internal error, please report it: ${(err && err.stack) || String(err)}\n`);
    } catch {
      // Nowhere left to say it.
    }
    process.exitCode = 1;
  },
);
