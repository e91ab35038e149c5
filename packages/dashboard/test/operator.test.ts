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
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { RunningServer } from '@agentmon/server';
import { colourPixels, shots, skip, startBench, stepper, until, type Bench } from './browser-kit.js';
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
    // The notifications step's receiver listens on loopback, which targets may not be by default.
    bench = await startBench(ADMIN, 'agentmon-operator-', { notifyAllowedTargets: ['127.0.0.1'] });
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

  /** The active alerts as the API has them: id, agent, severity, when fired, acknowledged. */
  const activeAlerts = async () =>
    (await call<{ items: { id: string; agent_id: string; severity: string; created_at: string; metric_name: string | null; acknowledged_by: string | null; ack_comment: string | null }[] }>(
      'GET',
      '/alerts?active=true&page_size=100',
    )).items;
  const rank = (severity: string) => ['critical', 'warning', 'info'].indexOf(severity);
  const listedIds = () => page.$$eval('[data-testid=alert-row][data-active=true]', (lis) => lis.map((li) => li.getAttribute('data-alert-id') ?? ''));

  it(
    'lists alerts most severe first, newest first within a severity, each with how long it fires',
    { timeout: 60_000 },
    step('alert-order', async () => {
      const api = await activeAlerts();
      assert.ok(api.length >= 3, `alerts fired: ${api.length}`);
      const expected = [...api].sort((a, b) => rank(a.severity) - rank(b.severity) || b.created_at.localeCompare(a.created_at)).map((a) => a.id);
      const newestFirst = [...api].sort((a, b) => b.created_at.localeCompare(a.created_at)).map((a) => a.id);
      assert.notDeepEqual(expected, newestFirst, 'the fleet makes the two orders differ');
      await page.goto(`${server.url}/#/alerts`);
      await until('rows', async () => (await listedIds()).length === api.length);
      assert.deepEqual(await listedIds(), expected);
      const lasting = await page.$$eval('[data-testid=alert-row][data-active=true] [data-testid=alert-lasting]', (els) => els.map((e) => e.textContent ?? ''));
      assert.equal(lasting.length, api.length);
      for (const l of lasting) assert.match(l, /^firing for \d/);
      await shot('02-alerts-by-severity');
      // "Newest" is one click away.
      await page.click('[aria-label=Order] button:text-is("Newest")');
      await until('newest first', async () => (await listedIds()).join() === newestFirst.join());
      await page.click('[aria-label=Order] button:text-is("Most severe")');
      await until('most severe again', async () => (await listedIds()).join() === expected.join());
    }),
  );

  it(
    'groups alerts by agent and by rule',
    { timeout: 60_000 },
    step('alert-groups', async () => {
      const api = await activeAlerts();
      await page.goto(`${server.url}/#/alerts`);
      await page.waitForSelector('[data-testid=alert-row]');
      await page.selectOption('select[aria-label="Group by"]', 'rule');
      await page.waitForSelector('[data-testid=alert-list][data-grouped=rule]');
      const byRule = await page.$$eval('[data-testid=alert-group]', (gs) =>
        gs.map((g) => ({ key: g.getAttribute('data-key'), ids: [...g.querySelectorAll('[data-testid=alert-row]')].map((r) => r.getAttribute('data-alert-id')) })),
      );
      const cpu = byRule.find((g) => g.key === 'cpu_usage_percent');
      assert.ok(cpu, 'a CPU group');
      assert.deepEqual(new Set(cpu.ids), new Set(api.filter((a) => a.metric_name === 'cpu_usage_percent').map((a) => a.id)));
      assert.equal(cpu.ids.length, 2, 'two agents over their CPU threshold');
      await shot('03-alerts-by-rule');

      await page.selectOption('select[aria-label="Group by"]', 'agent');
      await page.waitForSelector('[data-testid=alert-list][data-grouped=agent]');
      const byAgent = await page.$$eval('[data-testid=alert-group]', (gs) =>
        gs.map((g) => ({ key: g.getAttribute('data-key'), ids: [...g.querySelectorAll('[data-testid=alert-row]')].map((r) => r.getAttribute('data-alert-id')), head: g.querySelector('h3')?.textContent ?? '' })),
      );
      assert.equal(byAgent.length, new Set(api.map((a) => a.agent_id)).size);
      for (const g of byAgent) {
        assert.deepEqual(new Set(g.ids), new Set(api.filter((a) => a.agent_id === g.key).map((a) => a.id)));
      }
      await until('agent names in the headings', async () =>
        (await page.$$eval('[data-testid=alert-group] h3', (hs) => hs.map((h) => h.textContent ?? ''))).some((h) => h.includes('billing-worker')),
      );
      await page.selectOption('select[aria-label="Group by"]', '');
    }),
  );

  it(
    'acknowledges as the primary action, asking who and why, remembering the name; the nav counts what nobody acknowledged',
    { timeout: 60_000 },
    step('acknowledge', async () => {
      await page.goto(`${server.url}/#/alerts`);
      await page.evaluate(() => localStorage.removeItem('agentmon.ack_by'));
      await page.reload();
      await page.waitForSelector('[data-testid=alert-row]');
      const unacked = () => page.textContent('[data-testid=nav-alert-count]').then((t) => Number(t));
      const before = (await activeAlerts()).filter((a) => a.acknowledged_by === null).length;
      await until('nav count', async () => (await unacked()) === before);

      const hot = agent('billing-worker@production');
      const target = (await activeAlerts()).find((a) => a.agent_id === hot.id);
      assert.ok(target);
      const row = page.locator(`[data-testid=alert-row][data-alert-id="${target.id}"]`);
      assert.match((await row.locator('[data-testid=ack-alert]').getAttribute('class')) ?? '', /primary/, 'Acknowledge is the primary button');
      assert.doesNotMatch((await row.locator('[data-testid=resolve-alert]').getAttribute('class')) ?? '', /primary/);
      await row.locator('[data-testid=ack-alert]').click();
      const form = row.locator('[data-testid=ack-form]');
      await form.waitFor();
      assert.equal(await form.locator('[aria-label="Acknowledged by"]').inputValue(), '');
      assert.equal(await form.locator('[data-testid=ack-submit]').isDisabled(), true, 'no acknowledgement without a name');
      await form.locator('[aria-label="Acknowledged by"]').fill('ana');
      await form.locator('[aria-label=Comment]').fill('scaling the workers up');
      await shot('04-alert-ack-form');
      await form.locator('[data-testid=ack-submit]').click();
      await row.locator('[data-testid=alert-acked]').waitFor();
      assert.match((await row.locator('[data-testid=alert-acked]').textContent()) ?? '', /acknowledged by ana .*scaling the workers up/);
      const stored = (await activeAlerts()).find((a) => a.id === target.id);
      assert.equal(stored?.acknowledged_by, 'ana');
      assert.equal(stored?.ack_comment, 'scaling the workers up');
      await until('nav count drops by one', async () => (await unacked()) === before - 1);
      assert.match((await page.getAttribute('[data-testid=nav-alert-count]', 'aria-label')) ?? '', /unacknowledged/);

      // The name is remembered for the next alert, after a reload too.
      await page.reload();
      const next = page.locator('[data-testid=alert-row][data-active=true]', { has: page.locator('[data-testid=ack-alert]') }).first();
      await next.locator('[data-testid=ack-alert]').click();
      assert.equal(await next.locator('[aria-label="Acknowledged by"]').inputValue(), 'ana');
      await next.locator('button:text-is("Cancel")').click();
      await shot('05-alerts-acknowledged');
      assert.deepEqual(bench?.pageErrors, []);
    }),
  );

  it(
    'picks the agent of the alert and event filters from a list by name, or takes an id prefix',
    { timeout: 60_000 },
    step('agent-picker', async () => {
      const hot = agent('billing-worker@production');
      await page.goto(`${server.url}/#/alerts?state=all`);
      await page.waitForSelector('[data-testid=alert-row]');
      await page.fill('[aria-label=Agent]', 'billing');
      const option = page.locator(`[data-testid=agent-option][data-agent-id="${hot.id}"]`);
      await option.waitFor();
      await until('only the agent whose name matches', async () => (await page.locator('[data-testid=agent-option]').count()) === 1);
      await shot('06-alerts-agent-picker');
      await option.click();
      await page.waitForSelector(`[data-testid=agent-picked][data-agent-id="${hot.id}"]`);
      assert.match(page.url(), new RegExp(`agent_id=${hot.id}`));
      await until('only its alerts', async () => {
        const shown = await listedIds();
        const its = (await activeAlerts()).filter((a) => a.agent_id === hot.id).map((a) => a.id);
        return shown.length > 0 && shown.every((id) => its.includes(id));
      });
      assert.match((await page.textContent('[data-testid=agent-picked]')) ?? '', /billing-worker/);

      // Events: one name in two environments lists both, each with its environment; pick staging.
      const staging = agent('twin@staging');
      await page.goto(`${server.url}/#/events`);
      await page.waitForSelector('[data-testid=event-row]');
      await page.fill('[aria-label=Agent]', 'twin');
      await until('both twins listed', async () => (await page.locator('[data-testid=agent-option]').count()) === 2);
      const envs = await page.$$eval('[data-testid=agent-option]', (bs) => bs.map((b) => b.textContent ?? ''));
      assert.ok(envs.some((t) => t.includes('staging')) && envs.some((t) => t.includes('production')), envs.join(' | '));
      // Enter on an ambiguous name says so instead of picking one.
      await page.press('[aria-label=Agent]', 'Enter');
      await page.waitForSelector('[data-testid=agent-picker-problem]');
      assert.match((await page.textContent('[data-testid=agent-picker-problem]')) ?? '', /Several agents match/);
      await page.click(`[data-testid=agent-option][data-agent-id="${staging.id}"]`);
      await page.waitForSelector(`[data-testid=agent-picked][data-agent-id="${staging.id}"]`);
      await until('only its events', async () => {
        const rows = await page.$$eval('[data-testid=event-row]', (rs) => rs.map((r) => r.textContent ?? ''));
        return rows.length > 0 && rows.every((r) => r.includes('twin'));
      });
      const stored = await call<{ items: { agent_id: string }[] }>('GET', `/events?agent_id=${staging.id}`);
      assert.equal(await page.locator('[data-testid=event-row]').count(), stored.items.length);

      // An id prefix and Enter picks the agent it begins.
      await page.click('[data-testid=agent-picked] button');
      const warm = agent('search-worker@production');
      await page.fill('[aria-label=Agent]', warm.id.slice(0, 8));
      await page.press('[aria-label=Agent]', 'Enter');
      await page.waitForSelector(`[data-testid=agent-picked][data-agent-id="${warm.id}"]`);
      await shot('07-events-agent-picked');
      assert.deepEqual(bench?.pageErrors, []);
    }),
  );

  it(
    'draws the Overview fleet trends over the range picked, as the agent page does',
    { timeout: 60_000 },
    step('overview-range', async () => {
      await page.goto(`${server.url}/#/`);
      await page.waitForSelector('[data-testid=trend-charts]');
      assert.match((await page.textContent('[data-testid=trend-span]')) ?? '', /last 24h/, 'the configured default');
      for (const [label, hours] of [
        ['1h', 1],
        ['7d', 168],
      ] as const) {
        const asked = page.waitForRequest((r) => r.url().includes(`/api/v1/dashboard?trend_hours=${hours}`));
        await page.click(`[aria-label="Trend range"] button:text-is("${label}")`);
        await asked;
        assert.match(page.url(), new RegExp(`range=${label}`));
        await until('label follows', async () => (await page.textContent('[data-testid=trend-span]'))?.includes(`last ${label}`));
      }
      // Kept in the URL: a reload keeps the range.
      const again = page.waitForRequest((r) => r.url().includes('/api/v1/dashboard?trend_hours=168'));
      await page.reload();
      await again;
      await page.waitForSelector('[data-testid=trend-charts]');
      await shot('08-overview-7d');
    }),
  );

  it(
    'lists, adds, tests and deletes notification targets in Settings',
    { timeout: 60_000 },
    step('notifications', async () => {
      // A receiver the test controls, and a port where nothing listens.
      const received: string[] = [];
      const receiver = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          received.push(body);
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
      const port = (receiver.address() as AddressInfo).port;
      try {
        await page.goto(`${server.url}/#/settings`);
        await page.click('[data-testid=tab-notifications]');
        await page.waitForSelector('[data-testid=notification-form]');
        assert.equal(await page.locator('[data-testid=notification-target]').count(), 0);

        // A bad URL: the server's message next to the field, nothing added.
        await page.fill('#nt-name', 'broken');
        await page.fill('#nt-url', 'ftp://example.com/hook');
        await page.click('[data-testid=notification-add]');
        await page.waitForSelector('[data-testid=notification-error-url]');
        assert.match((await page.textContent('[data-testid=notification-error-url]')) ?? '', /http or https/);
        assert.equal((await call<{ items: unknown[] }>('GET', '/notifications')).items.length, 0);

        await page.fill('#nt-name', 'on-call');
        await page.fill('#nt-url', `http://127.0.0.1:${port}/hooks/agentmon`);
        await page.click('[data-testid=notification-add]');
        await page.locator('[data-testid=notification-target]', { hasText: 'on-call' }).waitFor();
        await page.fill('#nt-name', 'team-slack');
        await page.selectOption('#nt-kind', 'slack');
        await page.fill('#nt-url', `http://127.0.0.1:1/nothing-listens`);
        await page.click('[data-testid=notification-add]');
        await page.locator('[data-testid=notification-target]', { hasText: 'team-slack' }).waitFor();
        // Every kind the server takes is offered, Alertmanager included, and named on its row.
        assert.deepEqual(await page.locator('#nt-kind option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)), ['webhook', 'slack', 'alertmanager']);
        await page.fill('#nt-name', 'am');
        await page.selectOption('#nt-kind', 'alertmanager');
        await page.fill('#nt-url', `http://127.0.0.1:${port}/api/v2/alerts`);
        await page.click('[data-testid=notification-add]');
        const am = page.locator('[data-testid=notification-target]', { hasText: 'am' }).filter({ hasText: '/api/v2/alerts' });
        await am.waitFor();
        assert.equal((await am.locator('.badge').textContent())?.trim(), 'Alertmanager');
        // The badge fits its column: it ends before the target's name begins.
        const badge = await am.locator('.badge').boundingBox();
        const title = await am.locator('.title').boundingBox();
        assert.ok(badge && title && badge.x + badge.width <= title.x, `badge ${JSON.stringify(badge)} overlaps the name ${JSON.stringify(title)}`);
        const stored = (await call<{ items: { id: string; name: string; kind: string }[] }>('GET', '/notifications')).items;
        assert.deepEqual(stored.map((x) => `${x.name}:${x.kind}`).sort(), ['am:alertmanager', 'on-call:webhook', 'team-slack:slack']);

        // Test: the receiver gets a test message and the page says it answered; the dead one fails.
        const good = page.locator('[data-testid=notification-target]', { hasText: 'on-call' });
        await good.locator('[data-testid=notification-test]').click();
        await good.locator('[data-testid=notification-test-result][data-ok=true]').waitFor();
        assert.match((await good.locator('[data-testid=notification-test-result]').textContent()) ?? '', /answered 204/);
        assert.equal(received.length, 1);
        assert.equal((JSON.parse(received[0] as string) as { test: boolean }).test, true);
        const bad = page.locator('[data-testid=notification-target]', { hasText: 'team-slack' });
        await bad.locator('[data-testid=notification-test]').click();
        await bad.locator('[data-testid=notification-test-result][data-ok=false]').waitFor({ timeout: 30_000 });
        await shot('09-settings-notifications');

        // Delete asks first; Keep keeps it.
        await bad.locator('[data-testid=notification-delete]').click();
        await page.click('button:text-is("Keep")');
        assert.equal((await call<{ items: unknown[] }>('GET', '/notifications')).items.length, 3);
        await bad.locator('[data-testid=notification-delete]').click();
        await bad.locator('[data-testid=notification-delete-confirm]').click();
        await until('deleted', async () => (await page.locator('[data-testid=notification-target]').count()) === 2);
        assert.deepEqual((await call<{ items: { name: string }[] }>('GET', '/notifications')).items.map((x) => x.name).sort(), ['am', 'on-call']);
        assert.deepEqual(bench?.pageErrors, []);
      } finally {
        receiver.close();
      }
    }),
  );

  it(
    'charts tell the truth: a figure equals its chart\'s latest point, silences are marked, a lone value is drawn, network is a rate',
    { timeout: 90_000 },
    step('charts', async () => {
      const a = await register('chart-agent', 'production');
      const lone = await register('lone-agent', 'production');
      // The agent now reports every 10 s (30 s buckets over 1 h); its history came every 60 s: a
      // sparser history must still draw as a line.
      await call('PATCH', `/agents/${a.id}/config`, { metrics_interval_seconds: 10 });
      const now = Date.now();
      const body = (t: number, rt: number) => {
        const b = payload({ id: a.id, type: 'custom', role: 'healthy' }, 0, t, 1, false, () => 0.5);
        b.performance_metrics.average_response_time_ms = rt;
        b.resource_metrics.network_io_rx_bytes = 50_000;
        b.resource_metrics.network_io_tx_bytes = 20_000;
        return { ...b, ai_metrics: { tokens_per_second: 630 } };
      };
      const history: unknown[] = [];
      // 55 to 35 minutes ago, then a 25-minute silence, then 10 minutes ago to a minute ago.
      for (let m = 55; m >= 35; m--) history.push(body(now - m * 60_000, 400));
      for (let m = 10; m >= 2; m--) history.push(body(now - m * 60_000, 400));
      await call('POST', '/metrics', history);
      // The latest 30 s bucket holds two reports, 1 s and 3 s: its point (and the figure) is 2 s, not the last 3 s.
      const bucketStart = Math.floor(now / 30_000) * 30_000 - 30_000;
      await call('POST', '/metrics', [body(bucketStart + 5_000, 1000), body(bucketStart + 15_000, 3000)]);
      await api(server.url, lone.apiKey)('POST', `/agents/${lone.id}/metrics`, payload({ id: lone.id, type: 'custom', role: 'healthy' }, 0, Date.now(), 1, false, () => 0.5));

      await page.goto(`${server.url}/#/agents/${a.id}?range=1h`);
      await until('charts drawn', async () => Number(await page.getAttribute('[data-testid=chart-response-time]', 'data-points')) > 20, 20_000);
      const legend = async (id: string) => (await page.textContent(`[data-testid=${id}] .legend b`))?.trim() ?? '';
      const figure = async (id: string) => (await page.textContent(`[data-testid=${id}] .value`))?.trim() ?? '';
      await until('figure from the chart', async () => (await figure('figure-response-time')) === (await legend('chart-response-time')));
      assert.match(await figure('figure-response-time'), /^2(\.0+)?\s?s$|^2,000\s?ms$/, `the bucket's average: ${await figure('figure-response-time')}`);
      assert.match((await page.textContent('[data-testid=figure-response-time] .foot')) ?? '', /avg of the last 30 s/);
      assert.equal(await figure('figure-tokens'), await legend('chart-tokens'));
      assert.doesNotMatch((await page.textContent('[data-testid=figure-tokens] .foot')) ?? '', /no AI metrics/, 'tokens are AI metrics');
      // Network I/O is a rate: 50,000 bytes per 10 s report is 5,000 bytes a second.
      assert.match(await legend('chart-network'), /\/s$/);
      assert.match(await legend('chart-network'), /^4\.9 KB\/s$|^5(\.0)? ?KB\/s$|^4\.88 KB\/s$/);
      assert.match((await page.textContent('[data-testid=chart-network] .sub')) ?? '', /per second/i);
      // The silence is marked on the charts; the sparse history is a line, not isolated dots.
      assert.ok(Number(await page.getAttribute('[data-testid=chart-resources]', 'data-gaps')) >= 1, 'a marked gap');
      assert.ok((await colourPixels(page, 'chart-resources', '--c1')) > 150, 'the CPU history draws as a line');
      await page.locator('[data-testid=chart-resources]').scrollIntoViewIfNeeded();
      await shot('10-agent-charts-gap', page, true);

      // One report: one dot, in a time axis of the range asked for (not years).
      await page.goto(`${server.url}/#/agents/${lone.id}?range=1h`);
      await until('lone point', async () => Number(await page.getAttribute('[data-testid=chart-resources]', 'data-points')) > 0);
      await page.waitForTimeout(300);
      assert.ok((await colourPixels(page, 'chart-resources', '--c1')) > 4, 'the lone CPU value is drawn');
      const span = Number(await page.getAttribute('[data-testid=chart-resources]', 'data-x-max')) - Number(await page.getAttribute('[data-testid=chart-resources]', 'data-x-min'));
      assert.ok(Math.abs(span - 3600) < 120, `the axis spans the hour: ${span} s`);
      await shot('11-agent-lone-point');

      // The Overview's trends span the range picked, whatever the data.
      await page.goto(`${server.url}/#/?range=1h`);
      await until('trend scale', async () => (await page.getAttribute('[data-testid=trend-cpu_usage_percent]', 'data-x-max')) !== null);
      const trendSpan =
        Number(await page.getAttribute('[data-testid=trend-cpu_usage_percent]', 'data-x-max')) - Number(await page.getAttribute('[data-testid=trend-cpu_usage_percent]', 'data-x-min'));
      assert.ok(Math.abs(trendSpan - 3600) < 120, `trend axis spans ${trendSpan} s`);
      assert.deepEqual(bench?.pageErrors, []);
    }),
  );

  it(
    'an incident of a minute is a band on a day of averages, on the chart of its metric and on the health score',
    { timeout: 90_000 },
    step('incident-band', async () => {
      const a = await register('spiky-agent', 'production');
      const now = Date.now();
      const body = (t: number, cpu: number) => {
        const b = payload({ id: a.id, type: 'custom', role: 'healthy' }, 0, t, 1, false, () => 0.5);
        b.resource_metrics.cpu_usage_percent = cpu;
        return b;
      };
      // A calm day, one report every 10 minutes.
      const day: unknown[] = [];
      for (let m = 24 * 60; m >= 10; m -= 10) day.push(body(now - m * 60_000, 20));
      await call('POST', '/metrics', day);
      await page.goto(`${server.url}/#/agents/${a.id}?range=24h`);
      await until('charts drawn', async () => Number(await page.getAttribute('[data-testid=chart-resources]', 'data-points')) > 100, 20_000);
      await page.waitForTimeout(300);
      const calm = await colourPixels(page, 'chart-resources', '--bad');
      assert.equal(await page.getAttribute('[data-testid=chart-resources]', 'data-incidents'), '0');

      // One minute at 95 % CPU: a critical alert that fires, then resolves.
      await call('POST', `/agents/${a.id}/metrics`, body(now - 60_000, 95));
      await call('POST', `/agents/${a.id}/metrics`, body(now, 20));
      await page.goto(`${server.url}/#/agents/${a.id}?range=24h`);
      await until('the band', async () => (await page.getAttribute('[data-testid=chart-resources]', 'data-incidents')) === '1', 20_000);
      await page.waitForTimeout(300);
      assert.equal(await page.getAttribute('[data-testid=chart-health]', 'data-incidents'), '1', 'the health score shows what moved it');
      assert.equal(await page.getAttribute('[data-testid=chart-error-rate]', 'data-incidents'), '0', 'not on the charts of other metrics');
      // On a day a minute is a fraction of a pixel: the band is drawn a few pixels wide, in the alert's colour.
      const marked = await colourPixels(page, 'chart-resources', '--bad');
      assert.ok(marked >= calm + 8, `the band is seen: ${calm} -> ${marked} red pixels`);
      await page.locator('[data-testid=chart-resources]').scrollIntoViewIfNeeded();
      await shot('12-agent-incident-band', page, true);
      assert.deepEqual(bench?.pageErrors, []);
    }),
  );

  it(
    'the agent page lists the GenAI spans the agent exported over OpenTelemetry that failed, with their message and attributes',
    { timeout: 60_000 },
    step('failed-spans', async () => {
      const a = await register('otel-agent', 'production');
      await page.goto(`${server.url}/#/agents/${a.id}`);
      await page.waitForSelector('[data-testid=agent-alerts]');
      assert.equal(await page.locator('[data-testid=agent-failed-spans]').count(), 0, 'no section without failed spans');

      const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
      const t0 = Date.now() - 5_000;
      const attr = (key: string, v: string) => ({ key, value: { stringValue: v } });
      const span = (id: string, name: string, op: string, ms: number, error: string | null, extra: { key: string; value: { stringValue: string } }[] = []) => ({
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: id,
        name,
        kind: 1,
        startTimeUnixNano: ns(t0),
        endTimeUnixNano: ns(t0 + ms),
        attributes: [attr('gen_ai.operation.name', op), ...extra],
        status: error ? { code: 2, message: error } : { code: 1 },
      });
      const res = await fetch(`${server.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${a.apiKey}` },
        body: JSON.stringify({
          resourceSpans: [
            {
              resource: { attributes: [attr('service.name', 'otel-agent')] },
              scopeSpans: [
                {
                  scope: { name: 'agent' },
                  spans: [
                    span('b7ad6b7169203331', 'execute_tool search', 'execute_tool', 1200, 'search backend timed out', [attr('gen_ai.tool.name', 'search')]),
                    span('b7ad6b7169203332', 'chat gpt-4o', 'chat', 800, null, [attr('gen_ai.request.model', 'gpt-4o')]),
                  ],
                },
              ],
            },
          ],
        }),
      });
      assert.equal(res.status, 200, await res.text());

      // The same address: load the page again.
      await page.reload();
      await page.waitForSelector('[data-testid=agent-failed-spans]');
      const rows = page.locator('[data-testid=failed-span]');
      assert.equal(await rows.count(), 1, 'only the failed span');
      assert.equal(await rows.first().getAttribute('data-operation'), 'execute_tool');
      assert.equal((await page.textContent('[data-testid=failed-span-message]'))?.trim(), 'search backend timed out');
      await rows.first().locator('summary').click();
      assert.match((await rows.first().locator('pre.attributes').textContent()) ?? '', /gen_ai\.tool\.name = search/);
      assert.match((await rows.first().textContent()) ?? '', /1\.2\s?s|1,200\s?ms/);
      await page.locator('[data-testid=agent-failed-spans]').scrollIntoViewIfNeeded();
      await shot('13-agent-failed-spans');
      assert.deepEqual(bench?.pageErrors, []);
    }),
  );
});
