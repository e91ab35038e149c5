import { it } from 'node:test';
import assert from 'node:assert/strict';
import { CumulativeDeltas } from './deltas.js';
import { CustomKeyBudget } from './figures.js';
import { translateMetrics, type MetricsMemory } from './metrics-map.js';
import type { Attributes, DataPoint, Metric } from './model.js';

const T = 1_700_000_000_000;
const memory = (maxKeys = 100): MetricsMemory => ({ deltas: new CumulativeDeltas(), budget: new CustomKeyBudget(maxKeys) });
const level = (value: number, attributes: Attributes = {}, timeMs = T): DataPoint => ({ attributes, startMs: null, timeMs, value, count: null, sum: null });
const counter = (value: number, attributes: Attributes = {}, timeMs = T, startMs = T - 60_000): DataPoint => ({ attributes, startMs, timeMs, value, count: null, sum: null });
const hist = (count: number, sum: number, attributes: Attributes = {}, timeMs = T, startMs = T - 60_000): DataPoint => ({ attributes, startMs, timeMs, value: null, count, sum });
const gauge = (name: string, points: DataPoint[], unit = ''): Metric => ({ name, unit, kind: 'gauge', temporality: 'unspecified', monotonic: false, points });
const upDown = (name: string, points: DataPoint[]): Metric => ({ name, unit: 'By', kind: 'sum', temporality: 'cumulative', monotonic: false, points });
const sum = (name: string, points: DataPoint[], temporality: 'delta' | 'cumulative' = 'cumulative'): Metric => ({ name, unit: '', kind: 'sum', temporality, monotonic: true, points });
const histogram = (name: string, points: DataPoint[], unit = 's', temporality: 'delta' | 'cumulative' = 'delta'): Metric => ({ name, unit, kind: 'histogram', temporality, monotonic: false, points });

it('system CPU: the busy share of each logical CPU, averaged over them', () => {
  const cpu = (n: number, mode: string, v: number) => level(v, { 'cpu.logical_number': n, 'cpu.mode': mode });
  const t = translateMetrics('a', [gauge('system.cpu.utilization', [cpu(0, 'idle', 0.6), cpu(0, 'user', 0.3), cpu(0, 'system', 0.1), cpu(1, 'idle', 0.2), cpu(1, 'user', 0.8)])], memory());
  assert.ok(Math.abs((t.figures.resource.cpu_usage_percent ?? 0) - 60) < 1e-9);
});

it("the process's CPU wins over the host's; memory percent is the process's bytes over the host's limit", () => {
  const t = translateMetrics(
    'a',
    [
      gauge('process.cpu.utilization', [level(0.1, { 'cpu.mode': 'user' }), level(0.05, { 'cpu.mode': 'system' })]),
      gauge('system.cpu.utilization', [level(0.9, { 'cpu.mode': 'user' })]),
      upDown('process.memory.usage', [level(2e9)]),
      upDown('system.memory.limit', [level(8e9)]),
    ],
    memory(),
  );
  assert.ok(Math.abs((t.figures.resource.cpu_usage_percent ?? 0) - 15) < 1e-9);
  assert.equal(t.figures.resource.memory_usage_bytes, 2e9);
  assert.equal(t.figures.resource.memory_usage_percent, 25);
});

it("host memory alone: used bytes, and used over the sum of the states; the filesystem's used bytes", () => {
  const t = translateMetrics(
    'a',
    [
      upDown('system.memory.usage', [level(3e9, { 'system.memory.state': 'used' }), level(1e9, { 'system.memory.state': 'free' })]),
      upDown('system.filesystem.usage', [level(5e9, { 'system.filesystem.state': 'used', 'system.device': 'sda1' }), level(7e9, { 'system.filesystem.state': 'free' })]),
    ],
    memory(),
  );
  assert.deepEqual(t.figures.resource, { memory_usage_bytes: 3e9, memory_usage_percent: 75, disk_usage_bytes: 5e9 });
});

