import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatUsd, formatDateTime, formatDuration, formatLasting, formatMs, formatRatio, formatRelative, formatTimesIn, formatUnit, humanize } from './format.js';

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

  it('shows dollars with cents, and small sums to a hundredth of a cent', () => {
    assert.equal(formatUsd(12.5), '$12.50');
    assert.equal(formatUsd(0.0123), '$0.0123');
    assert.equal(formatUsd(null), formatBytes(null));
  });

  it('works durations out when shown: timestamps in a message, how long an alert lasts', () => {
    const now = Date.parse('2026-03-01T12:10:00.000Z');
    const text = 'no metrics from a since 2026-03-01T12:00:00.000Z (offline after 180 s of silence)';
    assert.equal(formatTimesIn(text, now), `no metrics from a since ${formatDateTime('2026-03-01T12:00:00.000Z')} (${formatRelative('2026-03-01T12:00:00.000Z', now)}) (offline after 180 s of silence)`);
    assert.equal(formatTimesIn('cpu is 93%', now), 'cpu is 93%');
    assert.equal(formatLasting('2026-03-01T12:00:00.000Z', null, now), '10 min');
    assert.equal(formatLasting('2026-03-01T12:00:00.000Z', null, now + 3_600_000), '1h 10m', 'later, longer: nothing frozen');
    assert.equal(formatLasting('2026-03-01T12:00:00.000Z', '2026-03-01T12:00:19.000Z', now), '19 s');
  });
});
