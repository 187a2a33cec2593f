import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receivedMetrics, receivedSpans, startReceiver, type Receiver } from '../support/otlp-receiver';
import { FIXTURES, readMarkers, ROOT, runCliAsync, sampledToleranceMs, toleranceMs, type Truth } from './run-cli';

/**
 * Stalls as OpenTelemetry spans. In production (loopwatch/register, monitor()), through
 * the program's own tracer provider, as children of the request they blocked; from the
 * CLI (`--otlp`), through the SDK's OTLP exporters to a real OTLP/HTTP receiver that
 * decodes the official .proto definitions.
 */
const REGISTER = join(ROOT, 'dist', 'agent', 'register.js');
/** Stalls, then exits with GATE_EXIT. */
const APP_THAT_FAILS = 'fixtures/gate-app.js';
const work = mkdtempSync(join(tmpdir(), 'loopwatch-otel-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface RecordedSpan extends Truth {
  name: string;
  kind: number;
  scope: string;
  parentSpanId: string | null;
  start: number;
  end: number;
  attributes: Record<string, unknown>;
  events: Array<{ name: string; attributes: Record<string, unknown> }>;
}

/**
 * Runs a fixture with node itself (no CLI), its truth file read back. Asynchronous: the
 * test process may be serving it (the OTLP receiver).
 */
async function runNode(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string; truth: Truth[] }> {
  const truthFile = join(mkdtempSync(join(work, 'run-')), 'truth.jsonl');
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, LOOPWATCH_FIXTURE_TRUTH: truthFile, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  clearTimeout(timer);
  const truth = existsSync(truthFile) ? readFileSync(truthFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Truth) : [];
  return { status, stdout, stderr, truth };
}

describe('production mode: stall spans through the program\'s tracer provider', () => {
  for (const [form, flag, fixture] of [
    ['node --require loopwatch/register (CommonJS)', '--require', 'server.js'],
    ['node --import loopwatch/register (ES module)', '--import', 'server.mjs'],
  ] as const) {
    it(form, async () => {
      const file = join(FIXTURES, 'otel', fixture);
      const marker = readMarkers(file)[0]!;
      const run = await runNode([flag, REGISTER, file]);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const spans = run.truth.filter((t) => t.label === 'span') as RecordedSpan[];
      const login = run.truth.find((t) => t.label === 'login')!;
      const stall = spans.find((s) => s.name === 'loopwatch.stall' && s.attributes['loopwatch.stall.operation'] === 'crypto.pbkdf2Sync')!;
      expect(stall, JSON.stringify(spans.map((s) => [s.name, s.attributes['loopwatch.stall.operation']]))).toBeDefined();
      // A child of the request's server span, in its trace, within its times.
      const server = spans.find((s) => s.spanId === stall.parentSpanId)!;
      expect(server).toMatchObject({ scope: '@opentelemetry/instrumentation-http', kind: 1 /* SERVER */, traceId: stall.traceId });
      expect(server.attributes['url.path'] ?? server.attributes['http.target']).toBe('/login');
      // It starts no earlier than the request's span (loopwatch starts it there); the stall
      // may go on a moment after the response was sent, while the handler returns.
      expect(stall.start).toBeGreaterThanOrEqual(server.start);
      expect(stall.end).toBeLessThanOrEqual(server.end + 5);
      expect(stall).toMatchObject({ scope: 'loopwatch', kind: 0 /* INTERNAL */ });
      expect(stall.attributes).toMatchObject({
        'loopwatch.stall.category': 'crypto',
        'loopwatch.stall.threshold_ms': 50,
        'loopwatch.stall.exact': true,
        'code.file.path': marker.file,
        'code.line.number': marker.line,
        'process.pid': login.pid,
        'thread.id': 0,
      });
      expect(String(stall.attributes['code.stacktrace'])).toContain(`${marker.file}:${marker.line}:`);
      // The stall is the whole busy stretch; its pbkdf2Sync cause is the fixture's own measurement.
      expect(Number(stall.attributes['loopwatch.stall.duration_ms'])).toBeGreaterThanOrEqual(login.ms);
      const cause = stall.events.find((e) => e.attributes['loopwatch.stall.operation'] === 'crypto.pbkdf2Sync')!;
      expect(cause).toMatchObject({ name: 'loopwatch.stall.cause', attributes: { 'loopwatch.stall.exact': true, 'code.line.number': marker.line } });
      expect(Math.abs(Number(cause.attributes['loopwatch.stall.duration_ms']) - login.ms)).toBeLessThanOrEqual(toleranceMs(login.ms));
    });
  }

  it('a program that registers no provider: @opentelemetry/api is not loaded (it costs startup, for nothing to send)', async () => {
    // A stall, so that the link is asked for spans and metrics, then the modules loaded.
    const program = "const e = Date.now() + 120; while (Date.now() < e); setTimeout(() => console.log(Object.keys(require.cache).filter((f) => f.includes('@opentelemetry')).length), 200);";
    const run = await runNode(['--require', REGISTER, '-e', program]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe('0');
  });
});

describe('the programmatic API', () => {
  it('monitor(): onStall, stats, a rate limit on spans, and stop() that leaves the process as it was', async () => {
    const run = await runNode([join(FIXTURES, 'otel', 'monitor-api.js')]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const marker = readMarkers(join(FIXTURES, 'otel', 'monitor-api.js'))[0]!;
    const api = run.truth.find((t) => t.label === 'api') as Truth & Record<string, unknown>;
    expect(api.replaced).toBe(true);
    expect(api.seen).toEqual(Array.from({ length: 3 }, () => ({ operation: 'spin', category: 'js', line: marker.line })));
    const stats = api.stats as { stalls: number; byCategory: Record<string, { count: number }>; droppedSpans: number; hasDelay: boolean };
    expect(stats).toMatchObject({ stalls: 3, byCategory: { js: { count: 3 } }, droppedSpans: 1, hasDelay: true });
    // Two spans a minute: the third stall's was dropped.
    expect(api.spans).toEqual(['loopwatch.stall', 'loopwatch.stall']);
    expect(api.restored).toEqual({ readFileSync: true, gzipSync: true, prepareStackTrace: true, stackTraceLimit: true, listeners: true, emit: true, resources: true, sampler: true });
  });

  it('monitor() started before the program: the startup stall is named by what startup went to', async () => {
    // fixtures/startup-modules.js requires two modules (60 ms; 30 ms and 40 ms more) and
    // spins 50 ms itself before the loop's first turn, timing each. The watchdog attributes
    // the stall live with the evidence the report after a run has, the agent's startup
    // record included: each require() a cause at its own length (timed by the probe), the
    // spin a cause of its own (known from samples, to a sampling interval).
    const run = await runNode(['--require', join(FIXTURES, 'otel', 'monitor-at-startup.js'), join(FIXTURES, 'startup-modules.js')]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const truth = (label: string) => run.truth.find((t) => t.label === label)!.ms;
    const seen = (run.truth.find((t) => t.label === 'monitor-startup') as Truth & { seen: Array<{ phase: string; causes: Array<{ operation: string; file: string | null; line: number | null; durationMs: number }> }> }).seen;
    const startup = seen.filter((s) => s.phase === 'startup');
    expect(startup, JSON.stringify(seen)).toHaveLength(1);
    const causes = startup[0]!.causes;
    const why = JSON.stringify(causes);
    const main = join(FIXTURES, 'startup-modules.js');
    // The two timed requires by their lines: the fixture's own small ones (./lib/truth, the
    // spin) are causes too when a loaded machine makes them take a few milliseconds.
    const lines = readFileSync(main, 'utf8').split('\n');
    const timed = ['./lib/startup/config', './lib/startup/routes'].map((m) => lines.findIndex((l) => l.includes(`require('${m}')`)) + 1);
    const requires = causes.filter((c) => c.operation === 'require' && c.file === main && timed.includes(c.line ?? -1)).map((c) => c.durationMs).sort((a, b) => a - b);
    const [config, routes] = [truth('require-config'), truth('require-routes')].sort((a, b) => a - b);
    expect(requires, why).toHaveLength(2);
    expect(Math.abs(requires[0]! - config!), why).toBeLessThanOrEqual(toleranceMs(config!));
    expect(Math.abs(requires[1]! - routes!), why).toBeLessThanOrEqual(toleranceMs(routes!));
    const spin = causes.filter((c) => c.operation === 'spin').reduce((sum, c) => sum + c.durationMs, 0);
    expect(Math.abs(spin - truth('main-own-work')), why).toBeLessThanOrEqual(sampledToleranceMs(truth('main-own-work')));
  });
});

describe('OTLP export to a real receiver', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());

  it('loopwatch run --otlp: spans in the traced requests\' traces, with the resource the variables give', async () => {
    receiver.received.length = 0;
    const run = await runCliAsync(['run', `--otlp=${receiver.url}`, 'fixtures/http-otel.js'], {
      env: { OTEL_SERVICE_NAME: 'login-service', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test,team=auth' },
    });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/loopwatch: exported \d+ spans over OTLP \(http\/protobuf\) to http:\/\/127\.0\.0\.1:\d+\n/);
    const hashes = run.truth.filter((t) => t.label === 'hash');
    const spans = receivedSpans(receiver.received).filter((s) => s.span.name === 'loopwatch.stall');
    const inRequests = spans.filter((s) => s.span.parent_span_id);
    // Each traced request's stall is a child of its span, in its trace.
    expect(inRequests.map((s) => [s.span.trace_id, s.span.parent_span_id]).sort()).toEqual(hashes.map((h) => [h.traceId, h.spanId]).sort());
    for (const { resource, scope, span } of inRequests) {
      expect(scope).toBe('loopwatch');
      expect(resource).toMatchObject({ 'service.name': 'login-service', 'deployment.environment.name': 'test', team: 'auth' });
      expect(span.kind).toBe(1 /* SPAN_KIND_INTERNAL */);
      expect(Number(span.end_time_unix_nano) - Number(span.start_time_unix_nano)).toBeGreaterThan(50e6);
    }
    const metrics = receivedMetrics(receiver.received);
    expect(metrics.get('loopwatch.stall.duration')).toMatchObject({ unit: 's' });
  });

  it('--otlp-protocol http/json: the same spans, as OTLP/JSON', async () => {
    receiver.received.length = 0;
    const run = await runCliAsync(['run', `--otlp=${receiver.url}`, '--otlp-protocol', 'http/json', 'fixtures/crypto-pbkdf2.js']);
    expect(run.status).toBe(0);
    const traces = receiver.received.filter((r) => r.signal === 'traces');
    expect(traces.every((r) => r.contentType.includes('application/json'))).toBe(true);
    expect(receivedSpans(receiver.received).map((s) => s.span.name)).toContain('loopwatch.stall');
  });

  it('production mode: loopwatch\'s metrics go out through the program\'s own OTLP metric exporter', async () => {
    receiver.received.length = 0;
    const run = await runNode(['--require', REGISTER, join(FIXTURES, 'otel', 'metrics.js')], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const metrics = receivedMetrics(receiver.received);
    expect(metrics.has('fixture.requests')).toBe(true);
    const delay = metrics.get('loopwatch.eventloop.delay') as { unit: string; histogram: { data_points: Array<{ count: string }> } };
    expect(delay.unit).toBe('s');
    expect(Number(delay.histogram.data_points[0]!.count)).toBeGreaterThan(5);
    const stalls = metrics.get('loopwatch.stall.duration') as { histogram: { data_points: Array<{ count: string; attributes: Array<{ key: string; value: { string_value: string } }> }> } };
    const js = stalls.histogram.data_points.find((p) => p.attributes.some((a) => a.value.string_value === 'js'));
    expect(js, `stall points: ${JSON.stringify(stalls.histogram.data_points)}`).toBeDefined();
    expect(Number(js!.count)).toBe(1);
  });

  it('a collector that is down: one warning, and the exit status stays the program\'s', async () => {
    const closed = await startReceiver();
    const url = closed.url;
    await closed.close();
    // OTEL_EXPORTER_OTLP_TIMEOUT, the standard variable, bounds the exporter's retries.
    const run = await runCliAsync(['run', `--otlp=${url}`, APP_THAT_FAILS], { timeoutMs: 60_000, env: { GATE_EXIT: '5', OTEL_EXPORTER_OTLP_TIMEOUT: '1500' } });
    expect(run.status).toBe(5);
    const warnings = run.stderr.split('\n').filter((l) => l.startsWith('loopwatch: warning: OpenTelemetry export'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(url);
  });

  it('a collector that refuses (HTTP 400): one warning', async () => {
    const refusing = await startReceiver({ status: 400 });
    try {
      const run = await runCliAsync(['run', `--otlp=${refusing.url}`, 'fixtures/crypto-pbkdf2.js']);
      expect(run.status).toBe(0);
      expect(run.stderr.split('\n').filter((l) => l.startsWith('loopwatch: warning: OpenTelemetry export'))).toHaveLength(1);
    } finally {
      await refusing.close();
    }
  });
});
