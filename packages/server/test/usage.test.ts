/**
 * LLM usage and spend through the HTTP API: payloads carry tokens by model, the server prices them
 * at ingest with its table (shipped, then set through the API), the usage report sums them by
 * model, agent or both, and spend budgets alert at their warning ratio and limit and resolve when
 * the period turns. Every figure is one the test computes from what it sent.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BudgetStatus, UsageReport } from '@agentmon/schema';
import { ADMIN, bearer, eachBackend, metricsBody, register, testApp, type TestApp } from './harness.js';

/** Shipped prices, USD per million tokens: gpt-4o 2.50 / 10, gpt-4o-mini 0.15 / 0.60. */
const GPT4O_COST = (1_000_000 * 2.5 + 200_000 * 10) / 1e6; // 4.50
const MINI_COST = (2_000_000 * 0.15 + 1_000_000 * 0.6) / 1e6; // 0.90
const GIVEN_COST = 0.25;

const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;

eachBackend('LLM usage and spend', (backend) => {
  let t: TestApp;
  let a: { id: string; key: string };
  let b: { id: string; key: string };
  before(async () => {
    t = await testApp(backend);
    a = await register(t, { name: 'writer', environment: 'production' });
    b = await register(t, { name: 'summariser', environment: 'staging' });
  });
  after(async () => t.close());

  const get = async <T>(url: string): Promise<T> => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: bearer(ADMIN) });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as T;
  };
  const send = (id: string, key: string, body: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/metrics`, headers: bearer(key), payload: body });
  const range = () => `start_time=${encodeURIComponent(new Date(t.clock.now - 3_600_000).toISOString())}&end_time=${encodeURIComponent(new Date(t.clock.now + 1000).toISOString())}`;

  it('prices each model at ingest: a dated variant takes its family price, an agent-given cost wins, an unknown model counts tokens at $0', async () => {
    const first = await send(a.id, a.key, {
      ...metricsBody(a.id),
      performance_metrics: { tasks_completed: 9 },
      model_usage: [
        { model: 'gpt-4o-2024-08-06', provider: 'openai', input_tokens: 600_000, output_tokens: 200_000, calls: 3 },
        // The same model twice in one payload adds up.
        { model: 'gpt-4o-2024-08-06', input_tokens: 400_000, calls: 1 },
        { model: 'my-llama', input_tokens: 5_000, output_tokens: 1_000, calls: 2 },
        { model: 'claude-sonnet-4-20250514', input_tokens: 10, output_tokens: 10, cost_usd: GIVEN_COST },
      ],
    });
    assert.equal(first.statusCode, 202, first.body);
    assert.equal((await send(b.id, b.key, { ...metricsBody(b.id), performance_metrics: { tasks_completed: 3 }, model_usage: [{ model: 'gpt-4o-mini', input_tokens: 2_000_000, output_tokens: 1_000_000 }] })).statusCode, 202);

    const byModel = await get<UsageReport>(`/usage?${range()}`);
    assert.deepEqual(
      byModel.rows.map((r) => [r.model, r.input_tokens, r.output_tokens, r.calls, r.priced]),
      [
        ['gpt-4o-2024-08-06', 1_000_000, 200_000, 4, true],
        ['gpt-4o-mini', 2_000_000, 1_000_000, 0, true],
        ['claude-sonnet-4-20250514', 10, 10, 0, true],
        ['my-llama', 5_000, 1_000, 2, false],
      ],
    );
    assert.ok(close(byModel.rows[0]?.cost_usd ?? -1, GPT4O_COST));
    assert.ok(close(byModel.rows[1]?.cost_usd ?? -1, MINI_COST));
    assert.equal(byModel.rows[2]?.cost_usd, GIVEN_COST);
    assert.equal(byModel.rows[3]?.cost_usd, 0);
    assert.deepEqual(byModel.unpriced_models, ['my-llama']);
    assert.ok(close(byModel.totals.cost_usd, GPT4O_COST + MINI_COST + GIVEN_COST));
    assert.equal(byModel.totals.input_tokens, 3_005_010);
    assert.equal(byModel.totals.tasks_completed, 12);
    assert.ok(close(byModel.totals.cost_per_task_usd ?? -1, (GPT4O_COST + MINI_COST + GIVEN_COST) / 12));

    const byAgent = await get<UsageReport>(`/usage?${range()}&group_by=agent`);
    assert.deepEqual(byAgent.rows.map((r) => [r.agent_name, r.tasks_completed, r.priced]), [['writer', 9, false], ['summariser', 3, true]]);
    assert.ok(close(byAgent.rows[0]?.cost_usd ?? -1, GPT4O_COST + GIVEN_COST));
    assert.ok(close(byAgent.rows[0]?.cost_per_task_usd ?? -1, (GPT4O_COST + GIVEN_COST) / 9));

    // Filters: an environment, an agent by name, a model.
    const staging = await get<UsageReport>(`/usage?${range()}&environment=staging&group_by=agent_model`);
    assert.deepEqual(staging.rows.map((r) => [r.agent_name, r.model]), [['summariser', 'gpt-4o-mini']]);
    const writer = await get<UsageReport>(`/usage?${range()}&agent=writer&model=my-llama`);
    assert.deepEqual(writer.rows.map((r) => [r.model, r.input_tokens]), [['my-llama', 5_000]]);

    // The same figures are series of the metrics query: spend over time charts from them.
    const q = await get<{ data: Record<string, unknown>[] }>(`/metrics/query?${range()}&metric_names=custom.gen_ai.cost_usd,custom.gen_ai.model.my-llama.input_tokens&aggregation=sum&group_by=none`);
    assert.ok(close(q.data[0]?.['custom.gen_ai.cost_usd'] as number, GPT4O_COST + MINI_COST + GIVEN_COST));
    assert.equal(q.data[0]?.['custom.gen_ai.model.my-llama.input_tokens'], 5_000);
  });

  it('a price set through the API prices later payloads, never past spend; dropping it falls back', async () => {
    const put = await t.app.inject({ method: 'PUT', url: '/api/v1/prices', headers: bearer(ADMIN), payload: { model: 'my-llama', input_usd_per_million: 1, output_usd_per_million: 2 } });
    assert.equal(put.statusCode, 200, put.body);
    assert.deepEqual(put.json(), { model: 'my-llama', input_usd_per_million: 1, output_usd_per_million: 2, as_of: '2026-03-01', source: 'api' });
    const table = await get<{ prices: { model: string; source: string }[] }>('/prices');
    assert.equal(table.prices.find((p) => p.model === 'my-llama')?.source, 'api');
    assert.equal(table.prices.find((p) => p.model === 'gpt-4o')?.source, 'default');

    t.clock.now += 60_000;
    assert.equal((await send(a.id, a.key, { ...metricsBody(a.id), model_usage: [{ model: 'my-llama', input_tokens: 1_000_000, output_tokens: 500_000 }] })).statusCode, 202);
    const report = await get<UsageReport>(`/usage?${range()}&model=my-llama`);
    // The first payload's 6,000 tokens stay at $0; the new 1.5 M cost $1 + $1.
    assert.deepEqual(report.rows.map((r) => [r.input_tokens, r.cost_usd, r.priced]), [[1_005_000, 2, true]]);
    assert.deepEqual(report.unpriced_models, []);

    const drop = await t.app.inject({ method: 'DELETE', url: '/api/v1/prices?model=MY-LLAMA', headers: bearer(ADMIN) });
    assert.equal(drop.statusCode, 204);
    const again = await t.app.inject({ method: 'DELETE', url: '/api/v1/prices?model=gpt-4o', headers: bearer(ADMIN) });
    assert.equal(again.statusCode, 404, 'a shipped price is not an API price to drop');
    assert.deepEqual((await get<UsageReport>(`/usage?${range()}`)).unpriced_models, ['my-llama']);
  });

  it('refuses bad usage and bad prices with a 400 naming the field, storing nothing', async () => {
    const before = await get<UsageReport>(`/usage?${range()}`);
    const cases: [Record<string, unknown>, string][] = [
      [{ model_usage: [{ model: 'gpt-4o', input_tokens: -1 }] }, '/body/model_usage/0/input_tokens'],
      [{ model_usage: [{ model: '', input_tokens: 1 }] }, '/body/model_usage/0/model'],
      [{ model_usage: [{ model: 'gpt-4o', tokens: 5 }] }, '/body/model_usage/0/tokens'],
      [{ model_usage: Array.from({ length: 51 }, (_, i) => ({ model: `m${i}`, input_tokens: 1 })) }, '/body/model_usage'],
    ];
    for (const [extra, path] of cases) {
      const res = await send(a.id, a.key, { ...metricsBody(a.id), ...extra });
      assert.equal(res.statusCode, 400, res.body);
      assert.ok((res.json() as { details: { path: string }[] }).details.some((d) => d.path === path), `${path}: ${res.body}`);
    }
    assert.deepEqual((await get<UsageReport>(`/usage?${range()}`)).totals, before.totals);

    const bad = await t.app.inject({ method: 'PUT', url: '/api/v1/prices', headers: bearer(ADMIN), payload: { model: 'x', input_usd_per_million: -1, output_usd_per_million: 1 } });
    assert.equal(bad.statusCode, 400);
    assert.equal((bad.json() as { details: { path: string }[] }).details[0]?.path, '/body/input_usd_per_million');
    const badTime = await t.app.inject({ method: 'GET', url: '/api/v1/usage?start_time=yesterday', headers: bearer(ADMIN) });
    assert.equal(badTime.statusCode, 400);
    assert.equal((badTime.json() as { details: { path: string }[] }).details[0]?.path, '/querystring/start_time');
  });

  it('budgets: the fleet past its limit is critical on its top spender, an environment past its warning ratio warns, both resolve when the day turns; agent status is untouched', async () => {
    const make = async (body: Record<string, unknown>) => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/budgets', headers: bearer(ADMIN), payload: body });
      assert.equal(res.statusCode, 201, res.body);
      return res.json() as BudgetStatus;
    };
    const spentToday = GPT4O_COST + MINI_COST + GIVEN_COST + 2;
    const fleet = await make({ name: 'fleet daily', period: 'day', limit_usd: 5 });
    assert.equal(fleet.state, 'exceeded');
    assert.ok(close(fleet.spent_usd, spentToday));
    assert.equal(fleet.period_start, '2026-03-01T00:00:00.000Z');
    const staging = await make({ name: 'staging daily', period: 'day', limit_usd: 1, environment: 'staging' });
    assert.equal(staging.state, 'warning', 'spent 0.90 of 1.00: past the default 0.8');
    const monthly = await make({ name: 'summariser monthly', period: 'month', limit_usd: 100, agent_id: 'summariser' });
    assert.deepEqual([monthly.state, monthly.agent_id], ['ok', b.id]);

    const active = await get<{ items: { agent_id: string; severity: string; title: string; metric_name: string }[] }>('/alerts?active=true');
    const budgetAlerts = active.items.filter((x) => x.metric_name.startsWith('budget:')).map((x) => [x.agent_id, x.severity, x.title]).sort();
    assert.deepEqual(budgetAlerts, [
      [a.id, 'critical', 'Spend budget fleet daily exceeded'],
      [b.id, 'warning', 'Spend budget staging daily at 90 %'],
    ].sort());
    // Spend is not health: the agents stay online.
    assert.equal((await get<{ status: string }>(`/agents/${a.id}`)).status, 'online');

    const both = await t.app.inject({ method: 'POST', url: '/api/v1/budgets', headers: bearer(ADMIN), payload: { name: 'x', period: 'day', limit_usd: 1, agent_id: a.id, environment: 'staging' } });
    assert.equal(both.statusCode, 400);
    assert.equal((both.json() as { details: { path: string }[] }).details[0]?.path, '/body/environment');
    const zero = await t.app.inject({ method: 'POST', url: '/api/v1/budgets', headers: bearer(ADMIN), payload: { name: 'x', period: 'week', limit_usd: 0 } });
    assert.equal(zero.statusCode, 400);

    // A new UTC day: the daily budgets start again from nothing and their alerts resolve; the monthly one keeps counting.
    t.clock.now = Date.parse('2026-03-02T00:00:30.000Z');
    await t.app.sweeper.tick();
    const list = await get<{ budgets: BudgetStatus[] }>('/budgets');
    assert.deepEqual(list.budgets.map((x) => [x.name, x.state, x.spent_usd === 0]), [
      ['fleet daily', 'ok', true],
      ['staging daily', 'ok', true],
      ['summariser monthly', 'ok', false],
    ]);
    const after = await get<{ items: { metric_name: string }[] }>('/alerts?active=true');
    assert.equal(after.items.filter((x) => x.metric_name.startsWith('budget:')).length, 0);

    assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/budgets/${monthly.id}`, headers: bearer(ADMIN) })).statusCode, 204);
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/budgets/${monthly.id}`, headers: bearer(ADMIN) })).statusCode, 404);
  });
});

eachBackend('spend budget notifications', (backend) => {
  it('a budget past its limit is sent to the notification targets like any alert', async () => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString('utf8')));
      req.on('end', () => {
        bodies.push(text);
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const t = await testApp(backend, { webhookUrls: [url], notifyAllowedTargets: ['127.0.0.1'], notifyGroupWaitMs: 10 });
    try {
      const a = await register(t, { name: 'big-spender' });
      const sent = await t.app.inject({
        method: 'POST',
        url: `/api/v1/agents/${a.id}/metrics`,
        headers: bearer(a.key),
        payload: { ...metricsBody(a.id), model_usage: [{ model: 'gpt-4o', input_tokens: 4_000_000 }] },
      });
      assert.equal(sent.statusCode, 202, sent.body);
      const made = await t.app.inject({ method: 'POST', url: '/api/v1/budgets', headers: bearer(ADMIN), payload: { name: 'tight', period: 'month', limit_usd: 5, agent_id: a.id } });
      assert.equal(made.statusCode, 201, made.body);
      const deadline = Date.now() + 5000;
      while (!bodies.some((b) => b.includes('Spend budget tight exceeded')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const message = bodies.find((b) => b.includes('Spend budget tight exceeded'));
      assert.ok(message, `no budget notification among ${bodies.length} message(s)`);
      // 4 M input tokens of gpt-4o at $2.50 per million.
      assert.match(message, /big-spender spent \$10\.00 of \$5\.00 this month/);
    } finally {
      await t.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
