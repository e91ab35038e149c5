/**
 * PostgreSQL going away under load, on a private cluster: five agents post in a loop while every
 * connection is terminated, then while the server is stopped and started again. The process must
 * live through it (a connection dying while checked out of the pool used to end it), answer 503
 * with Retry-After while the database is away, take payloads again by itself once it is back, and
 * keep every payload it acknowledged.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { buildApp, DEFAULT_CONFIG, openStores } from '../../src/index.js';
import { ADMIN, agentBody, bearer, metricsBody, until } from '../harness.js';
import { postgresBin, PrivatePostgres } from './private-postgres.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('PostgreSQL outage under load (private cluster)', { skip: postgresBin() ? false : 'no PostgreSQL binaries (initdb, pg_ctl)' }, () => {
  it('lives through killed connections and a restart: 503 + Retry-After while away, 202 again after, nothing acknowledged lost', { timeout: 180_000 }, async () => {
    const cluster = await PrivatePostgres.create();
    const dataDir = mkdtempSync(join(tmpdir(), 'agentmon-outage-'));
    const stores = await openStores({ dataDir, databaseUrl: cluster.url });
    const config = { ...DEFAULT_CONFIG, dataDir, databaseUrl: cluster.url, logLevel: 'silent' as const, sweepIntervalMs: 100 };
    const app = await buildApp(config, { metadata: stores.metadata, series: stores.series, adminToken: ADMIN, storageKind: stores.kind, broadcaster: stores.broadcaster, logger: false });
    try {
      await app.ready();
      // The sweeper holds its lock's connection out of the pool while it works: part of what dies.
      app.sweeper.start();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await app.inject({ method: 'POST', url: '/api/v1/agents', headers: bearer(ADMIN), payload: agentBody({ name: `outage-${i}` }) });
        assert.equal(res.statusCode, 201, res.body);
        ids.push((res.json() as { agent_id: string }).agent_id);
      }

      const acked: { id: string; ts: string }[] = [];
      const refused: { status: number; retryAfter: string | undefined }[] = [];
      const unexpected: string[] = [];
      let stop = false;
      let n = 0;
      const base = Date.now() - 120_000;
      const post = async (id: string) => {
        while (!stop) {
          const ts = new Date(base + n++).toISOString();
          const res = await app.inject({ method: 'POST', url: `/api/v1/agents/${id}/metrics`, headers: bearer(ADMIN), payload: metricsBody(id, { timestamp: ts }) });
          if (res.statusCode === 202) acked.push({ id, ts });
          else if (res.statusCode === 503) refused.push({ status: 503, retryAfter: res.headers['retry-after'] as string | undefined });
          else unexpected.push(`${res.statusCode} ${res.body}`);
          await sleep(5);
        }
      };
      const posting = Promise.all(ids.map(post));
      const ackedAfter = async (what: string, extra: number, deadlineMs: number) => {
        const target = acked.length + extra;
        await until(what, () => acked.length >= target, deadlineMs);
      };

      await ackedAfter('payloads before the faults', 25, 30_000);
      // Every connection of the database killed, as an operator's pg_terminate_backend does.
      const admin = new pg.Client({ connectionString: cluster.url });
      admin.on('error', () => undefined);
      await admin.connect();
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      await admin.end();
      await ackedAfter('payloads after the connections were killed', 25, 30_000);

      // The server stopped: requests are refused with 503, not 500, and the process lives.
      cluster.stop('fast');
      const refusedBefore = refused.length;
      await until('503s while the database is down', () => refused.length >= refusedBefore + 5, 30_000);
      cluster.start();
      await ackedAfter('payloads after the restart', 25, 60_000);
      stop = true;
      await posting;

      assert.deepEqual(unexpected, [], 'every answer was 202 or 503');
      assert.ok(refused.every((r) => r.retryAfter !== undefined && Number(r.retryAfter) > 0), 'every 503 says when to retry');
      // Every acknowledged payload is stored, whatever happened around it.
      for (const id of ids) {
        const mine = acked.filter((a) => a.id === id).map((a) => a.ts);
        const res = await app.inject({
          method: 'GET',
          url: `/api/v1/metrics/query?agent_ids=${id}&metric_names=cpu_usage_percent&start_time=${new Date(base - 1000).toISOString()}&end_time=${new Date(Date.now() + 1000).toISOString()}`,
          headers: bearer(ADMIN),
        });
        assert.equal(res.statusCode, 200, res.body);
        const stored = new Set((res.json() as { data: { timestamp: string }[] }).data.map((d) => d.timestamp));
        const lost = mine.filter((ts) => !stored.has(ts));
        assert.deepEqual(lost, [], `acknowledged payloads of ${id} missing`);
      }
    } finally {
      await app.close();
      await stores.close().catch(() => undefined);
      cluster.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
