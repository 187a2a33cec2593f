'use strict';
// How a workload hands its own measurements to the bench: one line on stdout,
// `BENCH {json}`. The line goes through any wrapper (loopwatch, clinic) untouched,
// because they all give the program their own stdout.
function report(result) {
  process.stdout.write(`BENCH ${JSON.stringify(result)}\n`);
}

module.exports = { report };
