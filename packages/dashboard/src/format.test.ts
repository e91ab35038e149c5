import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatDuration, formatMs, formatRatio, formatUnit, humanize } from './format.js';

describe('format', () => {
  it('shows every figure with its unit', () => {
    assert.equal(formatBytes(805_306_368), '768 MB');
    assert.equal(formatBytes(1.5 * 1024 ** 3), '1.50 GB');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatMs(840), '840 ms');
    assert.equal(formatMs(1240), '1.24 s');
    assert.equal(formatRatio(0.017), '1.7%');
    assert.equal(formatRatio(0), '0%');
    assert.equal(formatDuration(90_061), '1d 1h');
    assert.equal(formatUnit(null, 'ms'), '—');
    assert.equal(formatUnit(0.87, 'score'), '87');
  });

  it('turns enum values into words', () => {
    assert.equal(humanize('llm_agent'), 'LLM agent');
    assert.equal(humanize('api_agent'), 'API agent');
    assert.equal(humanize('metric_threshold_exceeded'), 'Metric threshold exceeded');
  });
});
