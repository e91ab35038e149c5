/**
 * The Spend page in a real browser, on a small fleet whose every token the test reports: the empty
 * state says how to send usage; then the tiles, the tables by model and by agent and the chart show
 * the dollars the shipped prices make of those tokens; a model without a price is called out and
 * priced through the form (the price table changes, and usage reported after it costs); budgets are
 * added, coloured by their state, and removed; a viewer token sees it all read-only; an agent's page
 * lists its models. Screenshots land in test-artifacts/screenshots/ (prefix `spend-`).
 *
 * The figures, at the shipped prices (USD per million tokens in / out):
 *   writer    gpt-4o            1,000,000 in, 100,000 out, 40 calls  ($2.50 / $10)  = $2.50 + $1.00 = $3.50, 10 tasks
 *   reviewer  claude-3-5-haiku    500,000 in,  50,000 out, 10 calls  ($0.80 / $4)   = $0.40 + $0.20 = $0.60,  4 tasks
 *   reviewer  my-llama            200,000 in,  20,000 out,  5 calls  (no price)     = $0
 *   total                       1,700,000 in, 170,000 out, 55 calls                 = $4.10, 14 tasks: $0.2929 a task
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { RunningServer } from '@agentmon/server';
import { shots, skip, startBench, stepper, until, type Bench } from './browser-kit.js';
import { api, payload } from './fleet.js';

const ADMIN = 'spend-test-admin-token-0123456789';
const VIEWER = 'spend-test-viewer-token-0123456789';

interface Agent {
  id: string;
  name: string;
  apiKey: string;
}

interface Usage {
  model: string;
  input_tokens: number;
  output_tokens: number;
  calls: number;
}

interface Price {
  model: string;
  input_usd_per_million: number;
  output_usd_per_million: number;
  source: string;
}

interface Budget {
  id: string;
  name: string;
  state: string;
  spent_usd: number;
}

if (skip) describe('the Spend page, in a browser', () => it('runs in chromium', { skip }, () => undefined));
else describe('the Spend page, in a browser', () => {
  let server: RunningServer;
  let page: Page;
  let call: ReturnType<typeof api>;
  let bench: Bench | undefined;
  let writer: Agent;
  let reviewer: Agent;
  let idle: Agent;

  const shot = async (name: string, p: Page = page, fullPage = true) => {
    await p.screenshot({ path: join(shots, `spend-${name}.png`), fullPage });
  };
  const step = stepper((name) => shot(name));
  const register = async (name: string, environment: string): Promise<Agent> => {
    const r = await call<{ agent_id: string; api_key: string }>('POST', '/agents', {
      name,
      type: 'llm_agent',
      version: '1.0.0',
      deployment_type: 'docker',
      host: `${name}-host`,
      environment,
    });
    return { id: r.agent_id, name, apiKey: r.api_key };
  };
  /** One payload now, as the agent sends it: `tasks` completed and exactly this model usage. */
  const report = async (a: Agent, tasks: number, usage: Usage[]) => {
    const body = payload({ id: a.id, type: 'custom', role: 'healthy' }, 0, Date.now(), 1, false, () => 0.5);
    body.performance_metrics.tasks_completed = tasks;
    body.performance_metrics.tasks_failed = 0;
    await api(server.url, a.apiKey)('POST', `/agents/${a.id}/metrics`, usage.length > 0 ? { ...body, model_usage: usage } : body);
  };
  const text = async (selector: string, p: Page = page) => ((await p.textContent(selector)) ?? '').replace(/\s+/g, ' ').trim();
  const tile = (name: string) => text(`[data-testid=tile-${name}] .value`);
  /** The table's rows as the cells' texts, keyed by the row's data attribute. */
  const rows = (table: string, key: string) =>
    page.$$eval(
      `[data-testid=${table}] tbody tr`,
      (trs, k) => trs.map((tr) => [tr.getAttribute(k as string) ?? '', ...[...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').replace(/\s+/g, ' ').trim())]),
      key,
    );
  /** Loads the Spend page afresh (a hash change alone would keep the page and its data). */
  const openSpend = async (p: Page = page, range = '') => {
    await p.goto(`${server.url}/#/spend${range ? `?range=${range}` : ''}`);
    await p.reload();
    await p.waitForSelector('[data-testid=spend-tiles], [data-testid=spend-empty]');
  };

  before(async () => {
    // Spend today and per hour are UTC buckets: a run that straddles an hour would split its
    // figures between two buckets. The whole file runs in well under two minutes.
    const minute = new Date().getUTCMinutes();
    if (minute >= 57) await new Promise((resolve) => setTimeout(resolve, (61 - minute) * 60_000 - new Date().getUTCSeconds() * 1000));
    bench = await startBench(ADMIN, 'agentmon-spend-', { viewerTokens: [VIEWER] });
    ({ server, page } = bench);
    await bench.context.addInitScript((t) => localStorage.setItem('agentmon.token', t), ADMIN);
    call = api(server.url, ADMIN);
    writer = await register('writer', 'production');
    reviewer = await register('reviewer', 'staging');
    idle = await register('idle', 'production');
    // Reporting, but no model usage yet.
    for (const a of [writer, reviewer, idle]) await report(a, 0, []);
  });

  after(async () => {
    await bench?.close();
  });

  it(
    'says how to send usage while there is none',
    { timeout: 60_000 },
    step('empty', async () => {
      await openSpend();
      await page.waitForSelector('[data-testid=spend-empty]');
      const said = await text('[data-testid=spend-empty]');
      assert.match(said, /model_usage/);
      assert.match(said, /recordTokens\(1200, \{ model: 'gpt-4o', type: 'input' \}\)/);
      assert.match(said, /OpenTelemetry.*gen_ai\.client\.token\.usage/);
      assert.equal(await page.locator('[data-testid=spend-tiles]').count(), 0, 'no tiles of zeros');
      // Budgets can be set before any usage.
      await page.waitForSelector('[data-testid=budget-form]');
      assert.equal(await page.getAttribute('[data-testid=nav-spend]', 'class'), 'active');
      await shot('01-empty');
    }),
  );

  it(
    'shows the dollars the shipped prices make of the reported tokens: tiles, by model, by agent, over time',
    { timeout: 60_000 },
    step('figures', async () => {
      await report(writer, 10, [{ model: 'gpt-4o', input_tokens: 1_000_000, output_tokens: 100_000, calls: 40 }]);
      await report(reviewer, 4, [
        { model: 'claude-3-5-haiku', input_tokens: 500_000, output_tokens: 50_000, calls: 10 },
        { model: 'my-llama', input_tokens: 200_000, output_tokens: 20_000, calls: 5 },
      ]);
      await report(idle, 3, []);
      await openSpend();
      await page.waitForSelector('[data-testid=spend-tiles]');
      assert.equal(await tile('today'), '$4.10');
      assert.equal(await tile('month'), '$4.10');
      assert.equal(await tile('range'), '$4.10');
      assert.equal(await tile('tokens-in'), '1.7M');
      assert.equal(await page.getAttribute('[data-testid=tile-tokens-in] .value', 'title'), '1,700,000 tokens');
      assert.equal(await tile('tokens-out'), '170k');
      // $4.10 over the 14 tasks of the agents that used a model (the idle agent's 3 do not count).
      assert.equal(await tile('cost-per-task'), '$0.2929');
      assert.match(await text('[data-testid=tile-cost-per-task] .foot'), /14 tasks/);
      assert.match(await text('[data-testid=tile-range] .foot'), /55 model calls/);

      // model, tokens in, tokens out, calls, cost, share of spend; largest cost first.
      assert.deepEqual(await rows('usage-by-model', 'data-model'), [
        ['gpt-4o', 'gpt-4o', '1M', '100k', '40', '$3.50', '85%'],
        ['claude-3-5-haiku', 'claude-3-5-haiku', '500k', '50k', '10', '$0.6000', '15%'],
        ['my-llama', 'my-llama no price', '200k', '20k', '5', '$0.00', '0%'],
      ]);
      const total = await page.$$eval('[data-testid=usage-by-model] tfoot td', (tds) => tds.map((td) => td.textContent ?? ''));
      assert.deepEqual(total, ['Total', '1.7M', '170k', '55', '$4.10', '100%']);
      // agent, tokens in, tokens out, cost, tasks, cost per task.
      assert.deepEqual(await rows('usage-by-agent', 'data-agent-id'), [
        [writer.id, 'writer', '1M', '100k', '$3.50', '10', '$0.3500'],
        [reviewer.id, 'reviewer unpriced models', '700k', '70k', '$0.6000', '4', '$0.1500'],
      ]);
      assert.equal(await page.getAttribute(`[data-testid=agent-usage-row][data-agent-id="${writer.id}"] a`, 'href'), `#/agents/${writer.id}`);

      // The callout names the model that counts $0.
      const callout = await text('[data-testid=unpriced-model][data-model=my-llama] [data-testid=unpriced-text]');
      assert.equal(callout, 'No price for my-llama: its cost counts as $0 — set a price.');
      assert.equal(await page.locator('[data-testid=unpriced-model]').count(), 1);

      // Spend over time: per hour over 24 h, the bars summing every agent's dollars.
      const chart = '[data-testid=spend-chart]';
      await until('the spend chart', async () => Number(await page.getAttribute(chart, 'data-points')) > 0);
      assert.match(await text(`${chart} .sub`), /^Cost per hour \(UTC\), all agents summed/);
      assert.equal(await text(`${chart} .legend span`), 'Spend per hour $4.10', 'this hour: every payload of the test');
      assert.equal(await page.locator(`${chart} canvas`).count() > 0, true);
      await shot('02-spend');

      // Over 7 days: per day, the same dollars.
      await page.click('[aria-label="Spend range"] button:text-is("7d")');
      await until('per day', async () => /^Cost per day/.test(await text(`${chart} .sub`)));
      await until('the day bar', async () => (await text(`${chart} .legend span`)) === 'Spend per day $4.10');
      assert.equal(await tile('range'), '$4.10');
      assert.match(page.url(), /range=7d/);
      assert.deepEqual(bench?.pageErrors, []);
    }),
  );

  it(
    'shows a viewer token the spend read-only: no price form, no budget form, no remove',
    { timeout: 60_000 },
    step('viewer', async () => {
      await call('POST', '/budgets', { name: 'seen by the viewer', period: 'month', limit_usd: 100 });
      assert.ok(bench);
      const ctx = await bench.browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
      ctx.setDefaultTimeout(15_000);
      await ctx.addInitScript((t) => localStorage.setItem('agentmon.token', t), VIEWER);
      const v = await ctx.newPage();
      try {
        await openSpend(v);
        await v.waitForSelector('[data-testid=read-only]');
        await v.waitForSelector('[data-testid=budget]');
        assert.equal(await text('[data-testid=unpriced-text]', v), 'No price for my-llama: its cost counts as $0 — an admin can set a price.');
        assert.equal(await v.locator('[data-testid=price-form]').count(), 0, 'no price form');
        assert.equal(await v.locator('[data-testid=budget-form]').count(), 0, 'no budget form');
        assert.equal(await v.locator('[data-testid=budget-remove]').count(), 0, 'no remove button');
        assert.equal(await text('[data-testid=tile-today] .value', v), '$4.10', 'the figures are all there');
        await shot('03-viewer', v);
      } finally {
        await ctx.close();
      }
      const seen = (await call<{ budgets: Budget[] }>('GET', '/budgets')).budgets.find((b) => b.name === 'seen by the viewer');
      assert.ok(seen);
      await call('DELETE', `/budgets/${seen.id}`);
    }),
  );

  it(
    'prices a model through the form: the price table changes, and usage reported after it costs',
    { timeout: 60_000 },
    step('price', async () => {
      await openSpend();
      const row = '[data-testid=unpriced-model][data-model=my-llama]';
      await page.waitForSelector(`${row} [data-testid=price-form]`);
      // A typo is caught before it is sent.
      await page.fill(`${row} [data-testid=price-input]`, 'one dollar');
      await page.fill(`${row} [data-testid=price-output]`, '2');
      await page.click(`${row} [data-testid=price-save]`);
      await page.waitForSelector(`${row} .err`);
      assert.equal((await call<{ prices: Price[] }>('GET', '/prices')).prices.find((p) => p.model === 'my-llama'), undefined);

      await page.fill(`${row} [data-testid=price-input]`, '1');
      await page.click(`${row} [data-testid=price-save]`);
      const price = await until('the price in the table', async () => (await call<{ prices: Price[] }>('GET', '/prices')).prices.find((p) => p.model === 'my-llama'));
      assert.ok(price);
      assert.equal(price.input_usd_per_million, 1);
      assert.equal(price.output_usd_per_million, 2);
      assert.equal(price.source, 'api');
      await page.waitForSelector('[data-testid=unpriced]', { state: 'detached' });
      // What was reported before stays at $0; new usage is priced: 1,000,000 in at $1 = $1.00.
      assert.equal(await tile('today'), '$4.10');
      await report(reviewer, 0, [{ model: 'my-llama', input_tokens: 1_000_000, output_tokens: 0, calls: 1 }]);
      await openSpend();
      await until('the new spend', async () => (await tile('today')) === '$5.10');
      const llama = (await rows('usage-by-model', 'data-model')).find((r) => r[0] === 'my-llama');
      assert.deepEqual(llama, ['my-llama', 'my-llama', '1.2M', '20k', '6', '$1.00', '20%']);
      assert.deepEqual(bench?.pageErrors, []);
    }),
  );

  it(
    'adds budgets, each shown with its spend and coloured by its state, and removes one',
    { timeout: 90_000 },
    step('budgets', async () => {
      await openSpend();
      const add = async (name: string, period: 'day' | 'month', limit: string, scope: 'fleet' | 'agent' | 'environment', target = '') => {
        await page.fill('#bg-name', name);
        await page.selectOption('#bg-period', period);
        await page.fill('#bg-limit', limit);
        await page.selectOption('#bg-scope', scope);
        if (scope === 'agent') {
          await page.fill('[data-testid=budget-form] input[aria-label=Agent]', target);
          await page.click(`[data-testid=agent-option]:has-text("${target}")`);
          await page.waitForSelector('[data-testid=budget-form] [data-testid=agent-picked]');
        }
        if (scope === 'environment') await page.fill('#bg-environment', target);
        await page.click('[data-testid=budget-submit]');
        await page.waitForSelector(`[data-testid=budget]:has([data-testid=budget-name]:text-is("${name}"))`);
      };
      // A limit that is not a number is refused in place.
      await page.fill('#bg-name', 'broken');
      await page.fill('#bg-limit', 'lots');
      await page.click('[data-testid=budget-submit]');
      await page.waitForSelector('[data-testid=budget-error-limit_usd]');

      // Today the fleet spent $5.10, the writer $3.50, staging (the reviewer) $1.60.
      await add('fleet daily', 'day', '6', 'fleet');
      await add('writer monthly', 'month', '3', 'agent', 'writer');
      await add('staging daily', 'day', '10', 'environment', 'staging');

      const budget = (name: string) => `[data-testid=budget]:has([data-testid=budget-name]:text-is("${name}"))`;
      const seen = async (name: string) => ({
        state: await page.getAttribute(budget(name), 'data-state'),
        badge: await text(`${budget(name)} [data-testid=budget-state]`),
        scope: await text(`${budget(name)} [data-testid=budget-scope]`),
        figures: await text(`${budget(name)} [data-testid=budget-figures]`),
        tone: await page.getAttribute(`${budget(name)} .budget-bar .fill`, 'data-tone'),
        width: await page.$eval(`${budget(name)} .budget-bar .fill`, (el) => (el as HTMLElement).style.width),
        colour: await page.$eval(`${budget(name)} .budget-bar .fill`, (el) => getComputedStyle(el).backgroundColor),
      });
      const colour = (cssVar: string) =>
        page.evaluate((name) => {
          const probe = document.createElement('span');
          probe.style.backgroundColor = `var(${name})`;
          document.body.append(probe);
          const c = getComputedStyle(probe).backgroundColor;
          probe.remove();
          return c;
        }, cssVar);
      assert.deepEqual(await seen('fleet daily'), {
        state: 'warning',
        badge: 'Warning',
        scope: 'whole fleet',
        figures: '$5.10 of $6.00 · 85%',
        tone: 'warn',
        width: '85%',
        colour: await colour('--warn'),
      });
      assert.deepEqual(await seen('writer monthly'), {
        state: 'exceeded',
        badge: 'Exceeded',
        scope: 'agent writer',
        figures: '$3.50 of $3.00 · 117%',
        tone: 'bad',
        width: '100%',
        colour: await colour('--bad'),
      });
      assert.deepEqual(await seen('staging daily'), {
        state: 'ok',
        badge: 'OK',
        scope: 'environment staging',
        figures: '$1.60 of $10.00 · 16%',
        tone: 'ok',
        width: '16%',
        colour: await colour('--ok'),
      });
      const states = Object.fromEntries((await call<{ budgets: Budget[] }>('GET', '/budgets')).budgets.map((b) => [b.name, b.state]));
      assert.deepEqual(states, { 'fleet daily': 'warning', 'writer monthly': 'exceeded', 'staging daily': 'ok' });
      await shot('04-budgets');

      await page.click(`${budget('staging daily')} [data-testid=budget-remove]`);
      await page.click(`${budget('staging daily')} [data-testid=budget-remove-confirm]`);
      await page.waitForSelector(budget('staging daily'), { state: 'detached' });
      assert.deepEqual((await call<{ budgets: Budget[] }>('GET', '/budgets')).budgets.map((b) => b.name).sort(), ['fleet daily', 'writer monthly']);
      assert.deepEqual(bench?.pageErrors, []);
    }),
  );

  it(
    "lists an agent's models on its page, and shows no Models section for an agent without any",
    { timeout: 60_000 },
    step('agent-models', async () => {
      await page.goto(`${server.url}/#/agents/${reviewer.id}`);
      await page.waitForSelector('[data-testid=agent-models]');
      assert.deepEqual(await rows('agent-usage-by-model', 'data-model'), [
        ['my-llama', 'my-llama', '1.2M', '20k', '6', '$1.00', '63%'],
        ['claude-3-5-haiku', 'claude-3-5-haiku', '500k', '50k', '10', '$0.6000', '37%'],
      ]);
      assert.match(await text('[data-testid=agent-models] header .sub'), /^Tokens and spend, last 24h/);
      await shot('05-agent-models');

      // The idle agent reports, but no model: once its usage has been read, no section.
      const usageRead = page.waitForResponse((r) => r.url().includes('/api/v1/usage') && r.url().includes(encodeURIComponent(idle.id)));
      await page.goto(`${server.url}/#/agents/${idle.id}`);
      const answer = await usageRead;
      assert.equal(((await answer.json()) as { rows: unknown[] }).rows.length, 0);
      await page.waitForSelector('[data-testid=agent-charts]');
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      assert.equal(await page.locator('[data-testid=agent-models]').count(), 0);
      assert.deepEqual(bench?.pageErrors, []);
    }),
  );
});
