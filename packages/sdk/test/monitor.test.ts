import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AgentMonitor, AgentmonClient, DROPPED_PAYLOADS_METRIC, type AgentIdentity, type KeyStore, type MonitorErrorContext, type StoredKey } from '../src/node/index.js';
import { ADMIN, REGISTRATION, freePort, sleep, startTestServer, waitFor, type TestServer } from './server.js';

let seq = 0;
const identity = (over: Partial<AgentIdentity> = {}): AgentIdentity => ({
  name: `sdk-agent-${++seq}`,
  type: 'llm_agent',
  version: '2.1.0',
  environment: 'test',
  host: 'test-host',
  deployment_type: 'docker',
  tags: ['sdk'],
  ...over,
});

type Row = Record<string, unknown> & { timestamp: string };

/** Every stored payload of an agent (raw points), oldest first. */
async function points(admin: AgentmonClient, agentId: string, metricNames: string[]): Promise<Row[]> {
  const res = await admin.queryMetrics({
    agent_ids: [agentId],
    start_time: new Date(Date.now() - 3600_000).toISOString(),
    end_time: new Date(Date.now() + 60_000).toISOString(),
    metric_names: metricNames,
  });
  return (res.data as Row[]).sort((a, b) => a.timestamp.localeCompare(b.timestamp));
}

const sum = (rows: Row[], name: string) => rows.reduce((n, r) => n + (typeof r[name] === 'number' ? (r[name] as number) : 0), 0);

