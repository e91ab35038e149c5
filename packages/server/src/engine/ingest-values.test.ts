// The fixed-shape value records of a payload (built as literals for speed) against the name lists
// they must follow: a metric added to the schema must be added there too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AI_METRIC_NAMES, PERFORMANCE_METRIC_NAMES, RESOURCE_METRIC_NAMES, SERIES_METRIC_NAMES, type AgentMetrics } from '@agentmon/schema';
import type { IngestContext } from '../storage/ports.js';
import { FLEET_VALUES, fleetValues, payloadValues, toSeriesPoint } from './ingest.js';

/** A payload whose every numeric field has its own value (its position in the lists). */
function numbered(): AgentMetrics {
  const group = (names: readonly string[], offset: number) => Object.fromEntries(names.map((n, i) => [n, offset + i + 0.5]));
  return {
    agent_id: 'a',
    resource_metrics: group(RESOURCE_METRIC_NAMES, 0) as AgentMetrics['resource_metrics'],
    performance_metrics: group(PERFORMANCE_METRIC_NAMES, 100) as AgentMetrics['performance_metrics'],
    ai_metrics: group(AI_METRIC_NAMES, 200) as NonNullable<AgentMetrics['ai_metrics']>,
  };
}

const expected = (p: AgentMetrics, name: string): number | null => {
  for (const group of [p.resource_metrics, p.performance_metrics, p.ai_metrics ?? {}] as Record<string, unknown>[]) {
    if (name in group) return typeof group[name] === 'number' ? (group[name] as number) : null;
  }
  return null;
};

test('payloadValues has every built-in metric, in SERIES_METRIC_NAMES order, from its group', () => {
  const p = numbered();
  const v = payloadValues(p);
  assert.deepEqual(Object.keys(v), [...RESOURCE_METRIC_NAMES, ...PERFORMANCE_METRIC_NAMES, ...AI_METRIC_NAMES]);
  for (const name of Object.keys(v)) assert.equal(v[name], expected(p, name), name);
});

test('payloadValues gives null for what is missing, null or not a number', () => {
  const p: AgentMetrics = {
    agent_id: 'a',
    resource_metrics: { cpu_usage_percent: 5, memory_usage_bytes: 1, memory_usage_percent: 2, disk_usage_bytes: 3, gpu_usage_percent: null },
    performance_metrics: { error_rate: '0.5' as unknown as number },
    ai_metrics: null,
  };
  const v = payloadValues(p);
  assert.equal(v.cpu_usage_percent, 5);
  assert.equal(v.gpu_usage_percent, null);
  assert.equal(v.error_rate, null);
  assert.equal(v.tokens_per_second, null);
  assert.equal(Object.values(v).filter((x) => x !== null).length, 4);
});

test('fleetValues has the FLEET_VALUES, in that order', () => {
  const p = numbered();
  const v = fleetValues(p);
  assert.deepEqual(Object.keys(v), [...FLEET_VALUES]);
  for (const name of FLEET_VALUES) assert.equal(v[name], expected(p, name), name);
});

test('a series point has every SERIES_METRIC_NAMES value, in order, health_score last', () => {
  const ctx = { id: 'a', environment: 'e', deployment_type: 'local' } as IngestContext;
  const point = toSeriesPoint({ ...numbered(), custom_metrics: { q: 3, nested: { x: 1, s: 'no' }, list: [1] } }, ctx, 1000, 0.75);
  assert.deepEqual(Object.keys(point.values), [...SERIES_METRIC_NAMES]);
  assert.equal(point.values.health_score, 0.75);
  assert.deepEqual(point.custom, { q: 3, 'nested.x': 1 });
});
