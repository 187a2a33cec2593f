'use strict';
// What every HTTP workload does around its server: print `listening` once it listens,
// close gracefully on SIGINT/SIGTERM (so that wrappers that write their data at exit,
// like Clinic.js, get to do so), and report at exit how many requests it served and the
// CPU time it spent from `listening` on (process.cpuUsage(): all threads), so that the
// bench can tell the CPU a request costs apart from the CPU of starting up.
const { report } = require('./report');

/** Call once the server listens. `counter.requests` is counted by the handler. */
function serving(server, counter) {
  const atListening = process.cpuUsage();
  // On the monotonic clock V8's CPU profiles use (µs): lets a profile leave startup out.
  const listeningAtUs = Number(process.hrtime.bigint() / 1000n);
  process.stdout.write('listening\n');
  const stop = () => {
    server.close();
    server.closeAllConnections?.();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('exit', () => {
    const since = process.cpuUsage(atListening);
    report({ requests: counter.requests, servingCpuMs: (since.user + since.system) / 1000, listeningAtUs });
  });
}

module.exports = { serving };