it('disk and network I/O counters give the bytes of the interval', () => {
  const m = memory();
  const io = (read: number, write: number, timeMs: number) => [
    counter(read, { 'disk.io.direction': 'read' }, timeMs),
    counter(write, { 'disk.io.direction': 'write' }, timeMs),
  ];
  translateMetrics('a', [sum('system.disk.io', io(1000, 500, T))], m);
  const second = translateMetrics('a', [sum('system.disk.io', io(1600, 500, T + 60_000))], m);
  assert.deepEqual(second.figures.resource, { disk_io_read_bytes: 600, disk_io_write_bytes: 0 });
});

it('other metrics become custom metrics: counter increase, histogram mean, gauge mean, up-down sum', () => {
  const m = memory();
  translateMetrics('a', [sum('jobs.done', [counter(10)])], m);
  const t = translateMetrics(
    'a',
    [
      sum('jobs.done', [counter(14, {}, T + 60_000)]),
      histogram('queue.wait', [hist(2, 3, { queue: 'a' }), hist(2, 1, { queue: 'b' })]),
      gauge('queue.temperature', [level(10, { queue: 'a' }), level(20, { queue: 'b' })]),
      upDown('queue.size', [level(3, { queue: 'a' }), level(4, { queue: 'b' })]),
    ],
    m,
  );
  assert.deepEqual(t.figures.custom, { 'jobs.done': 4, 'queue.wait': 1, 'queue.temperature': 15, 'queue.size': 7 });
});

it("GenAI: tokens by type and model, calls, latency in ms, errors from error.type", () => {
  const chat = { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.system': 'openai' };
  const t = translateMetrics(
    'a',
    [
      histogram('gen_ai.client.token.usage', [hist(3, 300, { ...chat, 'gen_ai.token.type': 'input' }), hist(3, 120, { ...chat, 'gen_ai.token.type': 'output' })], '{token}'),
      histogram('gen_ai.client.operation.duration', [hist(3, 1.5, chat), hist(1, 2.5, { ...chat, 'error.type': 'timeout' })]),
      histogram('gen_ai.server.time_to_first_token', [hist(2, 0.3, chat)]),
    ],
    memory(),
  );
  assert.deepEqual(t.figures.ai, { tokens_processed: 420, tokens_per_second: 7, api_calls_made: 4, api_call_latency_ms: 1000, model_inference_time_ms: 1000 });
  assert.deepEqual(t.figures.performance, { error_rate: 0.25, success_rate: 0.75 });
  // Tokens by type and calls by model are the payload's model_usage, not custom metrics.
  assert.deepEqual([...t.figures.usage.values()], [{ model: 'gpt-4o', provider: 'openai', input_tokens: 300, output_tokens: 120, calls: 4 }]);
  assert.equal(t.figures.custom['gen_ai.model.gpt-4o.tokens'], undefined);
  assert.equal(t.figures.custom['gen_ai.provider.openai.calls'], 4);
  assert.equal(t.figures.custom['gen_ai.errors'], 1);
  assert.ok(Math.abs((t.figures.custom['gen_ai.time_to_first_token_ms'] ?? 0) - 150) < 1e-9);
  assert.equal(t.figures.genAi, true);
});

it('the key budget: past it, a new key is refused with its points counted; known keys go on', () => {
  const m = memory(2);
  const first = translateMetrics('a', [gauge('k1', [level(1)]), gauge('k2', [level(2)]), gauge('k3', [level(3), level(4, { x: 1 })])], m);
  assert.deepEqual(first.figures.custom, { k1: 1, k2: 2 });
  assert.equal(first.rejected, 2);
  assert.deepEqual(first.refusedKeys, ['k3']);
  const again = translateMetrics('a', [gauge('k1', [level(5)])], m);
  assert.deepEqual(again.figures.custom, { k1: 5 });
  assert.equal(again.rejected, 0);
  // Another agent has a budget of its own.
  assert.deepEqual(translateMetrics('b', [gauge('k3', [level(3)])], m).figures.custom, { k3: 3 });
});
