/**
 * The shape of each record type (schema.ts), checked as a recording is read: a record
 * that is valid JSON but not of its type's shape (`{"type":"stall"}`, a sample without
 * frames) is skipped with a warning, instead of failing the whole report where
 * attribution first reads the missing field.
 *
 * Type guards built from a small table rather than ajv, measured on a 100 MB recording
 * (39,000 records, mostly stack samples of 40 frames; node bench/decode-recording.js):
 * JSON.parse of every line took 0.53 s, with these checks 0.54 s, with ajv's compiled
 * validators of the same schemas 0.54 s plus 90 ms to load ajv and compile them. They
 * cost the same per record; these spare every report those 90 ms, keep the recording
 * module free of dependencies, and say what is wrong in the recording's own terms
 * ("no 'seq' (a number)", "'frames[2].line' is not a number or null").
 */
import type { RecordedFrame, RecordingRecord } from './schema';

/** Undefined when the value fits; else where it does not and what was expected there. */
type Check = (value: unknown) => Misfit | undefined;

interface Misfit {
  /** `frames[3].line`; empty for the value itself. */
  path: string;
  expected: string;
  /** The field is not there at all. */
  missing?: boolean;
}

const misfit = (expected: string): Misfit => ({ path: '', expected });

/** A finite number (JSON's 1e999 parses as Infinity). */
const num: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : misfit('a number'));
const str: Check = (v) => (typeof v === 'string' ? undefined : misfit('a string'));
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : misfit('true or false'));

function nullable(check: Check): Check {
  return (v) => {
    if (v === null) return undefined;
    const wrong = check(v);
    return wrong && { ...wrong, expected: `${wrong.expected} or null` };
  };
}

function oneOf(...values: Array<string | boolean>): Check {
  const expected = values.map((x) => JSON.stringify(x)).join(' or ');
  return (v) => (values.includes(v as string | boolean) ? undefined : misfit(expected));
}

