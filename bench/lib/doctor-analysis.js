'use strict';
// Clinic.js Doctor's own analysis, run headless: the same Analysis stream that
// `clinic doctor --visualize-only` feeds into its HTML page, read from the collected
// files with Doctor's own decoders (@clinic/doctor is a dependency of clinic).
// Returns { interval, issues, issueCategory, maxDelayMs } or { error }.
const fs = require('node:fs');
const pumpify = require('pumpify');
const Analysis = require('@clinic/doctor/analysis/index.js');
const SystemInfoDecoder = require('@clinic/doctor/format/system-info-decoder.js');
const TraceEventDecoder = require('@clinic/doctor/format/trace-event-decoder.js');
const ProcessStatDecoder = require('@clinic/doctor/format/process-stat-decoder.js');
const getLoggingPaths = require('@clinic/clinic-common').getLoggingPaths('doctor');

function doctorAnalysis(dataDir) {
  return new Promise((resolve) => {
    try {
      const paths = getLoggingPaths({ path: dataDir });
      const systemInfo = pumpify.obj(fs.createReadStream(paths['/systeminfo']), new SystemInfoDecoder());
      const traceEvents = pumpify.obj(fs.createReadStream(paths['/traceevent']), new TraceEventDecoder(systemInfo));
      const processStats = pumpify.obj(fs.createReadStream(paths['/processstat']), new ProcessStatDecoder());
      // Doctor's analysis only reads the streams; the largest event-loop delay sample is
      // kept on the side so that the results can say what Doctor saw.
      let maxDelayMs = 0;
      processStats.on('data', (stat) => { maxDelayMs = Math.max(maxDelayMs, stat.delay); });
      const analysis = new Analysis(systemInfo, traceEvents, processStats);
      analysis.on('data', (result) => resolve({ ...result, maxDelayMs }));
      analysis.on('error', (err) => resolve({ error: err.message }));
    } catch (err) {
      resolve({ error: err.message });
    }
  });
}

module.exports = { doctorAnalysis };
