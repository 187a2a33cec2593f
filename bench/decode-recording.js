'use strict';
// How long reading a big recording takes, and what checking each record's shape adds.
//
//   node bench/decode-recording.js [--mb 100] [--runs 5]
//
// Writes one process file of about --mb megabytes (stalls of 10 stack samples of 40
// frames each, sync calls with their stacks, GC pauses, blocked records: the mix of a
// program that blocks a lot), then decodes it --runs times each way, alternately:
//   parse:  JSON.parse of every line, no checks;
//   guards: the same and the type guards of shapes.ts (recordMisfit);
//   ajv:    the same and ajv's compiled validator of the record's type, with schemas
//           equivalent to shapes.ts (the time to load ajv and compile them is apart);
//   decode: decodeProcessFile (dist/recording/decode.js) as `loopwatch report` runs it:
//           the guards, and the records grouped by kind.
// Reading the file is part of each. Prints the median of each. A benchmark, not a
// test: it never fails on a number.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const { decodeProcessFile } = require(path.join(ROOT, 'dist', 'recording', 'decode.js'));
const { RECORDING_VERSION } = require(path.join(ROOT, 'dist', 'recording', 'schema.js'));
const { recordMisfit } = require(path.join(ROOT, 'dist', 'recording', 'shapes.js'));

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const MB = option('mb', 100);
const RUNS = option('runs', 5);

function frames(n, seed) {
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push({ file: i % 5 === 0 ? 'node:internal/modules/cjs/loader' : `/srv/app/node_modules/pkg${(seed + i) % 40}/lib/index.js`, line: 10 + ((seed * 7 + i) % 900), column: 3 + (i % 60), function: i % 4 === 0 ? null : `fn${(seed + i) % 300}` });
  }
  return out;
}

function makeRecording(bytes) {
  const lines = [JSON.stringify({ type: 'process', recordingVersion: RECORDING_VERSION, pid: 42, ppid: 1, argv: ['/usr/bin/node', '/srv/app/server.js'], execArgv: [], cwd: '/srv/app', nodeVersion: 'v20.20.2', startedAt: 1.7e12, thresholdMs: 50, heartbeatMs: 10, sampleIntervalMs: 10, syncIoThresholdMs: 1 })];
  let size = lines[0].length;
  let t = 1.7e12;
  for (let seq = 1; size < bytes; seq++) {
    const batch = [{ type: 'blocked', seq, since: t, at: t + 30 }];
    for (let s = 0; s < 10; s++) batch.push({ type: 'sample', seq, requestedAt: t + 30 + s * 10, at: t + 31 + s * 10, frames: frames(40, seq + s) });
    batch.push({ type: 'stall', seq, start: t, end: t + 140, durationMs: 140, inProgressAtExit: false, phase: 'run' });
    for (let c = 0; c < 3; c++) batch.push({ type: 'syncCall', operation: 'fs.readFileSync', category: 'fs', start: t + 200 + c, durationMs: 1.5, phase: 'run', frames: frames(20, seq * 3 + c), target: '/srv/app/data.json' });
    batch.push({ type: 'gc', start: t + 300, durationMs: 1.2, kind: 'minor' });
    for (const record of batch) {
      const line = JSON.stringify(record);
      lines.push(line);
      size += line.length + 1;
    }
    t += 1000;
  }
  return lines.join('\n') + '\n';
}

