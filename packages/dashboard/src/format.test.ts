import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatTokens, formatTokensExact, formatUsd, formatUsdShort, formatDateTime, formatDuration, formatLasting, formatMs, formatRatio, formatRelative, formatTimesIn, formatUnit, humanize } from './format.js';

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
    assert.equal(formatUsd(12.345), '$12.35');
    assert.equal(formatUsd(3.5), '$3.50');
    assert.equal(formatUsd(0.0123), '$0.0123');
    assert.equal(formatUsd(0.35), '$0.3500');
    assert.equal(formatUsd(0.29285714), '$0.2929');
    assert.equal(formatUsd(0.99999), '$1.00', 'rounding up to a dollar reads as dollars, not $1.0000');
    assert.equal(formatUsd(0), '$0.00');
    assert.equal(formatUsd(0.00001), '<$0.0001', 'a tiny sum is not shown as nothing');
    assert.equal(formatUsd(1234.5), '$1,234.50', 'thousands separators, cents kept');
    assert.equal(formatUsd(250_000.4), '$250,000', 'whole dollars from 100,000');
    assert.equal(formatUsd(-2), '-$2.00');
    assert.equal(formatUsd(null), formatBytes(null));
    assert.equal(formatUsd(Number.NaN), '—');
  });

  it('labels a dollar axis short', () => {
    assert.equal(formatUsdShort(0), '$0');
    assert.equal(formatUsdShort(0.005), '$0.005');
    assert.equal(formatUsdShort(0.0123), '$0.012');
    assert.equal(formatUsdShort(12), '$12');
    assert.equal(formatUsdShort(15_000), '$15k');
  });

  it('counts tokens with thousands separators, then k and M', () => {
    assert.equal(formatTokens(980), '980');
    assert.equal(formatTokens(1234), '1,234');
    assert.equal(formatTokens(170_000), '170k');
    assert.equal(formatTokens(1_700_000), '1.7M');
    assert.equal(formatTokens(1_000_000), '1M');
    assert.equal(formatTokens(2_500_000_000), '2.5B');
    assert.equal(formatTokens(12.4), '12', 'whole tokens');
    assert.equal(formatTokens(undefined), '—');
    assert.equal(formatTokensExact(1_700_000), '1,700,000 tokens');
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
