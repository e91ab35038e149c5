// The metric-name lists and isQueryableMetricName against the metric models: every numeric field
// of ResourceMetrics, PerformanceMetrics and AIMetrics must have a name, derived here from the
// schemas' own properties, so adding a numeric field without listing it fails.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TSchema } from 'typebox';
import {
  AI_METRIC_NAMES,
  AIMetrics,
  CUSTOM_METRIC_PREFIX,
  HEALTH_SCORE_METRIC,
  PERFORMANCE_METRIC_NAMES,
  PerformanceMetrics,
  RESOURCE_METRIC_NAMES,
  ResourceMetrics,
  SERIES_METRIC_NAMES,
  isQueryableMetricName,
  isSeriesMetricName,
} from './index.js';

interface Json {
  type?: string;
  anyOf?: Json[];
  properties?: Record<string, Json>;
}

/** The JSON type of a property, looking through Nullable. */
function typeOf(s: Json): string | undefined {
  if (s.anyOf) {
    const types = s.anyOf.map(typeOf).filter((t) => t !== 'null');
    assert.equal(types.length, 1, 'a Nullable has one non-null branch');
    return types[0];
  }
  return s.type;
}

/** The schema's numeric properties (integer or number, nullable or not), in declaration order. */
function numericFields(schema: TSchema): string[] {
  const properties = (schema as unknown as Json).properties ?? {};
  return Object.entries(properties)
    .filter(([, s]) => typeOf(s) === 'integer' || typeOf(s) === 'number')
    .map(([name]) => name);
}

const groups = [
  ['ResourceMetrics', ResourceMetrics, RESOURCE_METRIC_NAMES],
  ['PerformanceMetrics', PerformanceMetrics, PERFORMANCE_METRIC_NAMES],
  ['AIMetrics', AIMetrics, AI_METRIC_NAMES],
] as const;

const allNumeric = groups.flatMap(([, schema]) => numericFields(schema));

describe('metric names', () => {
  for (const [model, schema, names] of groups) {
    it(`${model}: its list names every numeric field, in order, and nothing else`, () => {
      const fields = numericFields(schema);
      assert.ok(fields.length > 0);
      assert.deepEqual([...names], fields);
    });

    it(`${model}: every field is numeric (a non-numeric field would be no series)`, () => {
      const properties = Object.keys((schema as unknown as Json).properties ?? {});
      assert.deepEqual(numericFields(schema), properties);
    });
  }

  it('the three lists hold 26 names, the seed’s 10 + 8 + 8', () => {
    assert.equal(RESOURCE_METRIC_NAMES.length, 10);
    assert.equal(PERFORMANCE_METRIC_NAMES.length, 8);
    assert.equal(AI_METRIC_NAMES.length, 8);
    assert.equal(allNumeric.length, 26);
  });

  it('no name appears twice across the groups', () => {
    assert.equal(new Set(SERIES_METRIC_NAMES).size, SERIES_METRIC_NAMES.length);
  });

  it('SERIES_METRIC_NAMES is the three groups in order, then health_score', () => {
    assert.deepEqual([...SERIES_METRIC_NAMES], [...allNumeric, HEALTH_SCORE_METRIC]);
    assert.equal(HEALTH_SCORE_METRIC, 'health_score');
  });

  it('health_score is not a field of the metric models (agentmon computes it)', () => {
    assert.ok(!allNumeric.includes(HEALTH_SCORE_METRIC));
  });

  it('custom series carry the custom. prefix, which no built-in name has', () => {
    assert.equal(CUSTOM_METRIC_PREFIX, 'custom.');
    for (const name of SERIES_METRIC_NAMES) assert.ok(!name.startsWith(CUSTOM_METRIC_PREFIX), name);
  });
});

describe('isSeriesMetricName', () => {
  it('is true for every numeric metric field and health_score', () => {
    for (const name of [...allNumeric, HEALTH_SCORE_METRIC]) assert.equal(isSeriesMetricName(name), true, name);
  });

  it('is false for custom series and anything else', () => {
    for (const name of ['custom.queue_depth', 'custom.', '', 'agent_id', 'timestamp', 'resource_metrics', 'CPU_USAGE_PERCENT', 'cpu_usage_percent ']) {
      assert.equal(isSeriesMetricName(name), false, name);
    }
  });
});

describe('isQueryableMetricName', () => {
  it('accepts every numeric field of ResourceMetrics, PerformanceMetrics and AIMetrics', () => {
    for (const name of allNumeric) assert.equal(isQueryableMetricName(name), true, name);
  });

  it('accepts health_score', () => {
    assert.equal(isQueryableMetricName('health_score'), true);
  });

  it('accepts custom.<key>, whatever the key', () => {
    for (const name of ['custom.queue_depth', 'custom.x', 'custom.a.b', 'custom.cpu_usage_percent', 'custom.with space', 'custom..']) {
      assert.equal(isQueryableMetricName(name), true, name);
    }
  });

  it('rejects custom. without a key, other prefixes, and unknown names', () => {
    const bad = [
      '',
      'custom.',
      'custom',
      'Custom.x',
      'customx',
      'x.custom.y',
      'cpu',
      'cpu_usage',
      'CPU_USAGE_PERCENT',
      ' cpu_usage_percent',
      'cpu_usage_percent ',
      'resource_metrics.cpu_usage_percent',
      'resource_metrics',
      'performance_metrics',
      'ai_metrics',
      'agent_id',
      'timestamp',
      'alerts',
      'custom_metrics',
      'health_checks',
      'toString',
      'constructor',
      '__proto__',
      'hasOwnProperty',
    ];
    for (const name of bad) assert.equal(isQueryableMetricName(name), false, JSON.stringify(name));
  });
});
