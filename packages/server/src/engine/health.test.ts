import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultMonitoringConfig, type MonitoringConfig } from '@agentmon/schema';
import { HEALTH_WEIGHTS, assessHealth, capScore, expectedIntervalMs, ramp, type HealthAssessment, type HealthInputs } from './health.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const S = 1000;
/** Default config: metrics every 60 s, health every 30 s, so the interval is 60 s; cpu 80, memory 85, error 0.05, rt 5000 ms. */
const config: MonitoringConfig = defaultMonitoringConfig('agent-1');
const FACTOR = 3;

const calm = { cpu_usage_percent: 10, memory_usage_percent: 20, error_rate: 0, average_response_time_ms: 100 };

function assess(inputs: Partial<HealthInputs>, nowMs = T0, cfg = config, factor = FACTOR): HealthAssessment {
  return assessHealth({ checks: {}, lastDataAtMs: T0, metrics: null, ...inputs }, cfg, nowMs, factor);
}

/** The components as name → value. */
const values = (a: HealthAssessment) => Object.fromEntries(a.components.map((c) => [c.name, c.value]));

describe('ramp', () => {
  it('is 1 up to 0.75·T, 0.5 at T and 0 from 1.25·T', () => {
    assert.equal(ramp(0, 80), 1);
    assert.equal(ramp(60, 80), 1, '0.75·T');
    assert.equal(ramp(80, 80), 0.5, 'T');
    assert.equal(ramp(100, 80), 0, '1.25·T');
    assert.equal(ramp(150, 80), 0, 'clamped at 0 beyond 1.25·T');
  });

  it('is linear between the edges', () => {
    assert.equal(ramp(70, 80), 0.75);
    assert.equal(ramp(90, 80), 0.25);
    assert.equal(ramp(4375, 5000), 0.75);
    assert.equal(ramp(5625, 5000), 0.25);
    assert.ok(Math.abs(ramp(0.055, 0.05) - 0.3) < 1e-12);
  });

  it('with a threshold of 0, any value above 0 is a breach', () => {
    assert.equal(ramp(0, 0), 1);
    assert.equal(ramp(0.001, 0), 0);
    assert.equal(ramp(5, 0), 0);
  });
});

describe('expectedIntervalMs', () => {
  it('is the longer of the metrics and health-check intervals, in ms', () => {
    assert.equal(expectedIntervalMs(config), 60 * S);
    assert.equal(expectedIntervalMs({ metrics_interval_seconds: 10, health_check_interval_seconds: 120 }), 120 * S);
    assert.equal(expectedIntervalMs({ metrics_interval_seconds: 45, health_check_interval_seconds: 45 }), 45 * S);
  });
});

