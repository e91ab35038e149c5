/**
 * AgentLatest against a plain reference (a map from series name to its newest [ts, value], ties to
 * the larger value) over random inserts of built-in and custom columns, ties, late values and
 * retention cuts; by name (a block's columns) and by column (an insert's).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CUSTOM_METRIC_PREFIX, SERIES_METRIC_NAMES } from '@agentmon/schema';
import { seededRandom } from '../../testing/random.js';
import { AgentLatest, columnOf, type LatestColumn } from './latest.js';

const NAMES = [...SERIES_METRIC_NAMES, `${CUSTOM_METRIC_PREFIX}llm.calls`, `${CUSTOM_METRIC_PREFIX}queue`, `${CUSTOM_METRIC_PREFIX}cpu_usage_percent`];

describe('AgentLatest', () => {
  it('keeps, per column, the newest value (ties: the larger) as a plain map does, through retention cuts', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const next = seededRandom(seed);
      const latest = new AgentLatest();
      const reference = new Map<string, [number, number]>();
      for (let step = 0; step < 400; step++) {
        const roll = next();
        if (roll < 0.05) {
          // A retention cut: columns whose newest value is older are forgotten.
          const cut = Math.floor(next() * 1000);
          latest.dropBefore(cut);
          for (const [name, [ts]] of reference) if (ts < cut) reference.delete(name);
          continue;
        }
        const name = NAMES[Math.floor(next() * NAMES.length)] as string;
        // Few distinct times and values, so that ties and late values are common.
        const ts = Math.floor(next() * 40) * 25;
        const value = Math.floor(next() * 7) - 3 + (next() < 0.3 ? 0.5 : 0);
        const column = columnOf(name) as LatestColumn;
        if (next() < 0.5) latest.put(name, ts, value);
        else if (typeof column === 'number') latest.putBuiltin(column, ts, value);
        else latest.putCustom(column.custom, ts, value);
        const seen = reference.get(name);
        if (!seen || ts > seen[0] || (ts === seen[0] && value > seen[1])) reference.set(name, [ts, value]);

        const from = Math.floor(next() * 1100) - 50;
        for (const n of NAMES) {
          const expected = reference.get(n);
          const want = expected && expected[0] >= from ? expected[1] : null;
          assert.equal(latest.valueSince(columnOf(n) as LatestColumn, from), want, `seed ${seed} step ${step}: ${n} since ${from}`);
        }
      }
    }
  });

  it('keeps a custom key apart from the built-in of the same name, and ignores a name that is no column', () => {
    const latest = new AgentLatest();
    latest.put('cpu_usage_percent', 10, 1);
    latest.put(`${CUSTOM_METRIC_PREFIX}cpu_usage_percent`, 10, 2);
    latest.put('not_a_metric', 10, 3);
    assert.equal(latest.valueSince(columnOf('cpu_usage_percent') as LatestColumn, 0), 1);
    assert.equal(latest.valueSince(columnOf(`${CUSTOM_METRIC_PREFIX}cpu_usage_percent`) as LatestColumn, 0), 2);
    assert.equal(columnOf('not_a_metric'), null);
    assert.equal(columnOf(CUSTOM_METRIC_PREFIX), null);
    // A column never written reads null, from any time.
    assert.equal(latest.valueSince(columnOf('memory_usage_percent') as LatestColumn, Number.NEGATIVE_INFINITY), null);
  });
});