function ajvValidators() {
  const Ajv = require(path.join(ROOT, 'node_modules', 'ajv')).default;
  const num = { type: 'number' };
  const str = { type: 'string' };
  const bool = { type: 'boolean' };
  const nul = (s) => ({ anyOf: [s, { type: 'null' }] });
  const obj = (required, optional = {}) => ({ type: 'object', required: Object.keys(required), properties: { ...required, ...optional } });
  const phase = { enum: ['startup', 'run'] };
  const frame = obj({ file: nul(str), line: nul(num), column: nul(num), function: nul(str) }, { generated: obj({ file: str, line: nul(num), column: nul(num) }) });
  const framesSchema = { type: 'array', items: frame };
  const delay = obj({ minMs: num, p50Ms: num, p90Ms: num, p99Ms: num, maxMs: num });
  const queueWait = obj({ count: num, p50Ms: num, p99Ms: num, maxMs: num });
  const totals = {
    at: num, durationMs: num, eventLoopDelay: nul(delay), utilization: num,
    syncCalls: { type: 'array', items: obj({ operation: str, category: str, phase, count: num, totalMs: num, maxMs: num }) },
    gc: obj({ count: num, totalMs: num, maxMs: num, byKind: { type: 'object', additionalProperties: obj({ count: num, totalMs: num }) } }),
    threadpoolQueueWait: obj({ work: nul(queueWait), dns: nul(queueWait) }), threadpoolSize: num,
  };
  const schemas = {
    process: obj({ recordingVersion: num, pid: num, ppid: num, argv: { type: 'array', items: str }, execArgv: { type: 'array', items: str }, cwd: str, nodeVersion: str, startedAt: num, thresholdMs: num, heartbeatMs: num, sampleIntervalMs: num, syncIoThresholdMs: nul(num) }),
    thread: obj({ threadId: num, name: nul(str), startedAt: num, watched: { const: false } }),
    blocked: obj({ seq: num, since: num, at: num }),
    sample: obj({ seq: num, requestedAt: num, at: num, frames: framesSchema }, { traceId: str, spanId: str, traceFlags: num, spanStart: num }),
    stall: obj({ seq: num, start: num, end: num, durationMs: num, inProgressAtExit: bool, phase }),
    syncCall: obj({ operation: str, category: str, start: num, durationMs: num, phase, frames: framesSchema }, { target: str }),
    poolWork: obj({ operation: str, category: str, start: num, end: num, inProgressAtExit: bool, frames: framesSchema }, { target: str }),
    poolWait: obj({ queue: { enum: ['work', 'dns'] }, start: num, after: nul(num), end: num, inProgressAtExit: bool }),
    gc: obj({ start: num, durationMs: num, kind: { enum: ['minor', 'major', 'incremental', 'weakcb', 'unknown'] } }),
    totals: obj(totals),
    exit: obj({ ...totals, exitCode: num }),
  };
  const ajv = new Ajv({ allErrors: false });
  const validators = {};
  for (const [type, schema] of Object.entries(schemas)) validators[type] = ajv.compile(schema);
  return validators;
}

function parseOnly(text) {
  let n = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const record = JSON.parse(line);
    if (record.type) n += 1;
  }
  return n;
}

function withGuards(text) {
  let bad = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (recordMisfit(JSON.parse(line))) bad += 1;
  }
  return bad;
}

function withAjv(text, validators) {
  let bad = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const record = JSON.parse(line);
    const validate = validators[record.type];
    if (validate && !validate(record)) bad += 1;
  }
  return bad;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-decode-bench-'));
try {
  const file = path.join(dir, '42-bench.jsonl');
  fs.writeFileSync(file, makeRecording(MB * 1024 * 1024));
  const bytes = fs.statSync(file).size;
  const compileStart = process.hrtime.bigint();
  const validators = ajvValidators();
  const compileMs = Number(process.hrtime.bigint() - compileStart) / 1e6;
  const times = { parse: [], guards: [], ajv: [], decode: [] };
  let records = 0;
  for (let run = 0; run < RUNS; run++) {
    times.parse.push(time(() => (records = parseOnly(fs.readFileSync(file, 'utf8')))));
    times.guards.push(
      time(() => {
        if (withGuards(fs.readFileSync(file, 'utf8')) > 0) throw new Error("the guards find the bench's recording invalid");
      }),
    );
    times.ajv.push(
      time(() => {
        if (withAjv(fs.readFileSync(file, 'utf8'), validators) > 0) throw new Error("ajv finds the bench's recording invalid");
      }),
    );
    times.decode.push(
      time(() => {
        const decoded = decodeProcessFile(file, fs.readFileSync(file, 'utf8'));
        if (decoded.warnings.length > 0 || !decoded.recording) throw new Error(`the bench's recording is not valid: ${decoded.warnings[0] ?? decoded.problem}`);
      }),
    );
  }
  console.log(`${(bytes / 1024 / 1024).toFixed(0)} MB, ${records.toLocaleString('en')} records, ${RUNS} runs each (median, ms)`);
  console.log(`  JSON.parse only:     ${median(times.parse).toFixed(0)}`);
  console.log(`  + the type guards:   ${median(times.guards).toFixed(0)}`);
  console.log(`  + ajv:               ${median(times.ajv).toFixed(0)}  (and ${compileMs.toFixed(0)} ms to load ajv and compile the schemas, once)`);
  console.log(`  decodeProcessFile:   ${median(times.decode).toFixed(0)}  (the guards, and the records grouped by kind)`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