describe('assessHealth', () => {
  it('the weights sum to 1', () => {
    const sum = Object.values(HEALTH_WEIGHTS).reduce((s, w) => s + w, 0);
    assert.ok(Math.abs(sum - 1) < 1e-12);
    assert.deepEqual(HEALTH_WEIGHTS, { checks: 0.3, freshness: 0.2, error_rate: 0.2, cpu: 0.1, memory: 0.1, response_time: 0.1 });
  });

  it('an agent that never reported scores 0, freshness being its only component', () => {
    const a = assess({ lastDataAtMs: null });
    assert.equal(a.score, 0);
    assert.equal(a.components.length, 1);
    assert.deepEqual(a.components[0], { name: 'freshness', value: 0, weight: 0.2, detail: 'no data received yet' });
  });

  it('a fresh, calm agent without checks scores 1 over the five components it has', () => {
    const a = assess({ metrics: calm });
    assert.equal(a.score, 1);
    assert.deepEqual(
      a.components.map((c) => [c.name, c.value, c.weight]),
      [
        ['freshness', 1, 0.2],
        ['error_rate', 1, 0.2],
        ['cpu', 1, 0.1],
        ['memory', 1, 0.1],
        ['response_time', 1, 0.1],
      ],
    );
  });

  it('combines every component with its weight (exact example)', () => {
    // checks 2/3, freshness at 120 s (halfway from 60 s to 180 s: 1 → 0.5) = 0.75, error at T = 0.5,
    // cpu 88 of 80 = 0.3, memory calm = 1, response 5625 of 5000 = 0.25:
    // 0.3·0.6667 + 0.2·0.75 + 0.2·0.5 + 0.1·0.3 + 0.1·1 + 0.1·0.25 = 0.60501 → 0.605
    const a = assess(
      {
        checks: { a: true, b: false, c: true },
        lastDataAtMs: T0,
        metrics: { cpu_usage_percent: 88, memory_usage_percent: 20, error_rate: 0.05, average_response_time_ms: 5625 },
      },
      T0 + 120 * S,
    );
    assert.deepEqual(values(a), { checks: 0.6667, freshness: 0.75, error_rate: 0.5, cpu: 0.3, memory: 1, response_time: 0.25 });
    assert.equal(a.score, 0.605);
    const checks = a.components.find((c) => c.name === 'checks');
    assert.equal(checks?.detail, '2/3 passing; failing: b');
    const cpu = a.components.find((c) => c.name === 'cpu');
    assert.equal(cpu?.detail, 'cpu 88% vs threshold 80%');
  });

  it('renormalises the weights over the components that have data', () => {
    // No checks: (0.2·1 + 0.2·1 + 0.1·0.3 + 0.1·1 + 0.1·1) / 0.7 = 0.63 / 0.7 = 0.9
    assert.equal(assess({ metrics: { ...calm, cpu_usage_percent: 88 } }).score, 0.9);
    // Checks and freshness only (no metrics payload yet): (0.3·0.5 + 0.2·1) / 0.5 = 0.7
    assert.equal(assess({ checks: { a: false, b: true } }).score, 0.7);
    // Freshness only: its own value.
    assert.equal(assess({}).score, 1);
    assert.equal(assess({}, T0 + 150 * S).score, 0.625);
    // Metrics without checks, late at 120 s: (0.2·0.75 + 0.5) / 0.7 = 0.928571… → 0.9286
    assert.equal(assess({ metrics: calm }, T0 + 120 * S).score, 0.9286);
    // Silent past the offline limit: (0.2·0 + 0.5) / 0.7 = 0.714285… → 0.7143
    assert.equal(assess({ metrics: calm }, T0 + 181 * S).score, 0.7143);
  });

  it('rounds components and the score to 4 decimals', () => {
    const a = assess({ checks: { a: true, b: false, c: false } });
    assert.equal(values(a).checks, 0.3333);
    // (0.3·0.3333 + 0.2·1) / 0.5 = 0.59998 → 0.6
    assert.equal(a.score, 0.6);
    const b = assess({ metrics: calm }, T0 + 100 * S);
    // freshness 1 - 0.5·40/120 = 0.83333… → 0.8333; score (0.2·0.8333 + 0.5)/0.7 = 0.952371… → 0.9524
    assert.equal(values(b).freshness, 0.8333);
    assert.equal(b.score, 0.9524);
  });

  it('freshness is 1 within one interval, falls linearly to 0.5 at offline_factor intervals, then is 0', () => {
    const fresh = (ageS: number, factor = FACTOR) => values(assess({}, T0 + ageS * S, config, factor)).freshness;
    assert.equal(fresh(0), 1);
    assert.equal(fresh(60), 1, 'exactly one interval');
    assert.equal(fresh(90), 0.875);
    assert.equal(fresh(120), 0.75);
    assert.equal(fresh(150), 0.625);
    assert.equal(fresh(180), 0.5, 'at 3 intervals: late, not yet silent');
    assert.equal(fresh(180.001), 0, 'past 3 intervals: offline');
    assert.equal(fresh(1000), 0);
    // offline factor 5: 0.75 at 180 s, 0.5 at 300 s, 0 after
    assert.equal(fresh(180, 5), 0.75);
    assert.equal(fresh(300, 5), 0.5);
    assert.equal(fresh(301, 5), 0);
    // data stamped after now (clock skew) counts as fresh
    assert.equal(values(assess({ lastDataAtMs: T0 + 10 * S }, T0)).freshness, 1);
  });

  it('freshness uses the longer of the metrics and health-check intervals', () => {
    const cfg: MonitoringConfig = { ...config, metrics_interval_seconds: 10, health_check_interval_seconds: 120 };
    const fresh = (ageS: number) => values(assess({}, T0 + ageS * S, cfg)).freshness;
    assert.equal(fresh(120), 1);
    assert.equal(fresh(240), 0.75);
    assert.equal(fresh(360), 0.5);
    assert.equal(fresh(361), 0);
  });

  it('follows the thresholds of the config', () => {
    const cfg: MonitoringConfig = { ...config, cpu_threshold: 40, memory_threshold: 50, error_rate_threshold: 0.1, response_time_threshold_ms: 200 };
    const a = assess({ metrics: { cpu_usage_percent: 40, memory_usage_percent: 62.5, error_rate: 0.075, average_response_time_ms: 225 } }, T0, cfg);
    assert.deepEqual(values(a), { freshness: 1, error_rate: 1, cpu: 0.5, memory: 0, response_time: 0.25 });
    // (0.2 + 0.2 + 0.05 + 0 + 0.025) / 0.7 = 0.678571… → 0.6786
    assert.equal(a.score, 0.6786);
  });

  it('a fully broken agent scores near 0 and every value stays within [0, 1]', () => {
    const a = assess(
      { checks: { a: false }, metrics: { cpu_usage_percent: 100, memory_usage_percent: 100, error_rate: 1, average_response_time_ms: 60_000 } },
      T0 + 500 * S,
    );
    // memory 100 % is under 1.25 · 85 = 106.25: 0.5 - 15/42.5 = 0.1471; everything else is 0.
    assert.deepEqual(values(a), { checks: 0, freshness: 0, error_rate: 0, cpu: 0, memory: 0.1471, response_time: 0 });
    assert.equal(a.score, 0.0147);
    const b = assess({ checks: { a: false }, metrics: { cpu_usage_percent: 100, memory_usage_percent: 100, error_rate: 1, average_response_time_ms: 60_000 } }, T0 + 500 * S, {
      ...config,
      memory_threshold: 50,
    });
    assert.equal(b.score, 0);
    for (const c of b.components) assert.ok(c.value >= 0 && c.value <= 1, c.name);
  });

  it('capScore holds the score at the limit and adds the cap to the explanation; a lower score is left as is', () => {
    const fresh = assess({ metrics: calm });
    assert.equal(fresh.score, 1);
    const capped = capScore(fresh, { limit: 0.29, detail: 'status error (threshold:cpu_usage_percent): score held at 0.29 or less' });
    assert.equal(capped.score, 0.29);
    assert.deepEqual(capped.components.slice(0, -1), fresh.components, 'the weighted terms are unchanged');
    assert.deepEqual(capped.components.at(-1), { name: 'cap', value: 0.29, weight: 0, detail: 'status error (threshold:cpu_usage_percent): score held at 0.29 or less' });
    assert.equal(fresh.components.length, 5, 'the input is not changed');
    const low = assess({ checks: { a: false }, metrics: { ...calm, error_rate: 1 } }, T0 + 500 * S);
    assert.equal(capScore(low, { limit: 0.59, detail: 'x' }), low);
    assert.equal(capScore(fresh, null), fresh);
  });
});
