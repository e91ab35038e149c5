import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { UsageReport, UsageRow } from '@agentmon/schema';
import { AgentMonitor, AgentmonClient, type AgentIdentity, type MonitorErrorContext } from '../src/node/index.js';
import { ADMIN, REGISTRATION, startTestServer, waitFor, type TestServer } from './server.js';

let seq = 0;
const identity = (): AgentIdentity => ({
  name: `sdk-usage-agent-${++seq}`,
  type: 'llm_agent',
  version: '1.0.0',
  environment: 'test',
  host: 'test-host',
});

// The shipped price of gpt-4o-mini, USD per million tokens (packages/server/src/engine/default-prices.ts).
const MINI_INPUT = 0.15;
const MINI_OUTPUT = 0.6;

const byModel = (report: UsageReport, model: string): UsageRow => {
  const row = report.rows.find((r) => r.model === model);
  assert.ok(row, `a row for ${model} in ${JSON.stringify(report.rows)}`);
  return row;
};

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual}, expected ${expected}`);

async function tokensProcessed(admin: AgentmonClient, agentId: string): Promise<number> {
  const res = await admin.queryMetrics({
    agent_ids: [agentId],
    start_time: new Date(Date.now() - 3600_000).toISOString(),
    end_time: new Date(Date.now() + 60_000).toISOString(),
    metric_names: ['tokens_processed'],
  });
  return (res.data as Record<string, unknown>[]).reduce((n, r) => n + (typeof r.tokens_processed === 'number' ? r.tokens_processed : 0), 0);
}

describe('AgentMonitor model usage against a real server', () => {
  let t: TestServer;
  let admin: AgentmonClient;
  before(async () => {
    t = await startTestServer();
    admin = new AgentmonClient({ url: t.url, token: ADMIN });
  });
  after(async () => {
    await t?.dispose();
  });

  it('reports tokens in and out, calls and cost by model; the server prices what has a price and names what has none', async () => {
    const errors: { message: string; context: MonitorErrorContext }[] = [];
    const monitor = new AgentMonitor({
      url: t.url,
      token: REGISTRATION,
      agent: identity(),
      collector: null,
      metricsIntervalMs: 60_000,
      onError: (err, context) => errors.push({ message: err.message, context }),
    });
    await monitor.start();
    await waitFor(() => monitor.stats().sent >= 1, 'the first payload at start');

    // gpt-4o-mini: priced by the server, except the last record, whose cost the provider gave.
    monitor.recordInference(120, { model: 'gpt-4o-mini', provider: 'openai', inputTokens: 1000, outputTokens: 200 });
    monitor.recordApiCall(80, { model: 'gpt-4o-mini', inputTokens: 3000, outputTokens: 800 });
    monitor.recordTokens(500, { model: 'gpt-4o-mini', type: 'input' });
    monitor.recordTokens(100, { model: 'gpt-4o-mini' }); // no type: output
    monitor.recordModelUsage({ model: 'gpt-4o-mini', inputTokens: 2000, outputTokens: 1000, calls: 1, costUsd: 0.5 });
    // my-local-llama: no price anywhere.
    monitor.recordModelUsage({ model: 'my-local-llama', provider: 'ollama', inputTokens: 7000, outputTokens: 1500, calls: 3 });
    monitor.recordInference(50, { model: 'my-local-llama', tokens: 40 }); // tokens of a model call, side unknown: output
    // No model: tokens_processed only, as before.
    monitor.recordTokens(250);
    monitor.recordApiCall(30, { tokens: 10, inputTokens: 5 });
    // Refused whole (reported, never thrown, nothing counted).
    monitor.recordInference(10, { inputTokens: 999, costUsd: 1 });
    monitor.recordTokens(999, { model: '' });
    monitor.recordModelUsage({ model: 'gpt-4o-mini', inputTokens: 999, outputTokens: -1 });
    monitor.recordTokens(999, { model: 'gpt-4o-mini', type: 'prompt' as never });
    monitor.recordApiCall(10, { inputTokens: 999, outputTokens: Number.NaN });

    const stop = await monitor.stop();
    assert.equal(stop.unsent, 0);
    const id = monitor.id as string;

    assert.deepEqual(
      errors.map((e) => [e.context.operation, e.message.split(':')[0]]),
      [
        ['record', 'recordInference'],
        ['record', 'recordTokens'],
        ['record', 'recordModelUsage'],
        ['record', 'recordTokens'],
        ['record', 'recordApiCall'],
      ],
    );
    assert.match(errors[0]?.message ?? '', /costUsd needs the model/);

    const report = await admin.getUsage({ start_time: 'now-1h', agent: id, group_by: 'model' });
    const mini = byModel(report, 'gpt-4o-mini');
    assert.equal(mini.input_tokens, 1000 + 3000 + 500 + 2000);
    assert.equal(mini.output_tokens, 200 + 800 + 100 + 1000);
    assert.equal(mini.calls, 3, 'the inference, the API call and the usage record of one call');
    // What the server priced (4,500 in and 1,100 out at the list price), plus the cost the provider gave.
    const miniCost = ((1000 + 3000 + 500) * MINI_INPUT + (200 + 800 + 100) * MINI_OUTPUT) / 1e6 + 0.5;
    close(mini.cost_usd, miniCost, 'gpt-4o-mini cost');
    assert.equal(mini.priced, true);

    const llama = byModel(report, 'my-local-llama');
    assert.equal(llama.input_tokens, 7000);
    assert.equal(llama.output_tokens, 1540);
    assert.equal(llama.calls, 4);
    assert.equal(llama.cost_usd, 0);
    assert.equal(llama.priced, false);
    assert.deepEqual(report.unpriced_models, ['my-local-llama']);

    assert.equal(report.rows.length, 2);
    assert.equal(report.totals.input_tokens, 6500 + 7000);
    assert.equal(report.totals.output_tokens, 2100 + 1540);
    assert.equal(report.totals.calls, 7);
    close(report.totals.cost_usd, miniCost, 'total cost');

    // tokens_processed stays every token: by model or not.
    assert.equal(await tokensProcessed(admin, id), 6500 + 2100 + 7000 + 1540 + 250 + 15);
  });

  it("sends each interval's usage once, and at most 50 models per payload", async () => {
    const monitor = new AgentMonitor({ url: t.url, token: REGISTRATION, agent: identity(), collector: null, metricsIntervalMs: 60_000 });
    await monitor.start();
    await waitFor(() => monitor.stats().sent >= 1, 'the first payload at start');
    monitor.recordInference(100, { model: 'gpt-4o-mini', inputTokens: 1000, outputTokens: 100 });
    // A second payload ends the first interval: stop() and start() again (the agent keeps its id).
    await monitor.stop();
    await monitor.start();
    await waitFor(() => monitor.stats().sent >= 3, 'the payload at the restart');
    monitor.recordInference(100, { model: 'gpt-4o-mini', inputTokens: 2000, outputTokens: 200 });
    // 51 more models, one token each: 52 in the interval, so the two smallest are left out (the payload is not refused).
    for (let i = 0; i < 51; i++) monitor.recordTokens(1, { model: `tiny-${String(i).padStart(2, '0')}` });
    const stop = await monitor.stop();
    assert.equal(stop.unsent, 0);
    assert.equal(monitor.stats().rejected, 0, 'no payload refused');
    const id = monitor.id as string;

    const report = await admin.getUsage({ start_time: 'now-1h', agent: id });
    const mini = byModel(report, 'gpt-4o-mini');
    assert.equal(mini.input_tokens, 3000, 'the first interval is not counted again in the second');
    assert.equal(mini.output_tokens, 300);
    assert.equal(mini.calls, 2);
    close(mini.cost_usd, (3000 * MINI_INPUT + 300 * MINI_OUTPUT) / 1e6, 'gpt-4o-mini cost');
    const tiny = report.rows.filter((r) => r.model?.startsWith('tiny-'));
    assert.equal(tiny.length, 49, '50 models in the payload: gpt-4o-mini and 49 of the 51 tiny ones');
    assert.equal(await tokensProcessed(admin, id), 1100 + 2200 + 51);
  });
});
