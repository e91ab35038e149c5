/**
 * The head's columns from shared slabs (ColumnSlab): pieces that never overlap, start as zeros,
 * and come from a few large buffers, not one allocation each; and AgentRows built on a slab, many
 * agents interleaved on one slab as in the head, hold exactly what rows with columns of their own
 * hold, through growth, late payloads, new custom columns and retention cuts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SERIES_METRIC_NAMES } from '@agentmon/schema';
import { seededRandom } from '../../testing/random.js';
import { newBuiltins, type PointRow } from './records.js';
import { AgentRows, ColumnSlab, SLAB_BYTES } from './rows.js';

describe('ColumnSlab', () => {
  it('hands out zeroed pieces that never overlap, from a few shared buffers', () => {
    const slab = new ColumnSlab();
    const next = seededRandom(7);
    const pieces: Float64Array[] = [];
    let doubles = 0;
    for (let i = 0; i < 6000; i++) {
      const n = 1 + Math.floor(next() * 600);
      const piece = slab.take(n);
      assert.equal(piece.length, n);
      assert.ok(piece.every((v) => v === 0), `piece ${i} starts as zeros`);
      piece.fill(i);
      pieces.push(piece);
      doubles += n;
    }
    // Every piece still holds its own mark: none was handed out twice.
    pieces.forEach((piece, i) => assert.ok(piece.every((v) => v === i), `piece ${i} was overwritten`));
    const buffers = new Set(pieces.map((p) => p.buffer));
    // About 14 MiB in 2 MiB slabs: 7 full ones and a bit, at most one piece's room wasted per slab.
    assert.ok(buffers.size <= Math.ceil((doubles * 8) / SLAB_BYTES) + 1, `${buffers.size} buffers for ${doubles * 8} bytes`);
    for (const buffer of buffers) assert.equal(buffer.byteLength, SLAB_BYTES);
  });

  it('gives a large column a buffer of its own', () => {
    const slab = new ColumnSlab();
    const small = slab.take(10);
    const large = slab.take(SLAB_BYTES / 16 + 1);
    assert.notEqual(large.buffer, small.buffer);
    // Its own buffer, exactly its size: no slab opened for it.
    assert.equal(large.buffer.byteLength, large.byteLength);
    assert.equal(slab.take(10).buffer, small.buffer, 'the slab in use stays the same');
  });
});

const CUSTOM_KEYS = ['llm.calls', 'queue', 'a'];

function randomRow(next: () => number, ts: number): PointRow {
  const builtins = newBuiltins();
  let mask = 0;
  for (let i = 0; i < SERIES_METRIC_NAMES.length; i++) {
    if (next() < 0.3) continue; // absent
    builtins[i] = Math.round(next() * 10_000) / 100;
    mask |= 1 << i;
  }
  const customKeys = CUSTOM_KEYS.filter(() => next() < 0.4);
  return {
    agent: '',
    ts,
    environment: next() < 0.5 ? 'prod' : 'dev',
    deploymentType: 'cloud',
    builtins,
    mask: mask >>> 0,
    customKeys,
    customValues: customKeys.map(() => Math.floor(next() * 1000)),
    extraJson: `{"n":${Math.floor(next() * 100)}}`,
  };
}

function contents(rows: AgentRows): unknown {
  const cols = [...rows.cols].map(([name, col]) => [name, Array.from(col.subarray(0, rows.n))]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  return { n: rows.n, ts: Array.from(rows.ts.subarray(0, rows.n)), cols, environment: rows.environment, extra: rows.extra };
}

describe('AgentRows on a slab', () => {
  it('holds what rows with columns of their own hold, many agents sharing one slab', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const next = seededRandom(seed);
      const slab = new ColumnSlab();
      const agents = Array.from({ length: 40 }, () => ({ onSlab: new AgentRows(1 + Math.floor(next() * 8), slab), own: new AgentRows(8), clock: 0 }));
      for (let step = 0; step < 4000; step++) {
        const agent = agents[Math.floor(next() * agents.length)] as (typeof agents)[number];
        if (next() < 0.01) {
          const cut = Math.floor(next() * agent.clock);
          assert.equal(agent.onSlab.removeBefore(cut), agent.own.removeBefore(cut));
          continue;
        }
        // Mostly in order, sometimes late (inserted before newer rows), sometimes a tie.
        agent.clock += next() < 0.9 ? 10 : 0;
        const ts = next() < 0.1 ? Math.floor(next() * agent.clock) : agent.clock;
        const row = randomRow(next, ts);
        agent.onSlab.insert(row);
        agent.own.insert(row);
      }
      agents.forEach(({ onSlab, own }, i) => assert.deepEqual(contents(onSlab), contents(own), `seed ${seed}, agent ${i}`));
    }
  });
});
