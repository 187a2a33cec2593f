/**
 * OpenTelemetry in production: each stall, attributed as it ends, becomes a span through
 * the tracer provider the program registered with @opentelemetry/api, so it reaches
 * whatever exporter the program already uses, as a child of the span that was active in
 * the blocked code (a stall inside `POST /login` is a child of that request's span).
 * The same for metrics, through the program's meter provider. loopwatch registers no
 * provider and loads no SDK: without the program's, it sends nothing.
 *
 * Every call into the program's providers is guarded: an exporter that throws, or a
 * provider that misbehaves, costs a stall its span, never the program anything.
 */
import type * as Api from '@opentelemetry/api';
import type { AgentHandle } from '../agent/agent';
import { debug } from '../agent/debug';
import type { Stall } from '../report/schema';
import { toStall } from '../report/to-stall';
import { ATTRIBUTES, emitStallSpan, INSTRUMENTATION_SCOPE, SpanBudget, stallSpan } from './stall-spans';

/** Where @opentelemetry/api 1.x keeps the providers a program registered. */
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/** Bucket bounds for delay and stall durations, in seconds (OpenTelemetry's unit for durations). */
const DELAY_BOUNDS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const METRIC_NAMES = {
  /** Event-loop delay, each heartbeat's lateness: a histogram a backend can merge across a fleet. */
  delay: 'loopwatch.eventloop.delay',
  /** Each stall's duration, by category: its count and sum are the stalls and the blocked time. */
  stallDuration: 'loopwatch.stall.duration',
  /** Stall spans the rate limit dropped. */
  droppedSpans: 'loopwatch.stall.spans_dropped',
} as const;

export interface InProcessOptions {
  thresholdMs: number;
  maxSpansPerMinute: number;
  version: string;
}

export interface OpenTelemetryLink {
  /** Stall spans the rate limit dropped so far. */
  droppedSpans(): number;
  /** Event-loop delay to record (ms), from the heartbeat. */
  recordDelay(ms: number): void;
  detach(): void;
}

interface Instruments {
  delay: Api.Histogram;
  stallDuration: Api.Histogram;
  dropped: Api.Counter;
}

/**
 * Sends the agent's stalls to the program's OpenTelemetry providers.
 *
 * @opentelemetry/api is loaded only once the program has registered a provider (its
 * global says so without loading it): loading it costs about 33 ms of CPU at startup
 * (bench/FINDINGS.md, section 7), for nothing in a program that registers none, and a
 * program that does has loaded it already. When it cannot be loaded, nothing is sent.
 */
export function linkOpenTelemetry(agent: AgentHandle, options: InProcessOptions): OpenTelemetryLink {
  /** The API once loaded; null when it could not be. */
  let loaded: typeof Api | null | undefined;
  const apiFor = (signal: 'trace' | 'metrics'): typeof Api | undefined => {
    if (!registered(signal)) return undefined;
    if (loaded === undefined) loaded = loadApi() ?? null;
    return loaded ?? undefined;
  };
  const budget = new SpanBudget(options.maxSpansPerMinute, Date.now());
  let instruments: Instruments | undefined;
  let reportedDrops = 0;

  /** Instruments are made once the program has a meter provider (it may register one after loopwatch started). */
  const meters = (): Instruments | undefined => {
    if (instruments) return instruments;
    const api = apiFor('metrics');
    if (!api) return undefined;
    const meter = api.metrics.getMeter(INSTRUMENTATION_SCOPE, options.version);
    instruments = {
      delay: meter.createHistogram(METRIC_NAMES.delay, { unit: 's', description: 'Event-loop delay: how late each heartbeat ran', advice: { explicitBucketBoundaries: DELAY_BOUNDS_S } }),
      stallDuration: meter.createHistogram(METRIC_NAMES.stallDuration, { unit: 's', description: 'Event-loop stalls longer than the threshold, by category', advice: { explicitBucketBoundaries: DELAY_BOUNDS_S } }),
      dropped: meter.createCounter(METRIC_NAMES.droppedSpans, { description: 'Stall spans not exported: over the rate limit' }),
    };
    return instruments;
  };

  const unsubscribe = agent.onStall((found) => {
    try {
      const stall = toStall(found);
      meters()?.stallDuration.record(stall.durationMs / 1000, { [ATTRIBUTES.category]: stall.category });
      const api = apiFor('trace');
      if (!api) return;
      if (!budget.take(Date.now())) {
        const m = meters();
        if (m) {
          m.dropped.add(budget.dropped - reportedDrops);
          reportedDrops = budget.dropped;
        }
        return;
      }
      startSpan(api, options, stall);
    } catch (err) {
      debug('could not export a stall: %s', err);
    }
  });

  return {
    droppedSpans: () => budget.dropped,
    recordDelay(ms) {
      try {
        meters()?.delay.record(ms / 1000);
      } catch {
        // The program's meter must not break the heartbeat.
      }
    },
    detach: unsubscribe,
  };
}

function startSpan(api: typeof Api, options: InProcessOptions, stall: Stall): void {
  emitStallSpan(api, api.trace.getTracer(INSTRUMENTATION_SCOPE, options.version), stallSpan(stall, options.thresholdMs), false);
}

/** Whether the program registered a provider of that signal with @opentelemetry/api. */
function registered(signal: 'trace' | 'metrics'): boolean {
  const global = (globalThis as Record<symbol, Record<string, unknown> | undefined>)[API_GLOBAL];
  return global?.[signal] !== undefined;
}

function loadApi(): typeof Api | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@opentelemetry/api') as typeof Api;
  } catch {
    return undefined;
  }
}
