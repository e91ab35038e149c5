import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IntervalRecorder, sanitizeResources } from './interval.js';

describe('IntervalRecorder', () => {
  it('turns tasks into counts, rates and averages per interval, then starts again', () => {
    const r = new IntervalRecorder(0);
    r.recordTask(100, true);
    r.recordTask(300, true);
    r.recordTask(200, false);
    r.taskStarted();
    const f = r.take(10_000, 42.7);
    assert.deepEqual(f.performance, {
      tasks_completed: 2,
      tasks_failed: 1,
      tasks_pending: 1,
      average_response_time_ms: 200,
      throughput_per_second: 0.3,
      error_rate: 0.333,
      success_rate: 0.667,
      uptime_seconds: 42,
    });
    assert.equal(f.ai, null, 'no AI figure recorded: no ai_metrics');
    r.taskEnded();
    const next = r.take(20_000, 52);
    assert.equal(next.performance.tasks_completed, 0);
    assert.equal(next.performance.tasks_pending, 0);
    assert.equal(next.performance.error_rate, 0);
    assert.equal(next.performance.success_rate, 1);
  });

  it('reports AI figures: token rate over the interval, means, and kept values', () => {
    const r = new IntervalRecorder(0);
    r.recordTokens(1000);
    r.recordInference(200);
    r.recordInference(400);
    r.recordApiCall(50);
    r.recordApiCall(150);
    r.recordConfidence(0.8);
    r.recordConfidence(1.4); // clamped to 1
    r.setAccuracy(0.93);
    r.setContextLength(8192.4);
    assert.deepEqual(r.take(4000, 4).ai, {
      tokens_processed: 1000,
      tokens_per_second: 250,
      api_calls_made: 2,
      model_inference_time_ms: 300,
      api_call_latency_ms: 100,
      confidence_score: 0.9,
      model_accuracy: 0.93,
      context_length: 8192,
    });
    const quiet = r.take(8000, 8).ai;
    assert.equal(quiet?.tokens_processed, 0);
    assert.equal(quiet?.model_inference_time_ms, null);
    assert.equal(quiet?.context_length, 8192, 'gauges stay');
  });

  it('keeps gauges, resets counters to zero, and ignores non-numbers', () => {
    const r = new IntervalRecorder(0);
    r.setMetric('queue_depth', 4);
    r.setMetric('model', 'gpt-4o');
    r.incrementMetric('cache_hits', 3);
    r.incrementMetric('cache_hits', Number.NaN);
    r.recordTokens(Number.POSITIVE_INFINITY);
    assert.deepEqual(r.take(1000, 1).custom, { queue_depth: 4, model: 'gpt-4o', cache_hits: 3 });
    r.removeMetric('model');
    assert.deepEqual(r.take(2000, 2).custom, { queue_depth: 4, cache_hits: 0 });
  });

  it('knows whether anything happened since the last take', () => {
    const r = new IntervalRecorder(0);
    assert.equal(r.hasActivity, false);
    r.recordTokens(1);
    assert.equal(r.hasActivity, true);
    r.take(1, 0);
    assert.equal(r.hasActivity, false);
  });
});

describe('sanitizeResources', () => {
  it('brings figures within the schema bounds and zero-fills the required ones', () => {
    assert.deepEqual(sanitizeResources({ cpu_usage_percent: 130.25, memory_usage_bytes: 10.6, gpu_usage_percent: -3, disk_io_read_bytes: Number.NaN }), {
      cpu_usage_percent: 100,
      memory_usage_bytes: 11,
      memory_usage_percent: 0,
      disk_usage_bytes: 0,
      gpu_usage_percent: 0,
    });
  });
});
