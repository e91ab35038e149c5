/**
 * When the series engine cannot keep up (its flushes are stalled: a slow or full disk), ingest is
 * refused with 503 and Retry-After instead of holding payloads in memory without bound; nothing of
 * a refused batch is written, and ingest is accepted again once the engine catches up.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildApp } from '../src/app.js';
import { DEFAULT_CONFIG } from '../src/config.js';
import { SeriesEngine } from '../src/storage/engine/engine.js';
import { runSealJob, type SealJob, type SealResult } from '../src/storage/engine/sealer.js';
import { SqliteMetadataStore } from '../src/storage/sqlite/metadata.js';
import { StoreBusyError, type SeriesPoint } from '../src/storage/ports.js';
import { ADMIN, bearer, metricsBody } from './harness.js';

/** A sealer that holds every job until released, then runs them. */
function stalledSealer(): { sealer: { run(job: SealJob): Promise<SealResult>; close(): Promise<void> }; release(): void } {
  let open = false;
  const waiting: (() => void)[] = [];
  return {
    sealer: {
      async run(job) {
        if (!open) await new Promise<void>((resolve) => waiting.push(resolve));
        return runSealJob(job);
      },
      async close() {
        open = true;
        for (const w of waiting.splice(0)) w();
      },
    },
    release() {
      open = true;
      for (const w of waiting.splice(0)) w();
    },
  };
}

const T0 = Date.UTC(2026, 2, 1, 12);
const points = (n: number, from: number): SeriesPoint[] =>
  Array.from({ length: n }, (_, i) => ({
    agent_id: `a${i % 3}`,
    ts: T0 + (from + i) * 1000,
    environment: 'e',
    deployment_type: 'd',
    values: { cpu_usage_percent: from + i },
    custom: {},
    extra: { custom_metrics: {}, health_checks: {}, alerts: [] },
  }));

describe('backpressure', () => {
  it('the engine refuses a batch while its flushes lag, writes nothing of it, and takes batches again once they catch up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentmon-busy-'));
    const { sealer, release } = stalledSealer();
    const engine = new SeriesEngine({ dir, background: false, headMaxRows: 10, headLimitRows: 25, sealer });
    try {
      await engine.migrate();
      let stored = 0;
      let refused: unknown = null;
      for (let b = 0; b < 10 && refused === null; b++) {
        try {
          await engine.insert(points(10, b * 10));
          stored += 10;
        } catch (err) {
          refused = err;
        }
      }
      assert.ok(refused instanceof StoreBusyError, `refused with StoreBusyError, got ${String(refused)}`);
      assert.ok(refused.retryAfterSeconds > 0);
      assert.ok(stored >= 25 && stored < 100, `${stored} stored before the refusal`);
      assert.equal((await engine.stats()).points, stored, 'nothing of the refused batch');
      release();
      await engine.maintain();
      await engine.maintain();
      await engine.insert(points(10, 1000));
      assert.equal((await engine.stats()).points, stored + 10);
    } finally {
      release();
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('POST /metrics answers 503 with Retry-After and the error body, and stores nothing of the batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentmon-busy-'));
    const { sealer, release } = stalledSealer();
    const metadata = new SqliteMetadataStore({ path: join(dir, 'agentmon.db') });
    const series = new SeriesEngine({ dir: join(dir, 'series'), background: false, headMaxRows: 4, headLimitRows: 8, sealer });
    await metadata.migrate();
    await series.migrate();
    // The clock of the payloads (T0), so their times are current for the server.
    const app = await buildApp({ ...DEFAULT_CONFIG, dataDir: dir, logLevel: 'silent' }, { metadata, series, adminToken: ADMIN, logger: false, clock: () => T0 + 60_000 });
    try {
      const reg = await app.inject({ method: 'POST', url: '/api/v1/agents', headers: bearer(ADMIN), payload: { name: 'busy', type: 'chatbot', version: '1', deployment_type: 'local', host: 'h', environment: 'prod' } });
      const id = (reg.json() as { agent_id: string }).agent_id;
      const batch = (k: number) => Array.from({ length: 3 }, (_, i) => metricsBody(id, { timestamp: new Date(T0 + (k * 3 + i) * 1000).toISOString() }));
      let busy = null;
      let accepted = 0;
      for (let k = 0; k < 10 && busy === null; k++) {
        const res = await app.inject({ method: 'POST', url: '/api/v1/metrics', headers: bearer(ADMIN), payload: batch(k) });
        if (res.statusCode === 202) accepted += 3;
        else busy = res;
      }
      assert.ok(busy, 'a batch was refused');
      assert.equal(busy.statusCode, 503);
      assert.equal(busy.headers['retry-after'], '2');
      const body = busy.json() as { error: string; message: string };
      assert.equal(body.error, 'STORE_BUSY');
      assert.match(body.message, /nothing was written, retry after 2 s/);
      const count = await app.inject({
        method: 'GET',
        url: `/api/v1/metrics/query?agent_ids=${id}&start_time=${new Date(T0 - 1000).toISOString()}&end_time=${new Date(T0 + 3_600_000).toISOString()}&metric_names=cpu_usage_percent&aggregation=count`,
        headers: bearer(ADMIN),
      });
      assert.equal((count.json() as { data: { cpu_usage_percent: number }[] }).data[0]?.cpu_usage_percent, accepted);
    } finally {
      release();
      await app.close();
      await series.close();
      await metadata.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
