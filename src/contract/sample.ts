import type { RecordedFrame } from '../recording/schema';

/**
 * The sample protocol. The watchdog thread asks the main thread, through an inspector
 * session, to evaluate SAMPLE_EXPRESSION; V8 serves it with an interrupt on top of
 * whatever JavaScript is running, and the function the agent installed under SAMPLER_KEY
 * returns a Sample as one JSON string.
 */
export const SAMPLER_KEY = Symbol.for('loopwatch.sample');

/** The sourceURL names the evaluated script, so that its frame can be told apart and dropped. */
export const SAMPLE_SCRIPT_URL = 'loopwatch:sample';

/**
 * The most frames a captured stack has (V8's Error.stackTraceLimit while capturing). A
 * deeper stack loses its outermost frames: attribution knows a stack this long, less
 * loopwatch's own frames, as cut.
 */
export const MAX_FRAMES = 64;

export const SAMPLE_EXPRESSION = `globalThis[Symbol.for('loopwatch.sample')]()\n//# sourceURL=${SAMPLE_SCRIPT_URL}`;

export interface Sample {
  /** When the main thread served it (epoch ms). */
  at: number;
  /** Innermost first; loopwatch's own frames removed. */
  frames: RecordedFrame[];
  /** The stack was deeper than MAX_FRAMES: its outermost frames are not in `frames`. */
  cut?: true;
  /** The OpenTelemetry span active in the blocked code, when the program uses @opentelemetry/api. */
  traceId?: string;
  spanId?: string;
  /** Its trace flags (1: sampled), so that a stall span can join a sampled trace. */
  traceFlags?: number;
  /** When that span started (epoch ms), where the tracer says (the SDK's spans do). */
  spanStart?: number;
}