describe('AgentMonitor against a real server', () => {
  let t: TestServer;
  let admin: AgentmonClient;
  before(async () => {
    t = await startTestServer();
    admin = new AgentmonClient({ url: t.url, token: ADMIN });
  });
  after(async () => {
    await t?.dispose();
  });

  it('reports resources, performance, AI, custom metrics and timed health checks that arrive right', async () => {
    const errors: MonitorErrorContext[] = [];
    const monitor = new AgentMonitor({
      url: t.url,
      token: REGISTRATION,
      agent: identity({ description: 'answers questions' }),
      metricsIntervalMs: 200,
      healthCheckIntervalMs: 200,
      healthChecks: {
        database: async () => {
          await sleep(30);
          return true;
        },
        cache: () => ({ status: false, message: 'cache is cold' }),
      },
      onError: (_, ctx) => errors.push(ctx),
    });
    await monitor.start();
    const id = monitor.id;
    assert.ok(id);
    assert.equal(monitor.stats().registered, true);

    await monitor.track(async () => sleep(20));
    await monitor.track(async () => sleep(40));
    await assert.rejects(monitor.track(async () => {
      throw new Error('the host task failed');
    }), /the host task failed/, "the task's own error reaches the host unchanged");
    assert.equal(monitor.track(() => 7), 7, 'sync functions are tracked too');
    const pending = monitor.startTask();
    monitor.recordTokens(1200);
    monitor.recordInference(150, { confidence: 0.9 });
    monitor.recordInference(250, { confidence: 0.7, tokens: 300 });
    monitor.recordApiCall(80);
    monitor.setContextLength(8192);
    monitor.setAccuracy(0.91);
    monitor.setMetric('queue_depth', 7);
    monitor.setMetric('model', 'gpt-4o');
    monitor.incrementMetric('cache_misses', 2);
    await waitFor(() => monitor.stats().healthReports >= 2, 'two health reports');
    const health = await admin.getHealth(id);
    pending.succeed();
    const stop = await monitor.stop();
    assert.equal(stop.unsent, 0);

    const database = health.checks.find((c) => c.name === 'database');
    const cache = health.checks.find((c) => c.name === 'cache');
    assert.equal(database?.status, true);
    assert.ok((database?.execution_time_ms ?? 0) >= 25, `execution time measured: ${database?.execution_time_ms}`);
    assert.equal(cache?.status, false);
    assert.equal(cache?.message, 'cache is cold');
    assert.ok(health.last_heartbeat, 'heartbeats arrive');

    const rows = await points(admin, id, [
      'cpu_usage_percent',
      'memory_usage_bytes',
      'disk_usage_bytes',
      'tasks_completed',
      'tasks_failed',
      'tasks_pending',
      'average_response_time_ms',
      'tokens_processed',
      'model_inference_time_ms',
      'confidence_score',
      'context_length',
      'model_accuracy',
      'api_calls_made',
      'uptime_seconds',
      'custom.queue_depth',
      'custom.cache_misses',
      'custom.process.memory_rss_bytes',
    ]);
    assert.equal(rows.length, monitor.stats().produced, 'every payload built arrived once');
    assert.equal(sum(rows, 'tasks_completed'), 4, 'three tracked successes and the handle');
    assert.equal(sum(rows, 'tasks_failed'), 1);
    assert.equal(sum(rows, 'tokens_processed'), 1500);
    assert.equal(sum(rows, 'api_calls_made'), 1);
    assert.equal(sum(rows, 'custom.cache_misses'), 2);
    const withInference = rows.find((r) => r.model_inference_time_ms !== null && r.model_inference_time_ms !== undefined);
    assert.equal(withInference?.model_inference_time_ms, 200);
    assert.equal(withInference?.confidence_score, 0.8);
    const last = rows.at(-1) as Row;
    assert.equal(last['custom.queue_depth'], 7);
    assert.equal(last.context_length, 8192);
    assert.equal(last.model_accuracy, 0.91);
    assert.ok((last.memory_usage_bytes as number) > 1_000_000, 'the Node collector measured this process');
    assert.ok((last.disk_usage_bytes as number) > 0);
    assert.ok((last['custom.process.memory_rss_bytes'] as number) > 0);
    assert.equal(typeof last.cpu_usage_percent, 'number');
    const withTasks = rows.find((r) => (r.tasks_completed as number) > 0);
    assert.ok((withTasks?.average_response_time_ms as number) >= 10);

    const detail = await admin.getAgent(id);
    assert.equal(detail.description, 'answers questions');
    assert.equal(detail.deployment_type, 'docker');
    assert.deepEqual(errors.filter((e) => e.operation !== 'health_check'), [], 'nothing failed');
  });

  it('keeps its agent_id across restarts of the monitor (the key kept in a key store)', async () => {
    const who = identity();
    let kept: StoredKey | null = null;
    const keyStore: KeyStore = { load: () => kept, save: (key) => void (kept = key) };
    const first = new AgentMonitor({ url: t.url, token: REGISTRATION, agent: who, collector: null, keyStore });
    await first.start();
    await first.stop();
    assert.equal((kept as StoredKey | null)?.agent_id, first.id);
    const second = new AgentMonitor({ url: t.url, token: REGISTRATION, agent: { ...who }, collector: null, keyStore });
    await second.start();
    assert.ok(first.id);
    assert.equal(second.id, first.id);
    await second.stop();
    assert.equal((await admin.listAgents({ q: who.name })).total, 1);
  });

  it("follows the server's interval changes", async () => {
    const who = identity();
    // Registered and configured ahead, so the monitor's own registration answers with 1 s.
    const reg = await admin.registerAgent({ ...who, deployment_type: 'docker', host: 'test-host' });
    await admin.patchConfig(reg.agent_id, { metrics_interval_seconds: 1 });
    const monitor = new AgentMonitor({ url: t.url, token: REGISTRATION, agent: who, collector: null });
    await monitor.start();
    assert.equal(monitor.stats().metricsIntervalMs, 1000);
    assert.equal(monitor.stats().healthCheckIntervalMs, 30_000);
    await waitFor(() => monitor.stats().sent >= 2, 'two payloads at 1 s');
    await admin.patchConfig(reg.agent_id, { metrics_interval_seconds: 2, health_check_interval_seconds: 7 });
    await waitFor(() => monitor.stats().metricsIntervalMs === 2000, 'the new interval learnt from a receipt', 5000);
    assert.equal(monitor.stats().healthCheckIntervalMs, 7000);
    const sentAtChange = monitor.stats().sent;
    await waitFor(() => monitor.stats().sent > sentAtChange, 'a payload at the new interval', 5000);
    await monitor.stop();
    const rows = await points(admin, reg.agent_id, ['tasks_completed']);
    const times = rows.map((r) => Date.parse(r.timestamp));
    const gaps = times.slice(1).map((x, i) => x - (times[i] as number));
    assert.ok(gaps.some((g) => g >= 900 && g <= 1400), `1 s apart first: ${gaps.join(', ')}`);
    assert.ok(gaps.some((g) => g >= 1800 && g <= 2600), `2 s apart after the change: ${gaps.join(', ')}`);
  });

  it('times out a hanging health check and reports it failing with its execution time', async () => {
    const monitor = new AgentMonitor({
      url: t.url,
      token: REGISTRATION,
      agent: identity(),
      collector: null,
      healthCheckTimeoutMs: 100,
      healthCheckIntervalMs: 60_000,
      healthChecks: { stuck: () => new Promise<boolean>(() => undefined), broken: () => { throw new Error('no route to host'); } },
    });
    await monitor.start();
    const results = await monitor.runHealthChecks();
    await monitor.stop();
    const stuck = results.find((r) => r.name === 'stuck');
    assert.equal(stuck?.status, false);
    assert.match(stuck?.message ?? '', /timed out after 100 ms/);
    assert.ok((stuck?.execution_time_ms ?? 0) >= 90);
    const broken = results.find((r) => r.name === 'broken');
    assert.equal(broken?.status, false);
    assert.equal(broken?.message, 'no route to host');
    const health = await admin.getHealth(monitor.id as string);
    assert.equal(health.checks.find((c) => c.name === 'stuck')?.status, false);
  });

  it('stop() flushes the interval so far', async () => {
    const monitor = new AgentMonitor({ url: t.url, token: REGISTRATION, agent: identity(), collector: null, metricsIntervalMs: 60_000 });
    await monitor.start();
    await waitFor(() => monitor.stats().sent >= 1, 'the first payload at start');
    for (let i = 0; i < 5; i++) monitor.recordTask(10, true);
    monitor.recordTokens(77);
    const result = await monitor.stop();
    assert.equal(result.sent, 1);
    assert.equal(result.unsent, 0);
    assert.equal(monitor.stats().state, 'stopped');
    const rows = await points(admin, monitor.id as string, ['tasks_completed', 'tokens_processed']);
    assert.equal(sum(rows, 'tasks_completed'), 5);
    assert.equal(sum(rows, 'tokens_processed'), 77);
  });

  it('registers again when its key is revoked (the agent was deregistered) and keeps its id', async () => {
    const monitor = new AgentMonitor({
      url: t.url,
      token: REGISTRATION,
      agent: identity(),
      collector: null,
      metricsIntervalMs: 100,
      retry: { initialDelayMs: 20, maxDelayMs: 100 },
    });
    await monitor.start();
    const id = monitor.id as string;
    await admin.deleteAgent(id);
    await waitFor(() => monitor.stats().registrations >= 2, 're-registration');
    await waitFor(async () => (await points(admin, id, ['tasks_completed'])).length > 0, 'payloads after re-registration');
    await monitor.stop();
    assert.equal(monitor.id, id);
    assert.equal((await admin.getAgent(id)).id, id);
  });
});

