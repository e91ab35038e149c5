/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) against a real
 * server on a real port, seeded through the HTTP API with a fleet and hours of history. Screenshots
 * of every page land in test-artifacts/screenshots/.
 *
 * Needs /usr/bin/chromium (AGENTMON_CHROMIUM to point elsewhere); without it the suite is skipped.
 * Builds the dashboard first when dist/ is missing or older than src/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { loadConfig, startServer, type RunningServer } from '@agentmon/server';
import { colourPixels, dist, shots, skip, startBench, stepper, until } from './browser-kit.js';
import { api, payload, seedFleet, type Fleet, type SeededAgent } from './fleet.js';

const ADMIN = 'browser-test-admin-token-0123456789';
const VIEWER = 'browser-test-viewer-token-0123456789';

// Node 20 does not count a skipped describe: without chromium, report one skipped test instead, so a
// CI run that must run everything (AGENTMON_REQUIRE_ALL=1) notices.
if (skip) describe('dashboard in a browser', () => it('runs in chromium', { skip }, () => undefined));
else describe('dashboard in a browser', () => {
  let server: RunningServer;
  let fleet: Fleet;
  let browser: Browser;
  let page: Page;
  let call: ReturnType<typeof api>;
  let pageErrors: string[] = [];
  let closeBench: (() => Promise<void>) | undefined;

  const agent = (name: string): SeededAgent => {
    const a = fleet.byName.get(name);
    assert.ok(a, `seeded agent ${name}`);
    return a;
  };
  const shot = async (name: string, p: Page = page, fullPage = true) => {
    await p.screenshot({ path: join(shots, `${name}.png`), fullPage });
  };
  /** Sends one live payload of `a` (the seed's values, changed by `change`) with its own key. */
  const report = async (a: SeededAgent, seq: number, change: (body: ReturnType<typeof payload>) => void) => {
    const body = payload(a, fleet.agents.indexOf(a), Date.now(), seq, false, Math.random);
    change(body);
    await api(server.url, a.apiKey)('POST', `/agents/${a.id}/metrics`, body);
  };
  const step = stepper((name) => shot(name));

  before(async () => {
    const bench = await startBench(ADMIN, 'agentmon-browser-', { viewerTokens: [VIEWER] });
    ({ server, browser, page, pageErrors } = bench);
    closeBench = bench.close;
    call = api(server.url, ADMIN);
    fleet = await seedFleet(server.url, ADMIN, { hours: 6, stepSeconds: 60 });
  });

  after(async () => {
    await closeBench?.();
  });

  it(
    'refuses a wrong token, then logs in and shows the seeded fleet',
    { timeout: 60_000 },
    step('login', async () => {
      await page.goto(`${server.url}/`);
      await page.waitForSelector('#token');
      await shot('01-login', page, false);
      await page.fill('#token', 'not-the-admin-token-at-all');
      await page.click('button[type=submit]');
      await page.waitForSelector('#token-error');
      assert.match(await page.textContent('#token-error') ?? '', /not valid/);

      await page.fill('#token', ADMIN);
      await page.click('button[type=submit]');
      await page.waitForSelector('[data-testid=agent-row]');
      assert.equal((await page.textContent('[data-testid=agents-total]'))?.trim(), String(fleet.agents.length));
      const names = await page.$$eval('[data-testid=agent-row] .name-cell a', (as) => as.map((a) => a.textContent));
      assert.equal(names.length, fleet.agents.length);
      for (const a of fleet.agents) assert.ok(names.includes(a.name), `${a.name} listed`);
      // Worst first: the agent that never reported (score 0) leads the default sort.
      assert.equal(names[0], 'release-notes-writer');
      assert.equal(await page.getAttribute('[data-testid=agent-row]:has-text("churn-predictor") .badge', 'data-status'), 'maintenance');
      assert.equal(await page.getAttribute('[data-testid=agent-row]:has-text("fraud-scorer") .badge', 'data-status'), 'error');
      // The live stream connects.
      await page.waitForSelector('[data-testid=live-indicator][data-state=live]');
      // Trend charts are drawn from the fleet's history.
      await until('trend points', async () => Number(await page.getAttribute('[data-testid=trend-cpu_usage_percent]', 'data-points')) > 10);
      await page.waitForTimeout(300);
      await shot('02-overview');
    }),
  );

  it(
    'filters, searches, sorts and pages the agents table on the server',
    { timeout: 60_000 },
    step('table', async () => {
      const rows = () => page.$$eval('[data-testid=agent-row] .name-cell a', (as) => as.map((a) => a.textContent ?? ''));
      await page.fill('input[aria-label="Search agents"]', 'bot');
      await until('search results', async () => {
        const r = await rows();
        return r.length > 0 && r.every((n) => n.includes('bot')) && r.length < fleet.agents.length;
      });
      await page.fill('input[aria-label="Search agents"]', '');
      await until('all rows back', async () => (await rows()).length === fleet.agents.length);

      await page.selectOption('select[aria-label=Status]', 'error');
      await until('error filter', async () => {
        const r = await rows();
        return r.length === 2 && r.includes('fraud-scorer') && r.includes('triage-agent');
      });
      await page.selectOption('select[aria-label=Status]', '');

      await page.click('th button:has-text("Agent")');
      await until('sorted by name', async () => {
        const r = await rows();
        return r.length === fleet.agents.length && r.join() === [...r].sort().join();
      });
      await page.selectOption('select[aria-label="Rows per page"]', '25');
      await until('first page of 25', async () => (await rows()).length === 25);
      assert.match(await page.textContent('.pager') ?? '', /1–25 of 30/);
      await page.click('button[aria-label="Next page"]');
      await until('second page', async () => (await rows()).length === fleet.agents.length - 25);
      await page.goto(`${server.url}/#/`);
      await page.waitForSelector('[data-testid=agent-row]');
    }),
  );

  it(
    "opens an agent and draws its charts from its data; zooms and zooms out",
    { timeout: 90_000 },
    step('agent', async () => {
      const bot = agent('support-bot');
      await page.click(`[data-testid=agent-row] a:text-is("${bot.name}")`);
      await page.waitForSelector('[data-testid=agent-name]');
      assert.equal(await page.textContent('[data-testid=agent-name]'), bot.name);
      assert.ok(page.url().includes(`#/agents/${bot.id}`));
      await page.click('[aria-label="Time range"] button:text-is("6h")');

      const points = async (id: string) => Number(await page.getAttribute(`[data-testid=${id}]`, 'data-points'));
      for (const id of ['chart-resources', 'chart-memory-bytes', 'chart-response-time', 'chart-error-rate', 'chart-throughput', 'chart-tasks', 'chart-tokens', 'chart-latency', 'chart-health']) {
        await until(`${id} has points`, async () => (await points(id)) > 0, 20_000);
      }
      // Every numeric custom metric has a chart, its unit guessed from its name.
      for (const id of ['chart-custom-queue_depth', 'chart-custom-cost_usd']) await until(`${id} has points`, async () => (await points(id)) > 0, 20_000);
      assert.match(await page.textContent('[data-testid=chart-custom-cost_usd]') ?? '', /\$\d/);
      // Six hours of one-minute reports in a 6 h range of 5-minute buckets: CPU and memory fill ~72 each.
      await until('6 h of buckets', async () => (await page.textContent('[data-testid=chart-resources] .sub'))?.includes('5 min'));
      assert.ok((await points('chart-resources')) >= 130, `resources points ${await points('chart-resources')}`);
      assert.equal(await page.getAttribute('[data-testid=chart-tasks]', 'data-kind'), 'bar');

      // The canvases really carry the series: count pixels in the CPU line's colour.
      const drawn = await colourPixels(page, 'chart-resources', '--c1');
      assert.ok(drawn > 200, `CPU line pixels: ${drawn}`);

      // Gauges and health checks.
      assert.match(await page.getAttribute('[data-testid=gauge-cpu]', 'aria-label') ?? '', /CPU: \d/);
      assert.match(await page.getAttribute('[data-testid=gauge-health]', 'aria-label') ?? '', /Health score: \d/);
      assert.equal(await page.locator('[data-testid=health-check]').count(), 3);
      await page.waitForTimeout(500);
      await shot('03-agent');

      // Drag across the CPU chart: the range narrows (from/to in the URL) and the charts refetch.
      const over = page.locator('[data-testid=chart-resources] .u-over');
      await over.scrollIntoViewIfNeeded();
      const box = await over.boundingBox();
      assert.ok(box);
      await page.mouse.move(box.x + box.width * 0.55, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2, { steps: 8 });
      await page.mouse.up();
      await page.waitForSelector('[data-testid=reset-zoom]');
      assert.match(page.url(), /from=\d+&to=\d+/);
      await until('zoomed charts', async () => (await points('chart-resources')) > 0);
      await shot('04-agent-zoomed', page, false);
      await page.click('[data-testid=reset-zoom]');
      await page.waitForSelector('[data-testid=reset-zoom]', { state: 'detached' });
    }),
  );

  it(
    'resolves an alert by a click',
    { timeout: 60_000 },
    step('resolve', async () => {
      await page.goto(`${server.url}/#/alerts`);
      const row = page.locator('[data-testid=alert-row][data-active=true]', { hasText: 'fraud-scorer' }).first();
      await row.waitFor();
      const id = await row.getAttribute('data-alert-id');
      assert.ok(id);
      await shot('05-alerts');
      await row.locator('[data-testid=resolve-alert]').click();
      // It turns resolved, then leaves the list of active alerts.
      await page.waitForSelector(`[data-testid=alert-row][data-alert-id="${id}"][data-active=true]`, { state: 'detached' });
      const stored = await call<{ is_active: boolean; resolved_at: string | null }>('GET', `/alerts/${id}`);
      assert.equal(stored.is_active, false);
      assert.ok(stored.resolved_at);
    }),
  );

  it(
    'shows a new alert as it fires, without a reload',
    { timeout: 60_000 },
    step('live-alert', async () => {
      await page.goto(`${server.url}/#/`);
      await page.waitForSelector('[data-testid=active-alerts]');
      await page.waitForSelector('[data-testid=live-indicator][data-state=live]');
      await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
      const bot = agent('voice-assistant');
      assert.equal(await page.locator('[data-testid=active-alerts] [data-testid=alert-row]', { hasText: bot.name }).count(), 0);

      await report(bot, 9999, (body) => (body.resource_metrics.cpu_usage_percent = 97.5));

      await page.locator('[data-testid=active-alerts] [data-testid=alert-row]', { hasText: bot.name }).first().waitFor({ timeout: 15_000 });
      assert.equal(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), true, 'no reload');
      // The table row follows the agent's new status from the stream as well.
      await until('row status', async () => (await page.getAttribute(`[data-testid=agent-row]:has-text("${bot.name}") .badge`, 'data-status')) !== 'online');
      await shot('06-overview-live-alert', page, false);
    }),
  );

  /** The colour an agent's status gives it wherever it shows. */
  const toneOf = (status: string | null) => ({ online: 'ok', warning: 'warn', error: 'bad', offline: 'bad' })[status ?? ''] ?? 'idle';
  /** Every row of the agents table: name, status, score and the score's colour. */
  const tableRows = () =>
    page.$$eval('[data-testid=agent-row]', (trs) =>
      trs.map((tr) => ({
        name: tr.querySelector('.name-cell a')?.textContent ?? '',
        status: tr.getAttribute('data-status'),
        score: Number(tr.getAttribute('data-score')),
        tone: tr.querySelector('.score')?.getAttribute('data-tone') ?? null,
      })),
    );

  it(
    'colours every score by its status, and counts the agents that are not well',
    { timeout: 60_000 },
    step('status-colours', async () => {
      await page.goto(`${server.url}/#/`);
      await page.waitForSelector('[data-testid=agent-row]');
      const rows = await tableRows();
      assert.equal(rows.length, fleet.agents.length);
      for (const r of rows) {
        assert.equal(r.tone, toneOf(r.status), `${r.name}: ${r.status} shown as ${r.tone}`);
        if (r.status === 'error' || r.status === 'offline') assert.ok(r.score < 0.3, `${r.name} in ${r.status} scores ${r.score}`);
        if (r.status === 'warning') assert.ok(r.score < 0.6, `${r.name} in warning scores ${r.score}`);
      }
      // The fleet figure counts the agents not well, as the API's summary does; red while any is in error.
      const by = (await call<{ summary: { agents_by_status: Record<string, number> } }>('GET', '/dashboard')).summary.agents_by_status;
      const notWell = (by.error ?? 0) + (by.offline ?? 0) + (by.warning ?? 0);
      assert.ok((by.error ?? 0) > 0, 'the seeded fleet has agents in error');
      await until('fleet figure', async () => (await page.textContent('[data-testid=not-well]'))?.includes(String(notWell)));
      assert.equal(await page.getAttribute('[data-testid=fleet-health]', 'data-tone'), 'bad');

      // An agent in error (CPU 97.5 % since the live-alert test): its gauge is red and its
      // explanation shows the cap.
      await page.goto(`${server.url}/#/agents/${agent('voice-assistant').id}`);
      await page.waitForSelector('[data-testid=score-cap]');
      assert.equal(await page.getAttribute('[data-testid=gauge-health]', 'data-tone'), 'bad');
      assert.match(await page.textContent('[data-testid=score-cap]') ?? '', /status error/);
      await shot('17-agent-error-capped', page, false);
    }),
  );

  it(
    'alert titles name the severity the alert has; how long it fires is worked out when shown',
    { timeout: 60_000 },
    step('alert-texts', async () => {
      await page.goto(`${server.url}/#/alerts`);
      await page.waitForSelector('[data-testid=alert-row][data-active=true]');
      const rows = await page.$$eval('[data-testid=alert-row][data-active=true]', (lis) =>
        lis.map((li) => ({
          severity: li.querySelector('.badge')?.textContent?.trim().toLowerCase() ?? '',
          title: li.querySelector('.title')?.textContent ?? '',
          lasting: li.querySelector('[data-testid=alert-lasting]')?.textContent ?? '',
        })),
      );
      const threshold = rows.filter((r) => / (critical|high) on /.test(r.title));
      assert.ok(threshold.length > 0, 'threshold alerts are listed');
      for (const r of threshold) assert.equal(r.title.includes(' critical on '), r.severity === 'critical', `"${r.title}" is ${r.severity}`);
      for (const r of rows) assert.match(r.lasting, /^firing for \d/, r.title);
    }),
  );

  it(
    'keeps the agents table in its sort and filter as live updates change rows',
    { timeout: 60_000 },
    step('live-table', async () => {
      await page.goto(`${server.url}/#/`);
      await page.waitForSelector('[data-testid=live-indicator][data-state=live]');
      await page.waitForSelector('[data-testid=agent-row]');
      const ascending = (rows: { score: number }[]) => rows.every((r, i) => i === 0 || (rows[i - 1] as { score: number }).score <= r.score);
      assert.ok(ascending(await tableRows()), 'health ascending, as labelled');
      // The healthiest agent (last row) gets worse without changing status: values at their
      // thresholds, no breach. Its row must move up, not stay last with a lower score.
      const used = new Set(['support-bot', 'voice-assistant', 'email-router', 'fraud-scorer']);
      const last = (await tableRows()).filter((r) => r.status === 'online' && !used.has(r.name)).at(-1);
      assert.ok(last);
      await report(agent(last.name), 9990, (body) => {
        body.resource_metrics.cpu_usage_percent = 79;
        body.performance_metrics.error_rate = 0.05;
      });
      await until('the row took its new score', async () => {
        const r = (await tableRows()).find((x) => x.name === last.name);
        return r !== undefined && r.score < last.score;
      });
      assert.ok(ascending(await tableRows()), 'still health ascending after the live update');

      // Under the Error filter, an agent that recovers leaves the list.
      await page.selectOption('select[aria-label=Status]', 'error');
      await until('error rows', async () => {
        const rows = await tableRows();
        return rows.length > 0 && rows.every((r) => r.status === 'error');
      });
      await report(agent('triage-agent'), 9991, (body) => (body.performance_metrics.error_rate = 0));
      await until('recovered row gone', async () => {
        const rows = await tableRows();
        return !rows.some((r) => r.name === 'triage-agent') && rows.every((r) => r.status === 'error');
      });
      await page.selectOption('select[aria-label=Status]', '');
    }),
  );

  it(
    'marks the values of an agent that went offline as stale, with their age',
    { timeout: 90_000 },
    step('stale', async () => {
      const quiet = agent('translation-api');
      // Shortest intervals: offline after 3 × 5 s of silence.
      await call('PATCH', `/agents/${quiet.id}/config`, { metrics_interval_seconds: 1, health_check_interval_seconds: 5 });
      await until('offline', async () => (await call<{ status: string }>('GET', `/agents/${quiet.id}`)).status === 'offline', 40_000);
      await page.goto(`${server.url}/#/agents/${quiet.id}`);
      await page.waitForSelector('[data-testid=values-age][data-stale=true]');
      assert.match(await page.textContent('[data-testid=values-age]') ?? '', /Stale values.*offline/);
      assert.equal(await page.getAttribute('[data-testid=gauges]', 'data-stale'), 'true');
      assert.equal(await page.getAttribute('[data-testid=gauge-cpu]', 'data-tone'), 'idle', 'an old value is not shown in a healthy colour');
      assert.equal(await page.getAttribute('[data-testid=gauge-health]', 'data-tone'), 'bad');
      await shot('18-agent-offline-stale', page, false);
      // A fresh agent's values are not stale.
      await page.goto(`${server.url}/#/agents/${agent('support-bot').id}`);
      await page.waitForSelector('[data-testid=values-age][data-stale=false]');
    }),
  );

  it(
    "shows the server's validation message next to the config field",
    { timeout: 60_000 },
    step('config', async () => {
      const bot = agent('support-bot');
      await page.goto(`${server.url}/#/agents/${bot.id}`);
      await page.waitForSelector('#cfg-cpu_threshold');
      await page.fill('#cfg-cpu_threshold', '150');
      await page.click('[data-testid=config-save]');
      const error = page.locator('[data-testid=error-cpu_threshold]');
      await error.waitFor();
      // Exactly what the API says for the same body.
      const res = await fetch(`${server.url}/api/v1/agents/${bot.id}/config`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ cpu_threshold: 150 }),
      });
      assert.equal(res.status, 400);
      const detail = ((await res.json()) as { details: { path: string; message: string }[] }).details.find((d) => d.path === '/body/cpu_threshold');
      assert.ok(detail);
      assert.equal((await error.textContent())?.trim(), detail.message);
      assert.equal(await page.getAttribute('#cfg-cpu_threshold', 'aria-invalid'), 'true');
      assert.equal((await call<{ cpu_threshold: number }>('GET', `/agents/${bot.id}/config`)).cpu_threshold, 80, 'nothing saved');
      await shot('07-config-validation-error', page, false);

      // A good value saves.
      await page.fill('#cfg-cpu_threshold', '75');
      await page.click('[data-testid=config-save]');
      await until('saved', async () => (await call<{ cpu_threshold: number }>('GET', `/agents/${bot.id}/config`)).cpu_threshold === 75);
      await page.waitForSelector('[data-testid=error-cpu_threshold]', { state: 'detached' });
    }),
  );

  it(
    'lists and filters events',
    { timeout: 60_000 },
    step('events', async () => {
      await page.goto(`${server.url}/#/events`);
      await page.waitForSelector('[data-testid=event-row]');
      assert.ok((await page.locator('[data-testid=event-row]').count()) >= fleet.agents.length);
      await shot('08-events', page, false);
      await page.selectOption('select[aria-label="Event type"]', 'metric_threshold_exceeded');
      await until('filtered events', async () => {
        const types = await page.$$eval('[data-testid=event-row]', (rows) => rows.map((r) => r.getAttribute('data-event-type')));
        return types.length > 0 && types.every((t) => t === 'metric_threshold_exceeded');
      });
      await page.goto(`${server.url}/#/settings`);
      await page.waitForSelector('[data-testid=settings-form]');
      await shot('09-settings', page, false);
    }),
  );

  it(
    'switches to the dark theme',
    { timeout: 60_000 },
    step('dark', async () => {
      await page.goto(`${server.url}/#/`);
      await page.waitForSelector('[data-testid=agent-row]');
      await page.click('[data-testid=theme-toggle]');
      assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
      await page.waitForTimeout(400);
      await shot('10-dark-overview', page, false);
      await page.goto(`${server.url}/#/agents/${agent('fraud-scorer').id}?range=6h`);
      await until('dark charts', async () => Number(await page.getAttribute('[data-testid=chart-resources]', 'data-points')) > 0);
      await page.waitForTimeout(500);
      await shot('11-dark-agent');
      await page.click('[data-testid=theme-toggle]');
      assert.equal(await page.getAttribute('html', 'data-theme'), 'light');
    }),
  );

  it(
    'fits a phone screen',
    { timeout: 60_000 },
    step('phone', async () => {
      const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
      try {
        await phone.addInitScript((t) => localStorage.setItem('agentmon.token', t), ADMIN);
        const p = await phone.newPage();
        await p.goto(`${server.url}/#/`);
        await p.waitForSelector('[data-testid=agent-row]');
        await p.waitForTimeout(500);
        const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 1, `page is ${overflow}px wider than the phone`);
        await shot('12-phone-overview', p, false);
        await p.goto(`${server.url}/#/agents/${agent('fraud-scorer').id}?range=6h`);
        await until('phone charts', async () => Number(await p.getAttribute('[data-testid=chart-resources]', 'data-points')) > 0);
        await p.waitForTimeout(500);
        assert.ok((await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 1, 'agent page fits');
        await shot('13-phone-agent', p, false);
        await p.evaluate(() => document.querySelector('[data-testid=agent-charts]')?.scrollIntoView());
        await p.waitForTimeout(300);
        await shot('14-phone-agent-charts', p, false);
        await p.goto(`${server.url}/#/alerts`);
        await p.waitForSelector('[data-testid=alert-row]');
        await shot('15-phone-alerts', p, false);
      } finally {
        await phone.close();
      }
    }),
  );

  it(
    'polls every refresh_interval_seconds when real-time updates are off',
    { timeout: 60_000 },
    step('polling', async () => {
      await call('PUT', '/dashboard/config', { enable_real_time_updates: false, refresh_interval_seconds: 5 });
      try {
        await page.goto(`${server.url}/#/alerts`);
        await page.reload();
        await page.waitForSelector('[data-testid=live-indicator][data-state=polling]');
        await page.waitForSelector('[data-testid=alert-row]');
        const bot = agent('email-router');
        await report(bot, 9999, (body) => (body.performance_metrics.average_response_time_ms = 9000));
        await page.locator('[data-testid=alert-row]', { hasText: bot.name }).first().waitFor({ timeout: 12_000 });
      } finally {
        await call('PUT', '/dashboard/config', {});
        await page.reload();
      }
    }),
  );

  it(
    'an empty server shows a setup card with its own address',
    { timeout: 60_000 },
    step('setup', async () => {
      const emptyDir = mkdtempSync(join(tmpdir(), 'agentmon-browser-empty-'));
      const empty = await startServer(loadConfig({}, { host: '127.0.0.1', port: 0, dataDir: emptyDir, logLevel: 'silent', adminToken: ADMIN, dashboardDir: dist }));
      const fresh = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      try {
        await fresh.addInitScript((t) => localStorage.setItem('agentmon.token', t), ADMIN);
        const p = await fresh.newPage();
        await p.goto(`${empty.url}/#/`);
        const card = p.locator('[data-testid=setup-card]');
        await card.waitFor();
        const text = (await card.textContent()) ?? '';
        assert.match(text, /Set up your first agent/);
        assert.ok(text.includes(`${empty.url}/api/v1/agents`), 'the commands name this server');
        await shot('19-empty-server-setup', p, false);
      } finally {
        await fresh.close();
        await empty.close();
        rmSync(emptyDir, { recursive: true, force: true });
      }
      // A server with agents shows no setup card.
      await page.goto(`${server.url}/#/`);
      await page.waitForSelector('[data-testid=agent-row]');
      assert.equal(await page.locator('[data-testid=setup-card]').count(), 0);
    }),
  );

  it(
    'with a viewer token shows everything and hides what would change something',
    { timeout: 60_000 },
    step('viewer', async () => {
      const viewerContext = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
      viewerContext.setDefaultTimeout(15_000);
      const v = await viewerContext.newPage();
      v.on('pageerror', (err) => pageErrors.push(err.message));
      try {
        await v.goto(`${server.url}/`);
        await v.fill('#token', VIEWER);
        await v.click('button[type=submit]');
        await v.waitForSelector('[data-testid=agent-row]');
        await v.waitForSelector('[data-testid=read-only]');
        await v.waitForSelector('[data-testid=live-indicator][data-state=live]');

        await v.goto(`${server.url}/#/alerts`);
        await v.waitForSelector('[data-testid=alert-row][data-active=true]');
        assert.equal(await v.locator('[data-testid=resolve-alert]').count(), 0, 'no resolve buttons');
        assert.equal(await v.locator('button:has-text("Acknowledge")').count(), 0, 'no acknowledge buttons');
        await shot('17-viewer-alerts', v, false);

        await v.goto(`${server.url}/#/agents/${encodeURIComponent(agent('fraud-scorer').id)}`);
        await v.waitForSelector('[data-testid=config-read-only]');
        assert.equal(await v.locator('button:has-text("maintenance")').count(), 0, 'no maintenance button');
        assert.equal(await v.locator('[data-testid=config-save]').isVisible(), false, 'no save button');

        await v.goto(`${server.url}/#/settings`);
        await v.waitForSelector('[data-testid=settings-read-only]');
        assert.equal(await v.locator('[data-testid=settings-save]').isVisible(), false);
      } finally {
        await viewerContext.close();
      }
      // The admin still sees the actions.
      await page.goto(`${server.url}/#/alerts`);
      await page.waitForSelector('[data-testid=resolve-alert]');
      assert.equal(await page.locator('[data-testid=read-only]').count(), 0);
    }),
  );

  it(
    'stays responsive with 1,000 agents reporting',
    { timeout: 180_000 },
    step('thousand', async (t) => {
      const extra = 1000 - fleet.agents.length;
      const ids: { id: string; type: string }[] = fleet.agents.filter((a) => a.role !== 'silent').map((a) => ({ id: a.id, type: a.type }));
      const types = ['llm_agent', 'ml_model', 'chatbot', 'api_agent', 'workflow_agent', 'custom'];
      for (let i = 0; i < extra; i += 25) {
        const made = await Promise.all(
          Array.from({ length: Math.min(25, extra - i) }, (_, j) => {
            const n = i + j;
            const type = types[n % types.length] as string;
            return call<{ agent_id: string }>('POST', '/agents', {
              name: `load-agent-${String(n).padStart(4, '0')}`,
              type,
              version: '1.0.0',
              deployment_type: 'kubernetes',
              host: `load-${n}`,
              environment: n % 3 ? 'production' : 'staging',
            }).then((r) => ({ id: r.agent_id, type }));
          }),
        );
        ids.push(...made);
      }
      await page.goto(`${server.url}/#/`);
      await page.waitForSelector('[data-testid=agent-row]');
      await page.waitForSelector('[data-testid=live-indicator][data-state=live]');
      // Watch the main thread: the longest task while every agent reports once a second.
      await page.evaluate(() => {
        const w = window as unknown as { __longest: number };
        w.__longest = 0;
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) w.__longest = Math.max(w.__longest, e.duration);
        }).observe({ type: 'longtask', buffered: false });
      });
      const rnd = Math.random;
      for (let s = 0; s < 8; s++) {
        const started = Date.now();
        const batch = ids.map((a, i) => payload({ id: a.id, type: a.type, role: 'healthy' }, i, Date.now(), 9000 + s, false, rnd));
        await call('POST', '/metrics', batch);
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
      }
      const t0 = Date.now();
      await page.evaluate(() => 1);
      const answerMs = Date.now() - t0;
      const longest = await page.evaluate(() => (window as unknown as { __longest: number }).__longest);
      // Figures, not verdicts (timings depend on the machine): a frozen page fails by not answering.
      t.diagnostic(`1,000 agents reporting every second: longest main-thread task ${Math.round(longest)} ms, page answered in ${answerMs} ms`);
      await until('1,000 agents', async () => (await page.textContent('[data-testid=agents-total]'))?.replace(/\D/g, '') === '1000', 20_000);
      assert.ok((await page.locator('[data-testid=agent-row]').count()) <= 200, 'one page of rows, never all');
      await shot('16-overview-1000-agents', page, false);
      assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
    }),
  );
});