function arrayOf(check: Check): Check {
  return (v) => {
    if (!Array.isArray(v)) return misfit('an array');
    for (let i = 0; i < v.length; i++) {
      const wrong = check(v[i]);
      if (wrong) return { ...wrong, path: `[${i}]${wrong.path && !wrong.path.startsWith('[') ? '.' : ''}${wrong.path}` };
    }
    return undefined;
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function within(key: string, value: unknown, wrong: Misfit): Misfit {
  if (wrong.path === '') return { path: key, expected: wrong.expected, missing: value === undefined };
  return { ...wrong, path: wrong.path.startsWith('[') ? `${key}${wrong.path}` : `${key}.${wrong.path}` };
}

/** An object with these fields (more are allowed: readers stay forward compatible). */
function object(required: Record<string, Check>, optional: Record<string, Check> = {}): Check {
  const requiredEntries = Object.entries(required);
  const optionalEntries = Object.entries(optional);
  return (v) => {
    if (!isObject(v)) return misfit('an object');
    for (const [key, check] of requiredEntries) {
      const wrong = check(v[key]);
      if (wrong) return within(key, v[key], wrong);
    }
    for (const [key, check] of optionalEntries) {
      if (v[key] === undefined) continue;
      const wrong = check(v[key]);
      if (wrong) return within(key, v[key], wrong);
    }
    return undefined;
  };
}

/** An object whose every value fits. */
function recordOf(check: Check): Check {
  return (v) => {
    if (!isObject(v)) return misfit('an object');
    for (const key of Object.keys(v)) {
      const wrong = check(v[key]);
      if (wrong) return within(key, v[key], wrong);
    }
    return undefined;
  };
}

const phase = oneOf('startup', 'run');
const frame = object(
  { file: nullable(str), line: nullable(num), column: nullable(num), function: nullable(str) },
  { receiver: str, generated: object({ file: str, line: nullable(num), column: nullable(num) }) },
);
const describeFrames = arrayOf(frame);

/**
 * Frames are most of a big recording (a sample has dozens): they are checked by this
 * predicate, with property names the compiler can see, and described by `frame` only
 * when one does not fit.
 */
function isFrame(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as RecordedFrame;
  return (
    (f.file === null || typeof f.file === 'string') &&
    (f.line === null || (typeof f.line === 'number' && Number.isFinite(f.line))) &&
    (f.column === null || (typeof f.column === 'number' && Number.isFinite(f.column))) &&
    (f.function === null || typeof f.function === 'string') &&
    (f.receiver === undefined || typeof f.receiver === 'string') &&
    (f.generated === undefined || frame(v) === undefined)
  );
}

const frames: Check = (v) => (Array.isArray(v) && v.every(isFrame) ? undefined : describeFrames(v));
const delay = object(
  { minMs: num, p50Ms: num, p90Ms: num, p99Ms: num, maxMs: num },
  { beats: num, corrected: object({ p50Ms: num, p90Ms: num, p99Ms: num, beats: num }) },
);
const queueWait = object({ count: num, p50Ms: num, p99Ms: num, maxMs: num });
const totals = {
  at: num,
  durationMs: num,
  eventLoopDelay: nullable(delay),
  utilization: num,
  syncCalls: arrayOf(object({ operation: str, category: str, phase, count: num, totalMs: num, maxMs: num })),
  gc: object({ count: num, totalMs: num, maxMs: num, byKind: recordOf(object({ count: num, totalMs: num })) }),
  threadpoolQueueWait: object({ work: nullable(queueWait), dns: nullable(queueWait) }),
  threadpoolSize: num,
};

/** One check per record type; `type` itself is known when these run. */
const SHAPES: Record<RecordingRecord['type'], Check> = {
  process: object({
    recordingVersion: num,
    pid: num,
    ppid: num,
    argv: arrayOf(str),
    execArgv: arrayOf(str),
    cwd: str,
    nodeVersion: str,
    startedAt: num,
    thresholdMs: num,
    heartbeatMs: num,
    sampleIntervalMs: num,
    syncIoThresholdMs: nullable(num),
  }, { threadId: num, threadName: nullable(str), noSamplesBecause: str, gcObserved: oneOf('when late'), maxSamplesPerSecond: num }),
  thread: object({ threadId: num, name: nullable(str), startedAt: num, watched: oneOf(false) }),
  threadEnd: object({ threadId: num, at: num, exitCode: num }),
  blocked: object({ seq: num, since: num, at: num }),
  threadTime: object({ seq: num, from: num, to: num, onCpuMs: num, runQueueMs: num, watchdogLateMs: num }),
  paused: object({ seq: num, from: num, to: num }),
  unsampled: object({ seq: num, reason: oneOf('debugger', 'bound'), at: num }),
  sample: object({ seq: num, requestedAt: num, at: num, frames }, { traceId: str, spanId: str, traceFlags: num, spanStart: num, cut: bool }),
  stall: object({ seq: num, start: num, end: num, durationMs: num, inProgressAtExit: bool, phase }),
  syncCall: object({ operation: str, category: str, start: num, durationMs: num, phase, frames }, { target: str }),
  syncSample: object(
    { operation: str, category: str, start: num, end: num, calls: num, totalMs: num, at: num, durationMs: num, frames },
    { target: str, addon: str },
  ),
  startup: object(
    {
      processStart: num,
      setupStart: num,
      setupEnd: num,
      loopStart: nullable(num),
      main: nullable(str),
      modules: arrayOf(object({ request: str, parent: nullable(str), start: num, durationMs: num, depth: num })),
      omitted: object({ count: num, totalMs: num }),
    },
    { mainEvaluated: num },
  ),
  poolWork: object({ operation: str, category: str, start: num, end: num, inProgressAtExit: bool, frames }, { target: str }),
  poolWait: object({ queue: oneOf('work', 'dns'), start: num, after: nullable(num), end: num, inProgressAtExit: bool }),
  gc: object({ start: num, durationMs: num, kind: oneOf('minor', 'major', 'incremental', 'weakcb', 'unknown') }),
  totals: object(totals),
  exit: object({ ...totals, exitCode: num }),
};

/** Whether records of this type are known to this reader (others are skipped: forward compatibility). */
export function isKnownType(type: string): type is RecordingRecord['type'] {
  return Object.prototype.hasOwnProperty.call(SHAPES, type);
}

/**
 * What is wrong with a record of a known type, for a person (`'frames[2].line' is not a
 * number or null`); undefined when it has its type's shape.
 */
export function recordMisfit(record: { type: RecordingRecord['type'] } & Record<string, unknown>): string | undefined {
  const wrong = SHAPES[record.type](record);
  return wrong && describe(wrong);
}

function describe(wrong: Misfit): string {
  if (wrong.path === '') return `it is not ${wrong.expected}`;
  return wrong.missing ? `no '${wrong.path}' (${wrong.expected})` : `'${wrong.path}' is not ${wrong.expected}`;
}

const manifest = object({
  type: oneOf('run'),
  recordingVersion: num,
  tool: object({ name: str, version: str }),
  command: arrayOf(str),
  cwd: str,
  startedAt: num,
  thresholdMs: num,
  syncIoThresholdMs: nullable(num),
  durationMs: nullable(num),
  exitCode: nullable(num),
  signal: nullable(str),
}, { pid: nullable(num) });

/** What is wrong with a run.json, as recordMisfit says it; undefined when it has RunManifest's shape. */
export function manifestMisfit(value: unknown): string | undefined {
  const wrong = manifest(value);
  return wrong && describe(wrong);
}
