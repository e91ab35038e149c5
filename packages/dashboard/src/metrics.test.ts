import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { metricInfo } from './metrics.js';

describe('metricInfo', () => {
  it('guesses the unit of a custom metric from its suffix: _usd, _ms, _ratio, _bytes, _percent, _per_second', () => {
    const units = ['cost_usd', 'llm.latency_ms', 'cache_hit_ratio', 'payload_bytes', 'gpu_fan_percent', 'pages_per_second', 'queue_depth'].map(
      (k) => metricInfo(`custom.${k}`),
    );
    assert.deepEqual(
      units.map((u) => u.unit),
      ['usd', 'ms', 'ratio', 'bytes', 'percent', 'rate', 'count'],
    );
    assert.equal(units[1]?.label, 'llm.latency_ms');
  });

  it('knows the built-in metrics by name', () => {
    assert.deepEqual(metricInfo('error_rate'), { label: 'Error rate', unit: 'ratio' });
    assert.deepEqual(metricInfo(null), { label: 'value', unit: 'count' });
  });
});
