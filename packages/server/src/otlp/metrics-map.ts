/**
 * OTLP metrics of one agent -> agentmon figures. GenAI semantic conventions and process/system
 * metrics fill the seed's fields; every other metric becomes a custom metric named after it, within
 * the agent's key budget. Sums and histograms count per interval (deltas.ts); the README's mapping
 * table is the contract this file implements.
 */
import { attr, attributesKey } from './attributes.js';
import type { CumulativeDeltas } from './deltas.js';
import { UNKNOWN_MODEL, addUsage, customKey, noFigures, type AgentFigures, type CustomKeyBudget } from './figures.js';
import type { Attributes, Metric } from './model.js';

/** A gauge's (or up-down counter's) latest value for one attribute set. */
interface Level {
  attributes: Attributes;
  value: number;
}

/** What a counter or histogram series added over the interval. */
interface Step {
  attributes: Attributes;
  /** Sum added (counter value, or histogram sum); null for a histogram without sums. */
  value: number | null;
  /** Histogram measurements added. */
  count: number;
  intervalMs: number;
}

/** A metric's data as levels (gauges, up-down counters) or steps (counters, histograms). */
interface Readings {
  metric: Metric;
  levels: Level[];
  steps: Step[];
}

/** What metrics of one agent gave, and what was refused. */
export interface MetricsTranslation {
  figures: AgentFigures;
  /** Data points refused (their custom key was over the agent's budget). */
  rejected: number;
  /** The custom keys refused. */
  refusedKeys: string[];
}

/** What the translation keeps between exports. */
export interface MetricsMemory {
  deltas: CumulativeDeltas;
  budget: CustomKeyBudget;
}

const isLevel = (m: Metric) => m.kind === 'gauge' || (m.kind === 'sum' && !m.monotonic);

