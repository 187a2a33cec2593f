#!/usr/bin/env node
'use strict';
// Thin entry point: all the work is in dist/cli/main.js; only this file sets the exit status.
const { main } = require('../dist/cli/main.js');

main(process.argv).then((code) => {
  process.exitCode = code;
});
