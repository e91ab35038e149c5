/**
 * A writer process for the engine's crash tests: inserts numbered batches into the engine under
 * the directory given as argv[2], from batch argv[3] on, printing "ack <n>" once batch n is
 * acknowledged, until killed.
 * Batch n holds BATCH payloads of agents w0..w4 at timestamps n*BATCH .. n*BATCH+BATCH-1 ms after T0,
 * each with cpu = n, so the reader can tell which batches are whole.
 */
import { SeriesEngine } from '../../../src/storage/engine/engine.js';
import { StoreBusyError } from '../../../src/storage/ports.js';

const BATCH = 50;
const T0 = Date.UTC(2024, 0, 1);

const dir = process.argv[2];
const first = Number(process.argv[3] ?? 0);
if (!dir) throw new Error('usage: writer.ts <dir> [first batch number]');
// A small head, so flushes and merges run while the writer is killed.
const engine = new SeriesEngine({ dir, headMaxRows: 400, idleFlushRows: 1, idleFlushMs: 50, mergeFanIn: 2, quietMergeMs: 0, coldMergeMs: 0 });
await engine.migrate();
process.stdout.write('ready\n');
for (let n = first; ; n++) {
  const points = Array.from({ length: BATCH }, (_, i) => ({
    agent_id: `w${i % 5}`,
    // Every 7th batch is a late one, an hour back, so out-of-order inserts are killed too.
    ts: T0 + (n % 7 === 6 ? -3_600_000 : 0) + (n % 100_000) * BATCH + i + Math.floor(n / 100_000) * 7_200_000,
    environment: 'crash',
    deployment_type: 'local',
    values: { cpu_usage_percent: n, memory_usage_percent: i },
    custom: { batch: n },
    extra: { custom_metrics: { batch: n, note: `batch ${n}` }, health_checks: { ok: true }, alerts: [] },
  }));
  // Refused while flushes lag (as a client told 503): wait and send the same batch again.
  for (;;) {
    try {
      await engine.insert(points);
      break;
    } catch (err) {
      if (!(err instanceof StoreBusyError)) throw err;
      await new Promise((resolve) => setTimeout(resolve, err.retryAfterSeconds * 100));
    }
  }
  process.stdout.write(`ack ${n}\n`);
}
