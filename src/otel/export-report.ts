/**
 * `loopwatch run --otlp`: a run's stalls exported after it, through the official
 * OpenTelemetry JS SDK and OTLP/HTTP exporters (protobuf by default, JSON with
 * `http/json`), as the spans the production mode makes (stall-spans.ts): each inside the
 * trace of the request it blocked, when the program was traced. Threadpool starvation
 * episodes are spans too; metrics give the stalls by category.
 *
 * The standard variables are honoured as the exporters and resources read them:
 * OTEL_EXPORTER_OTLP_(TRACES_|METRICS_)ENDPOINT, _HEADERS, _TIMEOUT, _PROTOCOL,
 * OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES. A failed export (collector down, an HTTP
 * error, a timeout) is one warning, never an exit status.
 *
 * SDK 2.x and exporters 0.2xx: the 3.x and 0.30x lines need Node.js 22.15.
 */
import type * as Api from '@opentelemetry/api';
import type { Report } from '../report/schema';
import { ATTRIBUTES, emitStallSpan, INSTRUMENTATION_SCOPE, stallSpan } from './stall-spans';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface OtlpOptions {
  /** The collector's base URL (as OTEL_EXPORTER_OTLP_ENDPOINT): `/v1/traces` and `/v1/metrics` are added. Undefined: the variables, else localhost:4318. */
  endpoint?: string;
  protocol: OtlpProtocol;
  version: string;
}

export interface OtlpResult {
  spans: number;
  /** What went wrong, for the one warning; undefined when everything was accepted. */
  problem?: string;
}

/** The protocol the variables ask for, as the OTLP exporters read them. */
export function protocolFromEnv(env: NodeJS.ProcessEnv): OtlpProtocol {
  const value = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL;
  return value === 'http/json' ? 'http/json' : 'http/protobuf';
}

function signalUrl(base: string | undefined, signal: 'traces' | 'metrics'): string | undefined {
  if (base === undefined) return undefined;
  const trimmed = base.replace(/\/+$/, '');
  return trimmed.endsWith(`/v1/${signal}`) ? trimmed : `${trimmed}/v1/${signal}`;
}

export async function exportReport(report: Report, options: OtlpOptions): Promise<OtlpResult> {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when --otlp is given */
  const api = require('@opentelemetry/api') as typeof Api;
  const { BasicTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  const { defaultResource, detectResources, envDetector } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const traceExporters =
    options.protocol === 'http/json'
      ? (require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http'))
      : (require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto'));
  const metricExporters =
    options.protocol === 'http/json'
      ? (require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http'))
      : (require('@opentelemetry/exporter-metrics-otlp-proto') as typeof import('@opentelemetry/exporter-metrics-otlp-proto'));
  /* eslint-enable @typescript-eslint/no-require-imports */

  const problems: string[] = [];
  // The SDK says what went wrong through its diagnostic logger: the first error is the warning.
  api.diag.setLogger(
    {
      error: (message: string, ...args: unknown[]) => problems.push([message, ...args.map(describe)].join(' ')),
      warn: () => {},
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    api.DiagLogLevel.ERROR,
  );

  const resource = defaultResource().merge(detectResources({ detectors: [envDetector] }));
  const traceUrl = signalUrl(options.endpoint, 'traces');
  const spanExporter = new traceExporters.OTLPTraceExporter(traceUrl ? { url: traceUrl } : {});
  const exporter = recordingFailures(spanExporter, problems);
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = tracerProvider.getTracer(INSTRUMENTATION_SCOPE, options.version);

  const metricUrl = signalUrl(options.endpoint, 'metrics');
  const metricExporter = new metricExporters.OTLPMetricExporter(metricUrl ? { url: metricUrl } : {});
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ resource, readers: [reader] });
  const meter = meterProvider.getMeter(INSTRUMENTATION_SCOPE, options.version);
  const stallDuration = meter.createHistogram('loopwatch.stall.duration', { unit: 's', description: 'Event-loop stalls longer than the threshold, by category' });
  const starvation = meter.createHistogram('loopwatch.threadpool.starvation.duration', { unit: 's', description: 'Threadpool starvation episodes' });

  let spans = 0;
  for (const stall of report.stalls) {
    emitStallSpan(api, tracer, stallSpan(stall, report.thresholdMs), true);
    spans += 1;
    const attributes = { [ATTRIBUTES.category]: stall.category, [ATTRIBUTES.pid]: stall.pid };
    (stall.kind === 'threadpool' ? starvation : stallDuration).record(stall.durationMs / 1000, attributes);
  }
  try {
    await tracerProvider.forceFlush();
    await reader.forceFlush();
  } catch (err) {
    problems.push(describe(err));
  } finally {
    await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
    api.diag.disable();
  }
  const result: OtlpResult = { spans };
  if (problems.length > 0) result.problem = problems[0]!;
  return result;
}

/** The exporter, with the result of each export noted: a refused batch is a problem to report. */
function recordingFailures<E extends { export(spans: unknown[], done: (result: { code: number; error?: Error }) => void): void }>(exporter: E, problems: string[]): E {
  const exportSpans = exporter.export.bind(exporter);
  exporter.export = (spans, done) =>
    exportSpans(spans, (result) => {
      if (result.code !== 0) problems.push(result.error ? describe(result.error) : 'the collector refused the spans');
      done(result);
    });
  return exporter;
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'object' && value !== null && 'message' in value) return String((value as { message: unknown }).message);
  return String(value);
}
