/**
 * The reader's compact chunk list against what was written: blocks of agents with differing column
 * sets (built-in, custom, a column some rows lack, -0 and ties as latest values) are written with
 * BlockWriter and read back; every chunk's sections, column names, latest values and tiers must be
 * what the rows say.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROLLUP_TIERS } from '../rollup-plan.js';
import { BlockReader, BlockWriter } from './block.js';
import { AgentRows } from './rows.js';
import { seededRandom } from '../../testing/random.js';

const T0 = Date.UTC(2026, 0, 1);

/** An agent's rows: `columns` each with a value on some rows (never all NaN), at steps of 10 s. */
function rowsOf(n: number, columns: Record<string, (i: number) => number>): AgentRows {
  const rows = new AgentRows(Math.max(8, n));
  for (let i = 0; i < n; i++) {
    rows.ts[i] = T0 + i * 10_000;
    rows.environment.push('prod');
    rows.deploymentType.push('k8s');
    rows.extra.push('{}');
  }
  rows.n = n;
  for (const [name, value] of Object.entries(columns)) {
    const col = rows.column(name);
    for (let i = 0; i < n; i++) col[i] = value(i);
  }
  return rows;
}

/** The newest (ts, value) of a column, ties to the larger value, as the writer defines it. */
function latestOf(rows: AgentRows, name: string): [number, number] | null {
  const col = rows.cols.get(name) as Float64Array;
  let best: [number, number] | null = null;
  for (let i = 0; i < rows.n; i++) {
    const v = col[i] as number;
    if (Number.isNaN(v)) continue;
    const t = rows.ts[i] as number;
    if (!best || t > best[0] || (t === best[0] && v > best[1])) best = [t, v];
  }
  return best;
}

describe('ChunkTable: a block index as a reader keeps it', () => {
  it('gives back every chunk’s columns, sections, latest values and tiers as written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentmon-chunk-table-'));
    try {
      const next = seededRandom(7);
      const written = new Map<string, AgentRows>();
      written.set('a-builtins', rowsOf(40, { cpu_usage_percent: (i) => i, memory_usage_percent: () => 50 }));
      // -0 as the latest value (JSON has no -0), and a column only the first rows have.
      written.set('b-negative-zero', rowsOf(12, { cpu_usage_percent: (i) => (i === 11 ? -0 : i + 0.5), error_rate: (i) => (i < 3 ? 0.1 : Number.NaN) }));
      // Custom columns of its own; one that names a built-in after the prefix.
      written.set('c-custom', rowsOf(30, { 'custom.queue': () => Math.floor(next() * 100), 'custom.cpu_usage_percent': (i) => -i }));
      // A single row, a single column.
      written.set('d-one', rowsOf(1, { uptime_seconds: () => 1e300 }));

      for (const [tiered, file] of [
        [true, 'merged.blk'],
        [false, 'flush.blk'],
      ] as const) {
        const path = join(dir, file);
        const writer = new BlockWriter(`${path}.tmp`, path, { tiers: ROLLUP_TIERS, chunkTiers: tiered, deflateLevel: 6 });
        for (const [agent, rows] of written) writer.addChunk(agent, rows);
        writer.finish();
        const reader = BlockReader.open(path);
        try {
          assert.deepEqual([...reader.chunks.keys()], [...written.keys()]);
          for (const [agent, rows] of written) {
            const chunk = reader.chunks.get(agent);
            assert.ok(chunk);
            assert.equal(chunk.r, rows.n);
            assert.equal(chunk.t0, rows.ts[0]);
            assert.equal(chunk.t1, rows.ts[rows.n - 1]);
            assert.deepEqual(Array.from(reader.readTimestamps(chunk)), Array.from(rows.ts.subarray(0, rows.n)));
            assert.deepEqual(chunk.columnNames(), [...rows.cols.keys()].sort(), agent);
            for (const name of rows.cols.keys()) {
              const col = reader.readColumn(chunk, name);
              assert.ok(col, `${agent} ${name}`);
              const want = Array.from((rows.cols.get(name) as Float64Array).subarray(0, rows.n));
              assert.deepEqual(Array.from(col), want, `${agent} ${name}`);
            }
            // A column another chunk has, and one no chunk has.
            assert.equal(chunk.column(agent === 'a-builtins' ? 'custom.queue' : 'memory_usage_percent'), undefined);
            assert.equal(chunk.column('tokens_per_second'), undefined);
            const latest: [string, number, number][] = [];
            chunk.forEachLatest((name, ts, value) => latest.push([name, ts, value]));
            assert.deepEqual(
              latest,
              chunk.columnNames().map((name) => [name, ...(latestOf(rows, name) as [number, number])]),
              agent,
            );
            if (agent === 'b-negative-zero') assert.ok(Object.is(latest.find(([name]) => name === 'cpu_usage_percent')?.[2], -0));
            for (const tier of ROLLUP_TIERS) {
              const ref = chunk.tier(tier.name);
              if (!tiered) {
                assert.equal(ref, undefined);
                continue;
              }
              assert.ok(ref);
              const read = reader.readTier(ref, tier.ms);
              assert.deepEqual(read.names().sort(), chunk.columnNames());
              const count = read.column('cpu_usage_percent') ?? read.column('custom.queue') ?? read.column('uptime_seconds');
              assert.ok(count);
            }
            assert.equal(chunk.tier('1d'), undefined);
          }
        } finally {
          reader.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