function readingsOf(agentId: string, metric: Metric, deltas: CumulativeDeltas): Readings {
  const r: Readings = { metric, levels: [], steps: [] };
  if (isLevel(metric)) {
    // The latest point of each attribute set.
    const latest = new Map<string, { timeMs: number; level: Level }>();
    for (const p of metric.points) {
      if (p.value === null || !Number.isFinite(p.value)) continue;
      const key = attributesKey(p.attributes);
      const seen = latest.get(key);
      if (!seen || p.timeMs >= seen.timeMs) latest.set(key, { timeMs: p.timeMs, level: { attributes: p.attributes, value: p.value } });
    }
    r.levels = [...latest.values()].map((x) => x.level);
    return r;
  }
  // Summaries are cumulative by definition.
  const temporality = metric.kind === 'summary' ? 'cumulative' : metric.temporality;
  for (const p of metric.points) {
    const step = deltas.step(`${agentId}\u0000${metric.name}\u0000${attributesKey(p.attributes)}`, temporality, p);
    if (step === null || (step.value !== null && !Number.isFinite(step.value))) continue;
    r.steps.push({ attributes: p.attributes, value: step.value, count: step.count, intervalMs: step.intervalMs });
  }
  return r;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const levelSum = (ls: readonly Level[], keep: (l: Level) => boolean = () => true) => sum(ls.filter(keep).map((l) => l.value));
const stepSum = (ss: readonly Step[], keep: (s: Step) => boolean = () => true) => sum(ss.filter(keep).map((s) => s.value ?? 0));
const stepCount = (ss: readonly Step[], keep: (s: Step) => boolean = () => true) => sum(ss.filter(keep).map((s) => s.count));
const longestInterval = (ss: readonly Step[]) => Math.max(0, ...ss.map((s) => s.intervalMs));
/** Mean of a histogram's measurements over the interval; null when none were made. */
function histogramMean(ss: readonly Step[]): number | null {
  const withSum = ss.filter((s) => s.value !== null);
  const count = stepCount(withSum);
  return count > 0 ? stepSum(withSum) / count : null;
}
/** Milliseconds per unit of a duration metric (OTel durations are in seconds unless the unit says ms). */
const msPer = (unit: string) => (unit === 'ms' ? 1 : unit === 'us' ? 0.001 : unit === 'min' ? 60_000 : 1000);
const clampPercent = (x: number) => Math.min(100, Math.max(0, x));
const direction = (a: Attributes) => attr(a, 'disk.io.direction', 'network.io.direction', 'direction');
const memoryState = (a: Attributes) => attr(a, 'system.memory.state', 'state');
const cpuMode = (a: Attributes) => attr(a, 'cpu.mode', 'system.cpu.state', 'state');
const tokenType = (a: Attributes) => attr(a, 'gen_ai.token.type');
const modelOf = (a: Attributes) => attr(a, 'gen_ai.request.model', 'gen_ai.response.model');
const modelOrUnknown = (a: Attributes) => modelOf(a) ?? UNKNOWN_MODEL;
const providerOf = (a: Attributes) => attr(a, 'gen_ai.provider.name', 'gen_ai.system');

/** The metrics the seed's fields come from; every other name becomes a custom metric. */
const KNOWN = new Set([
  'gen_ai.client.token.usage',
  'gen_ai.client.operation.duration',
  'gen_ai.server.request.duration',
  'gen_ai.server.time_to_first_token',
  'gen_ai.server.time_per_output_token',
  'process.cpu.utilization',
  'system.cpu.utilization',
  'process.memory.usage',
  'system.memory.usage',
  'system.memory.limit',
  'system.memory.utilization',
  'system.filesystem.usage',
  'process.disk.io',
  'system.disk.io',
  'process.network.io',
  'system.network.io',
  'hw.gpu.utilization',
  'hw.gpu.memory.usage',
  'process.uptime',
]);

/** Translates the metrics of one agent's export. */
export function translateMetrics(agentId: string, metrics: readonly Metric[], memory: MetricsMemory): MetricsTranslation {
  const f = noFigures();
  const out: MetricsTranslation = { figures: f, rejected: 0, refusedKeys: [] };
  const by = new Map<string, Readings>();
  for (const m of metrics) {
    for (const p of m.points) f.timeMs = f.timeMs === null ? p.timeMs : Math.max(f.timeMs, p.timeMs);
    if (m.name.startsWith('gen_ai.')) f.genAi = true;
    // Two metrics of one name (two scopes) are read as one.
    const readings = readingsOf(agentId, m, memory.deltas);
    const seen = by.get(m.name);
    if (seen) {
      seen.levels.push(...readings.levels);
      seen.steps.push(...readings.steps);
    } else by.set(m.name, readings);
  }
  const get = (name: string) => by.get(name);
  /** Sets a custom metric if the agent's budget admits its key; a refused key is reported. */
  const custom = (key: string, value: number, points = 0) => {
    if (memory.budget.admit(agentId, key)) f.custom[key] = value;
    else {
      out.rejected += points;
      if (!out.refusedKeys.includes(key)) out.refusedKeys.push(key);
    }
  };

  genAiFigures(f, get, custom);
  resourceFigures(f, get);

  for (const [name, r] of by) {
    if (KNOWN.has(name)) continue;
    const key = customKey(name);
    const m = r.metric;
    if (r.levels.length > 0) {
      // Gauges are not additive (the OTel data model): their mean; up-down counters are: their sum.
      const value = m.kind === 'gauge' ? levelSum(r.levels) / r.levels.length : levelSum(r.levels);
      custom(key, value, m.points.length);
    } else if (r.steps.length > 0) {
      const value = m.kind === 'sum' ? stepSum(r.steps) : histogramMean(r.steps);
      if (value !== null) custom(key, value, m.points.length);
    }
  }
  return out;
}

type Lookup = (name: string) => Readings | undefined;
type CustomSetter = (key: string, value: number, points?: number) => void;

/** gen_ai.* metrics: tokens, model calls, their latency and errors, per model and provider. */
function genAiFigures(f: AgentFigures, get: Lookup, custom: CustomSetter): void {
  const tokens = get('gen_ai.client.token.usage');
  if (tokens && tokens.steps.length > 0) {
    const total = stepSum(tokens.steps);
    f.ai.tokens_processed = Math.round(total);
    const interval = longestInterval(tokens.steps);
    if (interval > 0) f.ai.tokens_per_second = total / (interval / 1000);
    // Input and output tokens by model become the payload's model_usage (priced at ingest).
    for (const [model, steps] of groupSteps(tokens.steps, modelOrUnknown)) {
      addUsage(f, model, {
        input: stepSum(steps, (s) => tokenType(s.attributes) === 'input'),
        output: stepSum(steps, (s) => tokenType(s.attributes) === 'output'),
        provider: providerOf(steps[0]?.attributes ?? {}),
      });
    }
  }

  const calls = get('gen_ai.client.operation.duration');
  if (calls && calls.steps.length > 0) {
    const scale = msPer(calls.metric.unit);
    const count = stepCount(calls.steps);
    f.ai.api_calls_made = count;
    const errors = stepCount(calls.steps, (s) => attr(s.attributes, 'error.type') !== null);
    custom('gen_ai.errors', errors);
    if (count > 0) {
      const mean = histogramMean(calls.steps);
      if (mean !== null) f.ai.api_call_latency_ms = mean * scale;
      f.performance.error_rate = errors / count;
      f.performance.success_rate = 1 - errors / count;
    }
    for (const [model, steps] of groupSteps(calls.steps, modelOrUnknown)) addUsage(f, model, { calls: stepCount(steps), provider: providerOf(steps[0]?.attributes ?? {}) });
    for (const [provider, steps] of groupSteps(calls.steps, providerOf)) custom(customKey('gen_ai.provider', provider, 'calls'), stepCount(steps));
  }

  // Inference time: the server's own measure when the agent serves the model, else the client's call time.
  const inference = get('gen_ai.server.request.duration') ?? calls;
  if (inference) {
    const mean = histogramMean(inference.steps);
    if (mean !== null) f.ai.model_inference_time_ms = mean * msPer(inference.metric.unit);
  }
  for (const [name, key] of [
    ['gen_ai.server.time_to_first_token', 'gen_ai.time_to_first_token_ms'],
    ['gen_ai.server.time_per_output_token', 'gen_ai.time_per_output_token_ms'],
  ] as const) {
    const r = get(name);
    const mean = r ? histogramMean(r.steps) : null;
    if (r && mean !== null) custom(key, mean * msPer(r.metric.unit));
  }
}

/** Steps grouped by an attribute (steps without it are left out). */
function groupSteps(steps: readonly Step[], keyOf: (a: Attributes) => string | null): Map<string, Step[]> {
  const groups = new Map<string, Step[]>();
  for (const s of steps) {
    const key = keyOf(s.attributes);
    if (key === null) continue;
    const list = groups.get(key) ?? [];
    list.push(s);
    groups.set(key, list);
  }
  return groups;
}

/** process.* and system.* metrics: the process's own figures first, the host's when the process has none. */
function resourceFigures(f: AgentFigures, get: Lookup): void {
  const processCpu = get('process.cpu.utilization');
  const systemCpu = get('system.cpu.utilization');
  if (processCpu && processCpu.levels.length > 0) {
    f.resource.cpu_usage_percent = clampPercent(levelSum(processCpu.levels) * 100);
  } else if (systemCpu && systemCpu.levels.length > 0) {
    // Busy share of each logical CPU (all modes but idle), averaged over the CPUs.
    const cpus = new Set(systemCpu.levels.map((l) => attr(l.attributes, 'cpu.logical_number', 'cpu') ?? '0'));
    const busy = levelSum(systemCpu.levels, (l) => cpuMode(l.attributes) !== 'idle');
    f.resource.cpu_usage_percent = clampPercent((busy / cpus.size) * 100);
  }

  const processMemory = get('process.memory.usage');
  const systemMemory = get('system.memory.usage');
  const used = (l: Level) => memoryState(l.attributes) === 'used';
  const hostTotal = get('system.memory.limit')?.levels.length
    ? levelSum(get('system.memory.limit')?.levels ?? [])
    : systemMemory && systemMemory.levels.length > 0
      ? levelSum(systemMemory.levels)
      : null;
  if (processMemory && processMemory.levels.length > 0) f.resource.memory_usage_bytes = Math.round(levelSum(processMemory.levels));
  else if (systemMemory && systemMemory.levels.some(used)) f.resource.memory_usage_bytes = Math.round(levelSum(systemMemory.levels, used));
  const utilization = get('system.memory.utilization');
  if (f.resource.memory_usage_bytes !== undefined && hostTotal !== null && hostTotal > 0) {
    f.resource.memory_usage_percent = clampPercent((f.resource.memory_usage_bytes / hostTotal) * 100);
  } else if (utilization && utilization.levels.some(used)) {
    f.resource.memory_usage_percent = clampPercent(levelSum(utilization.levels, used) * 100);
  }

  const filesystem = get('system.filesystem.usage');
  if (filesystem && filesystem.levels.length > 0) {
    f.resource.disk_usage_bytes = Math.round(levelSum(filesystem.levels, (l) => attr(l.attributes, 'system.filesystem.state', 'state') === 'used'));
  }

  const disk = get('process.disk.io')?.steps.length ? get('process.disk.io') : get('system.disk.io');
  if (disk && disk.steps.length > 0) {
    f.resource.disk_io_read_bytes = Math.round(stepSum(disk.steps, (s) => direction(s.attributes) === 'read'));
    f.resource.disk_io_write_bytes = Math.round(stepSum(disk.steps, (s) => direction(s.attributes) === 'write'));
  }
  const network = get('process.network.io')?.steps.length ? get('process.network.io') : get('system.network.io');
  if (network && network.steps.length > 0) {
    f.resource.network_io_rx_bytes = Math.round(stepSum(network.steps, (s) => direction(s.attributes) === 'receive'));
    f.resource.network_io_tx_bytes = Math.round(stepSum(network.steps, (s) => direction(s.attributes) === 'transmit'));
  }

  const gpu = get('hw.gpu.utilization');
  if (gpu && gpu.levels.length > 0) f.resource.gpu_usage_percent = clampPercent((levelSum(gpu.levels) / gpu.levels.length) * 100);
  const gpuMemory = get('hw.gpu.memory.usage');
  if (gpuMemory && gpuMemory.levels.length > 0) f.resource.gpu_memory_usage_bytes = Math.round(levelSum(gpuMemory.levels));

  const uptime = get('process.uptime');
  if (uptime && uptime.levels.length > 0) f.performance.uptime_seconds = Math.floor(Math.max(...uptime.levels.map((l) => l.value)));
}
