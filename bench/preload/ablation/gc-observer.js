'use strict';
// Component 1: the agent's GC probe alone: dist/agent/probes/gc.js (a PerformanceObserver
// on 'gc' entries, totals by kind, a record for every pause of 1 ms or more), writing its
// records as JSON lines to a file as the agent does (BENCH_COMPONENT_DIR/gc.jsonl), and
// at exit how many entries it saw (gc-count.json), so that the cost can be put per collection.
const fs = require('node:fs');
const path = require('node:path');
const { DIST, isMainThread } = require('./lib');

const dir = process.env.BENCH_COMPONENT_DIR;
if (isMainThread && dir) {
  const { GcProbe } = require(path.join(DIST, 'agent', 'probes', 'gc.js'));
  const { RecordingWriter } = require(path.join(DIST, 'recording', 'encode.js'));
  const writer = new RecordingWriter(path.join(dir, `gc-${process.pid}.jsonl`));
  const probe = new GcProbe((pause) => writer.write(pause));
  probe.start();
  const t0 = performance.now();
  process.on('exit', () => {
    probe.stop();
    const totals = probe.totals();
    fs.writeFileSync(path.join(dir, 'gc-count.json'), JSON.stringify({ ...totals, seconds: (performance.now() - t0) / 1000 }));
  });
}
