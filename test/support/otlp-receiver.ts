/**
 * A real OTLP/HTTP receiver for the tests, on loopback: it accepts what an OpenTelemetry
 * exporter posts to /v1/traces and /v1/metrics, in protobuf or JSON, and decodes the
 * protobuf with the official OTLP .proto definitions (as the npm package
 * @opentelemetry/otlp-grpc-exporter-base 0.38 ships them), not with any exporter's own
 * serializer.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';

const PROTOS = join(dirname(require.resolve('@opentelemetry/otlp-grpc-exporter-base/package.json')), 'build', 'protos');

function loadProtos(): { traces: protobuf.Type; metrics: protobuf.Type } {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(PROTOS, target);
  root.loadSync(['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto'], { keepCase: true });
  return {
    traces: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    metrics: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
  };
}

export interface Received {
  signal: 'traces' | 'metrics';
  contentType: string;
  /** The request as a plain object, ids as lowercase hex, 64-bit numbers as strings. */
  body: Record<string, unknown>;
}

export interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** Ids are bytes in protobuf and hex strings in OTLP/JSON: both come out as hex. */
function hexIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hexIds);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = hexIds(v);
  return out;
}

export async function startReceiver(options: { status?: number } = {}): Promise<Receiver> {
  const types = loadProtos();
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const signal = req.url === '/v1/traces' ? 'traces' : req.url === '/v1/metrics' ? 'metrics' : undefined;
      if (!signal) {
        res.writeHead(404).end();
        return;
      }
      const contentType = req.headers['content-type'] ?? '';
      const data = Buffer.concat(chunks);
      let body: Record<string, unknown>;
      if (contentType.includes('json')) {
        body = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
      } else {
        const type = types[signal];
        body = type.toObject(type.decode(data), { longs: String, enums: Number, defaults: false }) as Record<string, unknown>;
      }
      received.push({ signal, contentType, body: hexIds(body) as Record<string, unknown> });
      const status = options.status ?? 200;
      res.writeHead(status, { 'content-type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf' }).end(contentType.includes('json') ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Every span received, with its resource's attributes, across requests. */
export function receivedSpans(received: Received[]): Array<{ resource: Record<string, unknown>; scope: string; span: Record<string, unknown> }> {
  const spans: Array<{ resource: Record<string, unknown>; scope: string; span: Record<string, unknown> }> = [];
  for (const r of received.filter((x) => x.signal === 'traces')) {
    for (const rs of (r.body.resource_spans ?? r.body.resourceSpans ?? []) as Array<Record<string, unknown>>) {
      const resource = attributesOf(((rs.resource as Record<string, unknown> | undefined)?.attributes ?? []) as KeyValue[]);
      for (const ss of (rs.scope_spans ?? rs.scopeSpans ?? []) as Array<Record<string, unknown>>) {
        const scope = String((ss.scope as { name?: string } | undefined)?.name ?? '');
        for (const span of (ss.spans ?? []) as Array<Record<string, unknown>>) spans.push({ resource, scope, span });
      }
    }
  }
  return spans;
}

/** Every metric received, by name, with its data points. */
export function receivedMetrics(received: Received[]): Map<string, Record<string, unknown>> {
  const metrics = new Map<string, Record<string, unknown>>();
  for (const r of received.filter((x) => x.signal === 'metrics')) {
    for (const rm of (r.body.resource_metrics ?? r.body.resourceMetrics ?? []) as Array<Record<string, unknown>>) {
      for (const sm of (rm.scope_metrics ?? rm.scopeMetrics ?? []) as Array<Record<string, unknown>>) {
        for (const metric of (sm.metrics ?? []) as Array<Record<string, unknown>>) metrics.set(String(metric.name), metric);
      }
    }
  }
  return metrics;
}

interface KeyValue {
  key: string;
  value: Record<string, unknown>;
}

/** OTLP key/value attributes as a plain object. */
export function attributesOf(list: KeyValue[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list) {
    const v = value.string_value ?? value.stringValue ?? value.int_value ?? value.intValue ?? value.double_value ?? value.doubleValue ?? value.bool_value ?? value.boolValue;
    out[key] = typeof v === 'string' && /^-?\d+$/.test(v) && (value.int_value !== undefined || value.intValue !== undefined) ? Number(v) : v;
  }
  return out;
}