describe('AgentMonitor when the server is away', () => {
  it('never throws: a server down at start, records, stop; then it comes up and gets what was buffered', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const seen: string[] = [];
    const monitor = new AgentMonitor({
      url,
      token: REGISTRATION,
      agent: identity(),
      collector: null,
      metricsIntervalMs: 100,
      healthCheckIntervalMs: 100,
      retry: { initialDelayMs: 50, maxDelayMs: 200 },
      onError: (_, ctx) => seen.push(ctx.operation),
    });
    await monitor.start();
    assert.equal(monitor.stats().registered, false);
    assert.ok(seen.includes('register'));
    monitor.recordTask(5, false);
    monitor.recordTokens(10);
    monitor.setMetric('x', 1);
    monitor.incrementMetric('y');
    await monitor.runHealthChecks();
    assert.deepEqual(await monitor.flush(), { sent: 0, remaining: monitor.stats().buffered });
    await sleep(300);
    assert.ok(monitor.stats().buffered >= 2, 'payloads wait while the server is away');

    const t = await startTestServer({ port });
    try {
      await waitFor(() => monitor.stats().registered && monitor.stats().buffered === 0, 'registered and drained', 10_000);
      await monitor.stop();
      const admin = new AgentmonClient({ url, token: ADMIN });
      const rows = await points(admin, monitor.id as string, ['tasks_failed', 'tokens_processed']);
      assert.equal(new Set(rows.map((r) => r.timestamp)).size, monitor.stats().produced);
      assert.equal(sum(rows, 'tasks_failed'), 1);
      assert.equal(sum(rows, 'tokens_processed'), 10);
    } finally {
      await t.dispose();
    }
  });

  it('stop() with no server gives up at its time limit and says what is unsent', async () => {
    const port = await freePort();
    const monitor = new AgentMonitor({ url: `http://127.0.0.1:${port}`, token: REGISTRATION, agent: identity(), collector: null });
    await monitor.start();
    monitor.recordTask(1);
    const began = Date.now();
    const result = await monitor.stop({ timeoutMs: 300 });
    assert.ok(Date.now() - began < 2000, 'bounded wait');
    assert.ok(result.unsent >= 1);
    assert.equal(monitor.stats().state, 'stopped');
  });

  it('checks its options in the constructor only', () => {
    const base = { url: 'http://127.0.0.1:1', token: REGISTRATION, agent: identity() };
    assert.throws(() => new AgentMonitor({ ...base, agent: { ...identity(), type: 'robot' as never } }), /agent.type/);
    assert.throws(() => new AgentMonitor({ ...base, token: '' }), /token/);
    assert.throws(() => new AgentMonitor({ ...base, url: 'nope' }), /url/);
    assert.throws(() => new AgentMonitor({ ...base, maxBatchSize: 5000 }), /maxBatchSize/);
    const ok = new AgentMonitor({ ...base, agent: { name: 'n', type: 'custom', version: '1', environment: 'e' } });
    assert.equal(ok.stats().state, 'idle');
    // Bad input to recording methods is reported, never thrown.
    ok.setMetric(DROPPED_PAYLOADS_METRIC, 1);
    ok.setMetric('big', 10n);
    ok.recordTokens(Number.NaN);
  });
});
