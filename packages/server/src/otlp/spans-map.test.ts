import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { Attributes, Span } from './model.js';
import { translateSpans } from './spans-map.js';

const T = 1_700_000_000_000;
const span = (op: string | null, startMs: number, lengthMs: number, attributes: Attributes = {}, error = false): Span => ({
  traceId: 'ab'.repeat(16),
  spanId: 'cd'.repeat(8),
  parentSpanId: '',
  name: op ?? 'GET /',
  kind: 1,
  startMs: T + startMs,
  endMs: T + startMs + lengthMs,
  attributes: op === null ? attributes : { 'gen_ai.operation.name': op, ...attributes },
  status: { code: error ? 'error' : 'unset', message: error ? 'boom' : '' },
});
const chat = (startMs: number, lengthMs: number, error = false) =>
  span('chat', startMs, lengthMs, { 'gen_ai.request.model': 'm1', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5 }, error);

it('model calls are the tasks of an application without agent runs; rates over the batch window', () => {
  const t = translateSpans([chat(0, 1000), chat(1000, 3000, true), span(null, 0, 10)], { metricsGiveModelFigures: false, previousEndMs: null, agentRunsSeen: false });
  assert.equal(t.genAiSpans, 2);
  assert.deepEqual(t.figures.performance, { error_rate: 0.5, success_rate: 0.5, tasks_completed: 1, tasks_failed: 1, average_response_time_ms: 2000, throughput_per_second: 0.5 });
  assert.deepEqual(t.figures.ai, { tokens_processed: 30, tokens_per_second: 7.5, api_calls_made: 2, api_call_latency_ms: 2000, model_inference_time_ms: 2000 });
  assert.deepEqual(t.failed.map((s) => s.status.message), ['boom']);
});

it('once an agent has sent runs, only runs are tasks; GenAI metrics take over the model figures', () => {
  const t = translateSpans([chat(0, 1000)], { metricsGiveModelFigures: true, previousEndMs: T - 1000, agentRunsSeen: true });
  assert.equal(t.figures.performance.tasks_completed, undefined);
  assert.deepEqual(t.figures.ai, {});
  assert.equal(t.figures.custom['gen_ai.model.m1.tokens'], undefined);
  assert.equal(t.figures.custom['gen_ai.spans.chat.calls'], 1);
});

it('spans without gen_ai.operation.name give nothing', () => {
  const t = translateSpans([span(null, 0, 10, { 'http.request.method': 'GET' }, true)], { metricsGiveModelFigures: false, previousEndMs: null, agentRunsSeen: false });
  assert.equal(t.genAiSpans, 0);
  assert.deepEqual(t.failed, []);
  assert.equal(t.figures.genAi, false);
});
