/**
 * End to end on InfluxDB: a real server (startServer, a real port) with metadata in SQLite and
 * series in a private influxd (storage/influx-server.ts). Metrics go in over HTTP, come back
 * through /api/v1/metrics/query, and go away with DELETE ?purge=true.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_CONFIG } from '../src/config.js';
import { startServer, type RunningServer } from '../src/main.js';
import { ADMIN, agentBody, metricsBody } from './harness.js';
import { INFLUX_SKIP, influxServer, type InfluxServer } from '../src/testing/influx-server.js';

if (INFLUX_SKIP) {
  describe('server with series on InfluxDB', () => {
    it('runs against InfluxDB', { skip: INFLUX_SKIP }, () => undefined);
  });
} else {
  describe('server with series on InfluxDB', () => {
    let influx: InfluxServer;
    let server: RunningServer;
    let dataDir: string;
    let database: string;
    const auth = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
    const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
      const res = await fetch(`${server.url}${path}`, { method, headers: auth, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await res.text();
      return { status: res.status, json: text === '' ? null : (JSON.parse(text) as unknown) };
    };
    /** Payloads InfluxDB holds for an agent, asked of InfluxDB itself. */
    const influxCount = async (agentId: string): Promise<number> => {
      const q = new URLSearchParams({ db: database, q: `SELECT count("payload") FROM "agent_metrics" WHERE "agent_id" = '${agentId}'` });
      const body = (await (await fetch(`${influx.base}/query?${q}`)).json()) as { results: { series?: { values: [string, number][] }[] }[] };
      return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
    };

    before(async () => {
      influx = await influxServer();
      dataDir = mkdtempSync(join(tmpdir(), 'agentmon-influx-e2e-'));
      const influxUrl = influx.freshUrl('e2e');
      database = new URL(influxUrl).pathname.slice(1);
      server = await startServer({ ...DEFAULT_CONFIG, host: '127.0.0.1', port: 0, dataDir, influxUrl, adminToken: ADMIN, logLevel: 'silent' });
    });
    after(async () => {
      await server?.close();
      await influx?.dropDatabase(database);
      await influx?.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('opens metadata on SQLite and series on InfluxDB, and is ready', async () => {
      assert.equal(server.stores.kind, 'sqlite');
      assert.equal(server.stores.seriesKind, 'influx');
      assert.deepEqual(server.stores.migrated.series, [1]);
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    });

    it('ingests over HTTP, answers 1-minute averages merged over agents, and purges an agent', async () => {
      // An hour of two hours ago ("YYYY-MM-DDTHH:"): payloads must be recent for the server to take them.
      const H = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000).toISOString().slice(0, 14);
      const a = (await api('POST', '/api/v1/agents', agentBody({ name: 'influx-a' }))).json as { agent_id: string };
      const b = (await api('POST', '/api/v1/agents', agentBody({ name: 'influx-b' }))).json as { agent_id: string };
      const at = (id: string, ts: string, cpu: number, queue: number) =>
        metricsBody(id, {
          timestamp: ts,
          resource_metrics: { cpu_usage_percent: cpu, memory_usage_bytes: 1, memory_usage_percent: 10, disk_usage_bytes: 1 },
          custom_metrics: { queue, label: 'text is kept, not a series' },
        });
      const posted = await api('POST', '/api/v1/metrics', [
        at(a.agent_id, `${H}00:10Z`, 10, 1),
        at(a.agent_id, `${H}00:50Z`, 20, 2),
        at(b.agent_id, `${H}00:30Z`, 60, 3),
        at(a.agent_id, `${H}02:00Z`, 40, 4),
        at(b.agent_id, `${H}02:59.999Z`, 80, 5),
      ]);
      assert.equal(posted.status, 202, JSON.stringify(posted.json));
      assert.equal(await influxCount(a.agent_id), 3);

      const range = `start_time=${H}00:00Z&end_time=${H}05:00Z`;
      const avg = await api('GET', `/api/v1/metrics/query?${range}&metric_names=cpu_usage_percent,custom.queue&interval=1m&aggregation=avg&group_by=none`);
      assert.equal(avg.status, 200, JSON.stringify(avg.json));
      assert.deepEqual((avg.json as { data: unknown[] }).data, [
        { timestamp: `${H}00:00.000Z`, cpu_usage_percent: 30, 'custom.queue': 2 },
        { timestamp: `${H}02:00.000Z`, cpu_usage_percent: 60, 'custom.queue': 4.5 },
      ]);
      const raw = await api('GET', `/api/v1/metrics/query?agent_ids=${b.agent_id}&${range}&metric_names=cpu_usage_percent`);
      assert.deepEqual((raw.json as { data: unknown[] }).data, [
        { agent_id: b.agent_id, timestamp: `${H}00:30.000Z`, cpu_usage_percent: 60 },
        { agent_id: b.agent_id, timestamp: `${H}02:59.999Z`, cpu_usage_percent: 80 },
      ]);

      assert.equal((await api('DELETE', `/api/v1/agents/${a.agent_id}?purge=true`)).status, 204);
      assert.equal(await influxCount(a.agent_id), 0);
      assert.equal(await influxCount(b.agent_id), 2, 'the other agent keeps its points');
      const after = await api('GET', `/api/v1/metrics/query?agent_ids=${a.agent_id}&${range}&metric_names=cpu_usage_percent`);
      assert.equal((after.json as { total_points: number }).total_points, 0);
      assert.deepEqual(await server.stores.series.agentIds(), [b.agent_id]);
    });

    it('keeps model usage and its cost as series: the usage report sums them from InfluxDB', async () => {
      const c = (await api('POST', '/api/v1/agents', agentBody({ name: 'influx-spender' }))).json as { agent_id: string };
      const usage = [
        { model: 'gpt-4o', input_tokens: 1_000_000, output_tokens: 100_000, calls: 2 },
        // A name with a slash and a colon: field keys InfluxDB must escape.
        { model: 'meta-llama/Llama-3-70b:free', input_tokens: 10, output_tokens: 5, cost_usd: 0.01 },
      ];
      const posted = await api('POST', '/api/v1/metrics', [metricsBody(c.agent_id, { model_usage: usage }), metricsBody(c.agent_id, { model_usage: usage })]);
      assert.equal(posted.status, 202, JSON.stringify(posted.json));
      const report = (await api('GET', `/api/v1/usage?start_time=now-1h&agent=${c.agent_id}`)).json as { rows: { model: string; input_tokens: number; calls: number; cost_usd: number }[]; totals: { cost_usd: number } };
      assert.deepEqual(report.rows.map((r) => [r.model, r.input_tokens, r.calls, r.cost_usd]), [
        ['gpt-4o', 2_000_000, 4, 7],
        ['meta-llama/Llama-3-70b:free', 20, 0, 0.02],
      ]);
      assert.equal(report.totals.cost_usd, 7.02);
    });

    it('answers 5xx when InfluxDB refuses a write, with InfluxDB\'s reason in the error', async () => {
      const c = (await api('POST', '/api/v1/agents', agentBody({ name: 'influx-c' }))).json as { agent_id: string };
      await influx.dropDatabase(database);
      const posted = await api('POST', '/api/v1/metrics', [metricsBody(c.agent_id)]);
      assert.ok(posted.status >= 500, `status ${posted.status}`);
      await assert.rejects(server.stores.series.insert([{ agent_id: c.agent_id, ts: Date.now(), environment: 'e', deployment_type: 'd', values: {}, custom: {}, extra: { custom_metrics: {}, health_checks: {}, alerts: [] } }]), /InfluxDB write .*database not found/);
      // Migrating again makes the database again.
      await server.stores.series.migrate();
    });
  });
}
