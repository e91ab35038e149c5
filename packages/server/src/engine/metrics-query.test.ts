// The metrics query answer written as text is exactly JSON.stringify of the answer as objects: every
// grouping and fill, nulls, -0, huge and tiny and full-precision numbers, names and ids that need
// escaping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MetricsQuery } from '@agentmon/schema';
import type { LatestTable, SeriesRow } from '../storage/ports.js';
import { metricsResponseJson, prepareMetricsQuery, shapeRows, type PreparedQuery } from './metrics-query.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

const T0 = Date.UTC(2026, 0, 1, 12);
const ODD = [0, -0, 1e21, -1e-7, 5e-324, 1.7976931348623157e308, 0.1 + 0.2, 45.23, -12.5, 1 / 3, 123456789.123, 2 ** 53];

function prepared(q: Partial<MetricsQuery>): PreparedQuery {
  const p = prepareMetricsQuery({ start_time: new Date(T0).toISOString(), end_time: new Date(T0 + 3_600_000).toISOString(), ...q }, 'query');
  if (!p.ok) throw new Error(JSON.stringify(p.details));
  return p.value;
}

function rows(metrics: readonly string[], agents: readonly (string | null)[], seed: number): SeriesRow[] {
  const out: SeriesRow[] = [];
  agents.forEach((agent, a) => {
    for (let k = 0; k < 4; k++) {
      const values: Record<string, number | null> = {};
      metrics.forEach((m, i) => {
        const pick = (seed + a * 7 + k * 3 + i) % (ODD.length + 2);
        values[m] = pick >= ODD.length ? null : (ODD[pick] as number);
      });
      out.push({ agent_id: agent, ts: T0 + k * 300_000, values });
    }
  });
  return out;
}

function expected(data: SeriesRow[], p: PreparedQuery, agents: string[] | null): string {
  const shaped = shapeRows(data, p);
  return JSON.stringify({
    query: p.echo,
    total_points: shaped.length,
    agents: agents ?? [...new Set(shaped.map((r) => r.agent_id as string))].sort(),
    time_range: { start: p.echo.start_time, end: p.echo.end_time },
    data: shaped,
  });
}

describe('metrics response text', () => {
  it('is JSON.stringify of the answer, for raw, bucketed, per agent and merged answers', () => {
    const metrics = ['cpu_usage_percent', 'health_score', 'custom.we"ird \\ key', 'custom.ü'];
    const ids = ['agent-1', 'o\'brien "x"', 'ünïcode-😀'];
    let seed = 0;
    for (const q of [
      { metric_names: metrics },
      { metric_names: metrics, aggregation: 'avg' as const, interval: '5m' },
      { metric_names: metrics, aggregation: 'last' as const },
      { metric_names: metrics, aggregation: 'sum' as const, interval: '5m', group_by: 'none' as const },
      { metric_names: metrics, aggregation: 'max' as const, interval: '5m', fill: 'null' as const, agent_ids: ids },
      { metric_names: metrics, aggregation: 'min' as const, interval: '5m', fill: 'previous' as const, group_by: 'none' as const },
      { metric_names: metrics, aggregation: 'count' as const, interval: '15m', fill: 'zero' as const, agent_ids: ids },
    ]) {
      const p = prepared(q);
      const merged = p.series.groupBy === 'none';
      const data = rows(metrics, merged ? [null] : ids, seed++);
      const agents = merged ? ['agent-1', 'ünïcode-😀'] : null;
      assert.equal(text(metricsResponseJson(data, p, agents)), expected(data, p, agents), JSON.stringify(q));
    }
  });

  it('is JSON.stringify of an empty answer', () => {
    const p = prepared({ aggregation: 'avg', interval: '5m' });
    assert.equal(text(metricsResponseJson([], p, null)), expected([], p, null));
  });

  it('is the same text from a latest table as from its rows', () => {
    const metrics = ['cpu_usage_percent', 'custom.we"ird \\ key', 'custom.ü', 'health_score'];
    // Code point order (the engine's): the astral id sorts after U+FF5E, before it in UTF-16 order.
    const ids = ['agent-1', 'o\'brien "x"', 'ünïcode-😀', 'ｚ-fullwidth'];
    const p = prepared({ metric_names: metrics, aggregation: 'last' });
    const values = new Float64Array(ids.length * metrics.length);
    const present = new Uint8Array(ids.length * metrics.length);
    for (let i = 0; i < values.length; i++) {
      const pick = (i * 5) % (ODD.length + 3);
      if (pick < ODD.length) {
        values[i] = ODD[pick] as number;
        present[i] = 1;
      }
    }
    const table: LatestTable = { ts: T0, metrics, agents: ids, values, present };
    const rows: SeriesRow[] = ids.map((agent_id, a) => ({
      agent_id,
      ts: T0,
      values: Object.fromEntries(metrics.map((m, j) => [m, present[a * metrics.length + j] === 1 ? (values[a * metrics.length + j] as number) : null])),
    }));
    assert.equal(text(metricsResponseJson(table, p, null)), expected(rows, p, null));
    const empty: LatestTable = { ts: T0, metrics, agents: [], values: new Float64Array(0), present: new Uint8Array(0) };
    assert.equal(text(metricsResponseJson(empty, p, null)), expected([], p, null));
  });
});
