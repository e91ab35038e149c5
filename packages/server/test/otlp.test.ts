/**
 * OTLP/HTTP in: the real OpenTelemetry JS SDK exports to a started server (protobuf, JSON, gzip),
 * and the figures are read back through the metrics query and agent endpoints.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { context, trace, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { decodeResponse, decodeStatus, encodeRequest } from '../src/otlp/wire.js';
import { MAX_CUSTOM_KEYS_PER_AGENT } from '../src/otlp/figures.js';
import { ADMIN, REGISTRATION, bearer, eachBackend, register, testApp, type TestApp } from './harness.js';

eachBackend('OTLP receiver', (backend) => {
  let t: TestApp;
  let base = '';
  before(async () => {
    t = await testApp(backend);
    // The SDK stamps points with the real time: the server's clock follows it.
    t.clock.now = Date.now();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    assert.ok(address && typeof address === 'object');
    base = `http://127.0.0.1:${address.port}`;
  });
  after(async () => {
    await t.close();
  });

  const api = async (path: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1${path}`, headers: bearer(ADMIN) });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };
  const range = () => `start_time=${new Date(Date.now() - 3_600_000).toISOString()}&end_time=${new Date(Date.now() + 3_600_000).toISOString()}`;
  const points = async (agentId: string, metrics: string[]) =>
    (await api(`/metrics/query?agent_ids=${agentId}&${range()}&metric_names=${metrics.map(encodeURIComponent).join(',')}`)).data as Record<string, unknown>[];
  const agentNamed = async (name: string) => {
    const page = await api(`/agents?q=${encodeURIComponent(name)}`);
    return (page.items as { id: string; name: string }[]).filter((a) => a.name === name);
  };

  /** A meter provider exporting to the server with `exporter`; its exports happen on forceFlush only. */
  function meters(exporter: ProtoMetricExporter | JsonMetricExporter, resource: Record<string, string>) {
    return new MeterProvider({
      resource: resourceFromAttributes(resource),
      readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
    });
  }

  /** Three chat calls of 100 input and 40 output tokens, lasting 0.5, 1 and 1.5 s. */
  function recordChats(provider: MeterProvider, calls: number[]) {
    const meter = provider.getMeter('chat-app');
    const usage = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}' });
    const duration = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's' });
    const attrs = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.provider.name': 'openai' };
    for (const seconds of calls) {
      usage.record(100, { ...attrs, 'gen_ai.token.type': 'input' });
      usage.record(40, { ...attrs, 'gen_ai.token.type': 'output' });
      duration.record(seconds, attrs);
    }
    return { usage, duration, attrs };
  }

  const chatResource = { 'service.name': 'otel-chat-agent', 'service.version': '2.0.1', 'deployment.environment.name': 'staging', 'host.name': 'box-1' };

  it('protobuf metrics: GenAI and process figures land in the seed fields; the agent is registered from the resource', async () => {
    const provider = meters(new ProtoMetricExporter({ url: `${base}/v1/metrics`, headers: bearer(REGISTRATION) }), chatResource);
    const meter = provider.getMeter('process');
    meter.createObservableGauge('process.cpu.utilization', { unit: '1' }).addCallback((r) => r.observe(0.25));
    meter.createObservableUpDownCounter('process.memory.usage', { unit: 'By' }).addCallback((r) => r.observe(1_000_000));
    const { usage, duration, attrs } = recordChats(provider, [0.5, 1, 1.5]);
    await provider.forceFlush();

    const agents = await agentNamed('otel-chat-agent');
    assert.equal(agents.length, 1);
    const agentId = (agents[0] as { id: string }).id;
    const info = await api(`/agents/${agentId}`);
    assert.equal(info.type, 'llm_agent');
    assert.equal(info.version, '2.0.1');
    assert.equal(info.environment, 'staging');
    assert.equal(info.host, 'box-1');
    assert.equal(info.status, 'online');

    const first = await points(agentId, [
      'tokens_processed',
      'api_calls_made',
      'api_call_latency_ms',
      'model_inference_time_ms',
      'cpu_usage_percent',
      'memory_usage_bytes',
      'custom.gen_ai.input_tokens',
      'custom.gen_ai.output_tokens',
      'custom.gen_ai.cost_usd',
      'custom.gen_ai.model.gpt-4o.input_tokens',
      'custom.gen_ai.model.gpt-4o.output_tokens',
      'custom.gen_ai.model.gpt-4o.calls',
      'custom.gen_ai.model.gpt-4o.cost_usd',
      'custom.gen_ai.provider.openai.calls',
    ]);
    assert.equal(first.length, 1);
    assert.deepEqual({ ...first[0], agent_id: undefined, timestamp: undefined }, {
      agent_id: undefined,
      timestamp: undefined,
      tokens_processed: 420,
      api_calls_made: 3,
      api_call_latency_ms: 1000,
      model_inference_time_ms: 1000,
      cpu_usage_percent: 25,
      memory_usage_bytes: 1_000_000,
      'custom.gen_ai.input_tokens': 300,
      'custom.gen_ai.output_tokens': 120,
      // gpt-4o at the shipped price, $2.50 in and $10 out per million tokens.
      'custom.gen_ai.cost_usd': (300 * 2.5 + 120 * 10) / 1e6,
      'custom.gen_ai.model.gpt-4o.input_tokens': 300,
      'custom.gen_ai.model.gpt-4o.output_tokens': 120,
      'custom.gen_ai.model.gpt-4o.calls': 3,
      'custom.gen_ai.model.gpt-4o.cost_usd': (300 * 2.5 + 120 * 10) / 1e6,
      'custom.gen_ai.provider.openai.calls': 3,
    });
    const usage1 = await api(`/usage?${range()}&agent=${agentId}`);
    assert.deepEqual(
      usage1.rows.map((r: { model: string; input_tokens: number; output_tokens: number; calls: number; priced: boolean }) => [r.model, r.input_tokens, r.output_tokens, r.calls, r.priced]),
      [['gpt-4o', 300, 120, 3, true]],
    );

    // The exporter is cumulative: the next export holds all four calls, and agentmon keeps the one new.
    usage.record(100, { ...attrs, 'gen_ai.token.type': 'input' });
    usage.record(40, { ...attrs, 'gen_ai.token.type': 'output' });
    duration.record(2, attrs);
    t.clock.now = Date.now();
    await provider.forceFlush();
    const both = await points(agentId, ['tokens_processed', 'api_calls_made', 'api_call_latency_ms']);
    assert.equal(both.length, 2);
    assert.deepEqual(both.map((p) => [p.tokens_processed, p.api_calls_made, p.api_call_latency_ms]), [
      [420, 3, 1000],
      [140, 1, 2000],
    ]);
    await provider.shutdown();
  });

  it('JSON with gzip from a restarted process: the same agent, counted from the new run', async () => {
    const provider = meters(
      new JsonMetricExporter({ url: `${base}/v1/metrics`, headers: bearer(ADMIN), compression: CompressionAlgorithm.GZIP }),
      { ...chatResource, 'service.instance.id': 'restarted-1' },
    );
    recordChats(provider, [0.25]);
    t.clock.now = Date.now();
    await provider.forceFlush();
    const agents = await agentNamed('otel-chat-agent');
    assert.equal(agents.length, 1, 'a restart maps to the same agent');
    const rows = await points((agents[0] as { id: string }).id, ['tokens_processed', 'api_call_latency_ms']);
    assert.deepEqual(rows.map((p) => [p.tokens_processed, p.api_call_latency_ms]), [
      [420, 1000],
      [140, 2000],
      // The first process's shutdown exported once more: no call in that interval.
      [0, null],
      [140, 250],
    ]);
    await provider.shutdown();
  });

  it('protobuf traces: GenAI spans give tasks, errors, latency, tokens and per-tool counts; failed spans are kept', async () => {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'otel-span-agent', 'host.name': 'box-2', 'agentmon.agent.type': 'workflow_agent' }),
      // One batch, sent on forceFlush: one export, so one payload.
      spanProcessors: [
        new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces`, headers: bearer(REGISTRATION) }), { scheduledDelayMillis: 3_600_000 }),
      ],
    });
    const tracer = provider.getTracer('agent');
    const t0 = Date.now() - 10_000;
    const run = (offsetMs: number, lengthMs: number, fail: boolean, children: (parent: ReturnType<typeof tracer.startSpan>) => void) => {
      const span = tracer.startSpan('invoke_agent planner', { startTime: t0 + offsetMs, attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'planner' } });
      children(span);
      if (fail) span.setStatus({ code: SpanStatusCode.ERROR, message: 'planner gave up' });
      span.end(t0 + offsetMs + lengthMs);
    };
    const child = (parent: ReturnType<typeof tracer.startSpan>, name: string, startMs: number, lengthMs: number, attributes: Record<string, string | number>, error?: string) => {
      const span = tracer.startSpan(name, { startTime: t0 + startMs, attributes }, trace.setSpan(context.active(), parent));
      if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
      span.end(t0 + startMs + lengthMs);
    };
    const chat = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'claude-3.5', 'gen_ai.provider.name': 'anthropic', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 40 };
    run(0, 3000, false, (p) => {
      child(p, 'chat claude-3.5', 100, 800, chat);
      child(p, 'execute_tool search', 1000, 200, { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' });
    });
    run(4000, 1000, true, (p) => {
      child(p, 'chat claude-3.5', 4100, 400, chat);
      child(p, 'execute_tool search', 4600, 100, { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' }, 'search backend timed out');
    });
    // A span that is not GenAI work gives nothing.
    tracer.startSpan('GET /health', { startTime: t0, attributes: { 'http.request.method': 'GET' } }).end(t0 + 5);
    t.clock.now = Date.now();
    await provider.forceFlush();

    const agents = await agentNamed('otel-span-agent');
    assert.equal(agents.length, 1);
    const agentId = (agents[0] as { id: string }).id;
    assert.equal((await api(`/agents/${agentId}`)).type, 'workflow_agent');
    const rows = await points(agentId, [
      'tasks_completed',
      'tasks_failed',
      'average_response_time_ms',
      'error_rate',
      'tokens_processed',
      'api_calls_made',
      'api_call_latency_ms',
      'custom.gen_ai.tool.search.calls',
      'custom.gen_ai.tool.search.errors',
      'custom.gen_ai.model.claude-3.5.input_tokens',
      'custom.gen_ai.model.claude-3.5.output_tokens',
      'custom.gen_ai.model.claude-3.5.calls',
      'custom.gen_ai.spans.chat.calls',
    ]);
    assert.deepEqual(rows.map((r) => ({ ...r, agent_id: undefined, timestamp: undefined })), [
      {
        agent_id: undefined,
        timestamp: undefined,
        // Tasks are the agent runs: one of 3 s that succeeded, one of 1 s that failed.
        tasks_completed: 1,
        tasks_failed: 1,
        average_response_time_ms: 2000,
        // Errors over every GenAI span, as spanmetrics counts them: the failed run and the failed tool call of 6 spans.
        error_rate: 2 / 6,
        tokens_processed: 280,
        api_calls_made: 2,
        api_call_latency_ms: 600,
        'custom.gen_ai.tool.search.calls': 2,
        'custom.gen_ai.tool.search.errors': 1,
        'custom.gen_ai.model.claude-3.5.input_tokens': 200,
        'custom.gen_ai.model.claude-3.5.output_tokens': 80,
        'custom.gen_ai.model.claude-3.5.calls': 2,
        'custom.gen_ai.spans.chat.calls': 2,
      },
    ]);
    assert.equal(rows[0]?.timestamp, new Date(t0 + 5000).toISOString(), 'stamped with the end of the latest span');
    // claude-3.5 is no model the price table knows: its tokens count, its cost is 0 and the report says why.
    const spend = await api(`/usage?${range()}&agent=${agentId}`);
    assert.deepEqual(spend.unpriced_models, ['claude-3.5']);
    assert.deepEqual([spend.rows[0].model, spend.rows[0].input_tokens, spend.rows[0].cost_usd, spend.rows[0].priced], ['claude-3.5', 200, 0, false]);

    const failed = await api(`/agents/${agentId}/failed-spans`);
    assert.deepEqual(
      failed.items.map((s: { name: string; operation: string; status_message: string; duration_ms: number }) => [s.name, s.operation, s.status_message, s.duration_ms]),
      [
        ['invoke_agent planner', 'invoke_agent', 'planner gave up', 1000],
        ['execute_tool search', 'execute_tool', 'search backend timed out', 100],
      ],
    );
    assert.equal(failed.items[1].attributes['gen_ai.tool.name'], 'search');
    assert.match(failed.items[0].trace_id, /^[0-9a-f]{32}$/);
    await provider.shutdown();
  });

  const post = (path: string, body: Buffer | string, headers: Record<string, string>) =>
    fetch(`${base}${path}`, { method: 'POST', body, headers });
  const nowNs = () => `${BigInt(Date.now()) * 1_000_000n}`;
  const gauge = (name: string, value: number) => ({ name, gauge: { dataPoints: [{ timeUnixNano: nowNs(), asDouble: value }] } });

  it('partial success (protobuf): a resource without service.name is refused and counted, the rest is taken', async () => {
    const body = encodeRequest('metrics', {
      resourceMetrics: [
        { resource: { attributes: [] }, scopeMetrics: [{ metrics: [gauge('queue.depth', 1), gauge('queue.age', 2)] }] },
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'otel-partial' } }] },
          scopeMetrics: [{ metrics: [gauge('queue.depth', 7)] }],
        },
      ],
    });
    const res = await post('/v1/metrics', body, { 'content-type': 'application/x-protobuf', ...bearer(ADMIN) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-protobuf');
    const answer = decodeResponse('metrics', new Uint8Array(await res.arrayBuffer()));
    assert.equal(answer.partialSuccess?.rejectedDataPoints, '2');
    assert.match(answer.partialSuccess?.errorMessage ?? '', /service\.name/);
    const [agent] = await agentNamed('otel-partial');
    assert.ok(agent);
    const rows = await points((agent as { id: string }).id, ['custom.queue.depth', 'cpu_usage_percent']);
    assert.deepEqual(rows.map((r) => [r['custom.queue.depth'], r.cpu_usage_percent]), [[7, 0]]);
  });

  it(`partial success (JSON): past ${MAX_CUSTOM_KEYS_PER_AGENT} custom keys an agent's new keys are refused and counted`, async () => {
    const a = await register(t, { name: 'otel-cardinality' });
    const metrics = Array.from({ length: MAX_CUSTOM_KEYS_PER_AGENT + 3 }, (_, i) => gauge(`labels.k${i}`, i));
    const res = await post('/v1/metrics', JSON.stringify({ resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ metrics }] }] }), {
      'content-type': 'application/json',
      ...bearer(a.key),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const answer = (await res.json()) as { partialSuccess: { rejectedDataPoints: string; errorMessage: string } };
    assert.equal(answer.partialSuccess.rejectedDataPoints, '3');
    assert.match(answer.partialSuccess.errorMessage, /100 custom metric keys/);
    assert.match(answer.partialSuccess.errorMessage, /labels\.k100/);
    // The agent key ties the data to its agent, whatever the resource says.
    const rows = await points(a.id, ['custom.labels.k0', 'custom.labels.k99', 'custom.labels.k100']);
    assert.deepEqual(rows.map((r) => [r['custom.labels.k0'], r['custom.labels.k99'], r['custom.labels.k100']]), [[0, 99, null]]);
    // The refusal is counted in agentmon's own metrics, by signal and reason.
    const scrape = (await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(ADMIN) })).body;
    const sample = (series: string) => Number(scrape.split('\n').find((l) => l.startsWith(`${series} `))?.split(' ')[1]);
    assert.equal(sample('agentmon_otlp_rejected_total{signal="metrics",reason="custom_key_limit"}'), 3);
    assert.equal(sample('agentmon_otlp_custom_keys_refused_total{signal="metrics"}'), 3);
    assert.ok(sample('agentmon_otlp_accepted_total{signal="metrics"}') >= 100, 'the points taken are counted too');
    assert.ok(sample('agentmon_otlp_rejected_total{signal="metrics",reason="no_service_name"}') >= 2, 'the earlier export without service.name');
  });

  it('a full export answers an empty response (no partial_success)', async () => {
    const res = await post('/v1/metrics', JSON.stringify({ resourceMetrics: [] }), { 'content-type': 'application/json', ...bearer(ADMIN) });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {});
  });

  it('bad bodies: 400 naming what is wrong, in the request encoding', async () => {
    const garbage = await post('/v1/metrics', Buffer.from([0x0a, 0xff, 0xff, 0xff]), { 'content-type': 'application/x-protobuf', ...bearer(ADMIN) });
    assert.equal(garbage.status, 400);
    const status = decodeStatus(new Uint8Array(await garbage.arrayBuffer()));
    assert.equal(status.code, 3);
    assert.match(status.message ?? '', /not a valid protobuf ExportMetricsServiceRequest/);

    const missingTime = JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'x', gauge: { dataPoints: [{ asDouble: 1 }] } }] }] }] });
    const json = await post('/v1/metrics', missingTime, { 'content-type': 'application/json', ...bearer(ADMIN) });
    assert.equal(json.status, 400);
    const body = (await json.json()) as { error: string; message: string; details: { path: string }[] };
    assert.equal(body.error, 'INVALID_OTLP');
    assert.deepEqual(body.details.map((d) => d.path), ['/body/resourceMetrics/0/scopeMetrics/0/metrics/0/gauge/dataPoints/0/timeUnixNano']);

    const notGzip = await post('/v1/traces', '{}', { 'content-type': 'application/json', 'content-encoding': 'gzip', ...bearer(ADMIN) });
    assert.equal(notGzip.status, 400);
    assert.match(((await notGzip.json()) as { message: string }).message, /not valid gzip/);

    const notJson = await post('/v1/traces', gzipSync('{"resourceSpans": [oops'), { 'content-type': 'application/json', 'content-encoding': 'gzip', ...bearer(ADMIN) });
    assert.equal(notJson.status, 400);
    assert.match(((await notJson.json()) as { message: string }).message, /not valid JSON/);

    const text = await post('/v1/metrics', 'hello', { 'content-type': 'text/plain', ...bearer(ADMIN) });
    assert.equal(text.status, 415);
  });

  it('no token: 401; a bad token: 401', async () => {
    const none = await post('/v1/metrics', '{}', { 'content-type': 'application/json' });
    assert.equal(none.status, 401);
    assert.match(((await none.json()) as { message: string }).message, /Bearer/);
    const bad = await post('/v1/traces', '{}', { 'content-type': 'application/x-protobuf', authorization: 'Bearer not-a-real-token-at-all' });
    assert.equal(bad.status, 401);
    assert.equal(decodeStatus(new Uint8Array(await bad.arrayBuffer())).code, 16);
  });

  it('spans that are not GenAI work register no agent', async () => {
    const body = encodeRequest('traces', {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'otel-web-only' } }] },
          scopeSpans: [{ spans: [{ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), name: 'GET /', startTimeUnixNano: nowNs(), endTimeUnixNano: nowNs() }] }],
        },
      ],
    });
    const res = await post('/v1/traces', body, { 'content-type': 'application/x-protobuf', ...bearer(ADMIN) });
    assert.equal(res.status, 200);
    assert.deepEqual(decodeResponse('traces', new Uint8Array(await res.arrayBuffer())), {});
    assert.deepEqual(await agentNamed('otel-web-only'), []);
  });

  it('failed spans of an unknown agent: 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/agents/nobody/failed-spans', headers: bearer(ADMIN) });
    assert.equal(res.statusCode, 404);
  });
});
