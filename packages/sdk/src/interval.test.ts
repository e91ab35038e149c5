import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IntervalRecorder, MODELS_PER_INTERVAL_MAX, checkModelUsage, sanitizeResources } from './interval.js';

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

describe('IntervalRecorder model usage', () => {
  it('sums each model over the interval, and the next interval starts empty', () => {
    const r = new IntervalRecorder(0);
    r.recordModelUsage({ model: 'gpt-4o-mini', provider: 'openai', inputTokens: 1000, outputTokens: 200, calls: 1 });
    r.recordModelUsage({ model: 'gpt-4o-mini', inputTokens: 3000, outputTokens: 800, calls: 1 });
    r.recordModelUsage({ model: 'my-local-llama', inputTokens: 50, outputTokens: 10.4 });
    r.recordTokens(7); // no model: tokens_processed only
    const first = r.take(1000, 1);
    assert.deepEqual(first.modelUsage, [
      { model: 'gpt-4o-mini', provider: 'openai', input_tokens: 4000, output_tokens: 1000, calls: 2 },
      // no call recorded: calls left out (unknown), not 0
      { model: 'my-local-llama', input_tokens: 50, output_tokens: 10 },
    ]);
    assert.equal(first.modelsLeftOut, 0);
    assert.equal(first.ai?.tokens_processed, 5000 + 60 + 7, 'tokens_processed is every token, by model or not');

    r.recordModelUsage({ model: 'my-local-llama', inputTokens: 5, outputTokens: 1, calls: 0 });
    const second = r.take(2000, 2);
    assert.deepEqual(second.modelUsage, [{ model: 'my-local-llama', input_tokens: 5, output_tokens: 1, calls: 0 }], "the first interval's usage is not sent again");
    assert.equal(second.ai?.tokens_processed, 6);

    const third = r.take(3000, 3);
    assert.deepEqual(third.modelUsage, [], 'a quiet interval carries no usage');
    assert.equal(third.ai?.tokens_processed, 0);
  });

  it("keeps tokens with the host's cost apart from the ones the server prices", () => {
    const r = new IntervalRecorder(0);
    r.recordModelUsage({ model: 'claude-sonnet-4', inputTokens: 100, outputTokens: 10, calls: 1 });
    r.recordModelUsage({ model: 'claude-sonnet-4', inputTokens: 2000, outputTokens: 300, calls: 2, costUsd: 0.25 });
    r.recordModelUsage({ model: 'claude-sonnet-4', inputTokens: 1000, outputTokens: 100, calls: 1, costUsd: 0.125 });
    // A merged entry's cost_usd would replace the price of all its tokens, the first 110 counting $0.
    assert.deepEqual(r.take(1000, 1).modelUsage, [
      { model: 'claude-sonnet-4', input_tokens: 100, output_tokens: 10, calls: 1 },
      { model: 'claude-sonnet-4', input_tokens: 3000, output_tokens: 400, calls: 3, cost_usd: 0.375 },
    ]);
  });

  it('sends at most 50 models, those with the most tokens, and says how many it left out', () => {
    const r = new IntervalRecorder(0);
    for (let i = 1; i <= 52; i++) r.recordModelUsage({ model: `m-${String(i).padStart(2, '0')}`, inputTokens: i * 10, calls: 1 });
    const f = r.take(1000, 1);
    assert.equal(f.modelUsage.length, 50);
    assert.equal(f.modelsLeftOut, 2);
    assert.deepEqual(
      f.modelUsage.map((u) => u.model),
      Array.from({ length: 50 }, (_, i) => `m-${String(52 - i).padStart(2, '0')}`),
      'the two smallest (m-01, m-02) are the ones left out',
    );
    assert.equal(f.ai?.tokens_processed, (52 * 53 * 10) / 2, "the left-out models' tokens still count in tokens_processed");
    assert.equal(r.take(2000, 2).modelsLeftOut, 0, 'the next interval starts empty');
  });

  it('bounds the models one interval keeps', () => {
    const r = new IntervalRecorder(0);
    for (let i = 0; i < MODELS_PER_INTERVAL_MAX + 5; i++) r.recordModelUsage({ model: `m${i}`, outputTokens: 1 });
    const f = r.take(1000, 1);
    assert.equal(f.modelUsage.length, 50);
    assert.equal(f.modelsLeftOut, MODELS_PER_INTERVAL_MAX + 5 - 50);
    assert.equal(f.ai?.tokens_processed, MODELS_PER_INTERVAL_MAX + 5);
  });

  it('refuses a record the payload could not carry, before counting any of it', () => {
    const r = new IntervalRecorder(0);
    assert.throws(() => r.recordModelUsage({ model: '', inputTokens: 5 }), /model must be a non-empty string/);
    assert.throws(() => r.recordModelUsage({ model: 'x'.repeat(201), inputTokens: 5 }), /at most 200/);
    assert.throws(() => r.recordModelUsage({ model: 'gpt-4o', provider: 'p'.repeat(101) }), /provider/);
    assert.throws(() => r.recordModelUsage({ model: 'gpt-4o', inputTokens: 5, outputTokens: -1 }), /outputTokens/);
    assert.throws(() => r.recordModelUsage({ model: 'gpt-4o', inputTokens: Number.NaN }), /inputTokens/);
    assert.throws(() => r.recordModelUsage({ model: 'gpt-4o', calls: 1.5 }), /calls/);
    assert.throws(() => r.recordModelUsage({ model: 'gpt-4o', costUsd: Number.POSITIVE_INFINITY }), /costUsd/);
    assert.equal(r.hasActivity, false, 'nothing was counted');
    assert.deepEqual(checkModelUsage({ model: 'gpt-4o', inputTokens: 0 }), { model: 'gpt-4o', inputTokens: 0 });
    const f = r.take(1000, 1);
    assert.deepEqual(f.modelUsage, []);
    assert.equal(f.ai, null);
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
