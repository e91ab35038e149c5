/**
 * What the host records between two payloads (tasks, tokens, inferences, API calls, model usage,
 * custom figures) and how one interval's records become PerformanceMetrics, AIMetrics, model_usage
 * and custom metrics. Plain arithmetic, no timers and no I/O, so it is tested with numbers alone.
 */
import { USAGE_LIMITS, type AIMetrics, type ModelUsage, type PerformanceMetrics, type ResourceMetrics } from '@agentmon/schema';

/** One interval's figures, ready to go into an AgentMetrics payload. */
export interface IntervalFigures {
  performance: PerformanceMetrics;
  /** Null until the host has recorded any AI figure (it is not an AI agent, or not yet). */
  ai: AIMetrics | null;
  custom: Record<string, unknown>;
  /** Tokens, calls and cost by model over the interval (the payload's `model_usage`); empty when none. */
  modelUsage: ModelUsage[];
  /** Models used in the interval whose usage is not in `modelUsage` (past the payload's limit). */
  modelsLeftOut: number;
}

/**
 * What one model consumed, as the host records it: one call, a batch of calls, or tokens alone.
 * The payload's `model_usage` entry is the sum of these over the interval.
 */
export interface ModelUsageInput {
  /** The model as the provider names it (`gpt-4o-2024-08-06`); 1 to 200 characters. */
  model: string;
  /** `openai`, `anthropic`, ... (informative; at most 100 characters). */
  provider?: string;
  /** Prompt tokens sent to the model. */
  inputTokens?: number;
  /** Completion tokens the model returned. */
  outputTokens?: number;
  /** Model calls these tokens came from (left out: the calls are not counted). */
  calls?: number;
  /**
   * What these tokens cost, when the provider says so. It covers the tokens given with it (and only
   * those); without it the server prices the tokens with its price table.
   */
  costUsd?: number;
}

/** Most distinct models one interval keeps (a host inventing model names must not grow memory without end). */
export const MODELS_PER_INTERVAL_MAX = 1000;

const finite = (n: number) => typeof n === 'number' && Number.isFinite(n);
const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** Throws a RangeError naming `field` unless `value` is absent or a finite number >= 0 (whole, with `integer`). */
export function checkAmount(value: number | undefined, field: string, integer = false): void {
  if (value === undefined) return;
  if (!finite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${field} must be a finite number >= 0${integer ? ' and whole' : ''}, got ${String(value)}`);
  }
}

/**
 * Checks a model usage record against what the payload accepts (ModelUsage): throws a TypeError or
 * RangeError naming the field, so the caller can refuse the whole record before counting any of it.
 */
export function checkModelUsage(usage: ModelUsageInput): ModelUsageInput {
  if (typeof usage !== 'object' || usage === null) throw new TypeError('model usage must be an object');
  const { model, provider } = usage;
  if (typeof model !== 'string' || model.trim() === '' || model.length > USAGE_LIMITS.model) {
    throw new TypeError(`model must be a non-empty string of at most ${USAGE_LIMITS.model} characters, got ${JSON.stringify(model)}`);
  }
  if (provider !== undefined && (typeof provider !== 'string' || provider.length > USAGE_LIMITS.provider)) {
    throw new TypeError(`provider must be a string of at most ${USAGE_LIMITS.provider} characters, got ${JSON.stringify(provider)}`);
  }
  checkAmount(usage.inputTokens, 'inputTokens');
  checkAmount(usage.outputTokens, 'outputTokens');
  checkAmount(usage.calls, 'calls', true);
  checkAmount(usage.costUsd, 'costUsd');
  return usage;
}

/** Tokens and calls of one model, summed. */
interface Tally {
  input: number;
  output: number;
  calls: number;
  /** Some record gave calls (0 included): the entry carries `calls`, else the server counts none. */
  callsSeen: boolean;
  cost: number;
}

/**
 * One model over the interval, in two parts: what the host gave a cost for (`costed`) and what the
 * server is to price (`unpriced`). They travel as two entries of the same model, because an entry's
 * `cost_usd` replaces the pricing of all its tokens: merged, the tokens without a cost would count $0.
 */
interface ModelTally {
  provider: string | undefined;
  costed: Tally | null;
  unpriced: Tally | null;
}

const tally = (): Tally => ({ input: 0, output: 0, calls: 0, callsSeen: false, cost: 0 });

function entry(model: string, provider: string | undefined, t: Tally, withCost: boolean): ModelUsage {
  const e: ModelUsage = { model };
  if (provider !== undefined) e.provider = provider;
  e.input_tokens = Math.round(t.input);
  e.output_tokens = Math.round(t.output);
  if (t.callsSeen) e.calls = t.calls;
  if (withCost) e.cost_usd = t.cost;
  return e;
}

/** A model's payload entries (none, one, or two when part of its tokens came with a cost). */
function entriesOf(model: string, m: ModelTally): ModelUsage[] {
  const out: ModelUsage[] = [];
  const u = m.unpriced;
  if (u && (u.input > 0 || u.output > 0 || u.callsSeen)) out.push(entry(model, m.provider, u, false));
  if (m.costed) out.push(entry(model, m.provider, m.costed, true));
  return out;
}

/** Accumulates one interval at a time; `take()` returns its figures and starts the next. */
export class IntervalRecorder {
  private startedMs: number;
  private completed = 0;
  private failed = 0;
  private durationSumMs = 0;
  private durationCount = 0;
  private pendingTasks = 0;

  private aiSeen = false;
  private tokens = 0;
  private inferences = 0;
  private inferenceSumMs = 0;
  private apiCalls = 0;
  private apiLatencySumMs = 0;
  private confidenceSum = 0;
  private confidenceCount = 0;
  private accuracy: number | null = null;
  private contextLength: number | null = null;

  private usage = new Map<string, ModelTally>();
  private modelsRefused = 0;

  private readonly gauges = new Map<string, unknown>();
  private readonly counters = new Map<string, number>();
  private activity = false;

  constructor(nowMs: number) {
    this.startedMs = nowMs;
  }

  /** True when anything was recorded since the last `take()`. */
  get hasActivity(): boolean {
    return this.activity;
  }

  /** Tasks started and not yet ended. */
  get pending(): number {
    return this.pendingTasks;
  }

  /** A task finished: how long it took and whether it succeeded. */
  recordTask(durationMs: number, ok: boolean): void {
    if (ok) this.completed += 1;
    else this.failed += 1;
    if (finite(durationMs) && durationMs >= 0) {
      this.durationSumMs += durationMs;
      this.durationCount += 1;
    }
    this.activity = true;
  }

  /** A task started (counts as pending until `taskEnded`). */
  taskStarted(): void {
    this.pendingTasks += 1;
    this.activity = true;
  }

  /** A started task ended. */
  taskEnded(): void {
    this.pendingTasks = Math.max(0, this.pendingTasks - 1);
  }

  /** Tokens processed (prompt and completion alike). */
  recordTokens(count: number): void {
    if (!finite(count) || count < 0) return;
    this.tokens += count;
    this.ai();
  }

  /** One model inference and how long it took. */
  recordInference(durationMs: number): void {
    if (!finite(durationMs) || durationMs < 0) return;
    this.inferences += 1;
    this.inferenceSumMs += durationMs;
    this.ai();
  }

  /** One call to a model or tool API and its latency. */
  recordApiCall(latencyMs: number): void {
    if (!finite(latencyMs) || latencyMs < 0) return;
    this.apiCalls += 1;
    this.apiLatencySumMs += latencyMs;
    this.ai();
  }

  /**
   * What a model consumed: its tokens go to the model's input and output counts and into
   * tokens_processed, its calls and cost to the model. Throws (TypeError, RangeError) on a record the
   * payload could not carry, before counting any of it.
   */
  recordModelUsage(usage: ModelUsageInput): void {
    checkModelUsage(usage);
    const input = usage.inputTokens ?? 0;
    const output = usage.outputTokens ?? 0;
    this.tokens += input + output;
    this.ai();
    let m = this.usage.get(usage.model);
    if (!m) {
      if (this.usage.size >= MODELS_PER_INTERVAL_MAX) {
        // Its tokens still count in tokens_processed; only the split by model is lost.
        this.modelsRefused += 1;
        return;
      }
      m = { provider: undefined, costed: null, unpriced: null };
      this.usage.set(usage.model, m);
    }
    if (usage.provider !== undefined && usage.provider !== '') m.provider = usage.provider;
    const t = usage.costUsd === undefined ? (m.unpriced ??= tally()) : (m.costed ??= tally());
    t.input += input;
    t.output += output;
    if (usage.calls !== undefined) {
      t.calls += usage.calls;
      t.callsSeen = true;
    }
    t.cost += usage.costUsd ?? 0;
  }

  /** A confidence score in [0, 1]; the interval reports their mean. */
  recordConfidence(score: number): void {
    if (!finite(score)) return;
    this.confidenceSum += Math.min(1, Math.max(0, score));
    this.confidenceCount += 1;
    this.ai();
  }

  /** The model's accuracy in [0, 1]; kept until changed. */
  setAccuracy(accuracy: number): void {
    if (!finite(accuracy)) return;
    this.accuracy = Math.min(1, Math.max(0, accuracy));
    this.ai();
  }

  /** The context length in tokens; kept until changed. */
  setContextLength(tokens: number): void {
    if (!finite(tokens) || tokens < 0) return;
    this.contextLength = Math.round(tokens);
    this.ai();
  }

  /** A custom figure reported as is in every payload until changed or removed. */
  setMetric(name: string, value: unknown): void {
    this.counters.delete(name);
    this.gauges.set(name, value);
    this.activity = true;
  }

  /** A custom counter: the payload reports what was added during its interval (0 when nothing). */
  incrementMetric(name: string, by: number): void {
    if (!finite(by)) return;
    this.gauges.delete(name);
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
    this.activity = true;
  }

  /** Stops reporting a custom figure. */
  removeMetric(name: string): void {
    this.gauges.delete(name);
    this.counters.delete(name);
  }

  /**
   * The figures of the interval that ends at `nowMs`; counters start again from zero. Rates are per
   * second of the interval's wall time; averages are over what was recorded in it.
   */
  take(nowMs: number, uptimeSeconds: number): IntervalFigures {
    const seconds = Math.max(0.001, (nowMs - this.startedMs) / 1000);
    const done = this.completed + this.failed;
    const errorRate = done === 0 ? 0 : this.failed / done;
    const performance: PerformanceMetrics = {
      tasks_completed: this.completed,
      tasks_failed: this.failed,
      tasks_pending: this.pendingTasks,
      average_response_time_ms: this.durationCount === 0 ? 0 : round3(this.durationSumMs / this.durationCount),
      throughput_per_second: round3(done / seconds),
      error_rate: round3(errorRate),
      success_rate: round3(1 - errorRate),
      uptime_seconds: Math.max(0, Math.floor(uptimeSeconds)),
    };
    let ai: AIMetrics | null = null;
    if (this.aiSeen) {
      ai = {
        tokens_processed: Math.round(this.tokens),
        tokens_per_second: round3(this.tokens / seconds),
        api_calls_made: this.apiCalls,
        model_inference_time_ms: this.inferences === 0 ? null : round3(this.inferenceSumMs / this.inferences),
        api_call_latency_ms: this.apiCalls === 0 ? null : round3(this.apiLatencySumMs / this.apiCalls),
        confidence_score: this.confidenceCount === 0 ? null : round3(this.confidenceSum / this.confidenceCount),
        model_accuracy: this.accuracy,
        context_length: this.contextLength,
      };
    }
    const custom: Record<string, unknown> = Object.fromEntries(this.gauges);
    for (const [name, value] of this.counters) {
      custom[name] = value;
      this.counters.set(name, 0);
    }
    const { modelUsage, modelsLeftOut } = this.takeModelUsage();
    this.startedMs = nowMs;
    this.completed = 0;
    this.failed = 0;
    this.durationSumMs = 0;
    this.durationCount = 0;
    this.tokens = 0;
    this.inferences = 0;
    this.inferenceSumMs = 0;
    this.apiCalls = 0;
    this.apiLatencySumMs = 0;
    this.confidenceSum = 0;
    this.confidenceCount = 0;
    this.activity = false;
    return { performance, ai, custom, modelUsage, modelsLeftOut };
  }

  /**
   * The interval's usage as payload entries, at most USAGE_LIMITS.models (the server refuses a
   * payload with more, and with it the interval's every other figure). Past that, the models with
   * the most tokens go: tokens are what spend is made of, so the split by model loses least. The
   * others' tokens still count in tokens_processed. The next interval starts empty.
   */
  private takeModelUsage(): { modelUsage: ModelUsage[]; modelsLeftOut: number } {
    const models = [...this.usage].map(([model, m]) => {
      const tokens = (m.unpriced ? m.unpriced.input + m.unpriced.output : 0) + (m.costed ? m.costed.input + m.costed.output : 0);
      return { model, tokens, cost: m.costed?.cost ?? 0, entries: entriesOf(model, m) };
    });
    models.sort((a, b) => b.tokens - a.tokens || b.cost - a.cost || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
    const modelUsage: ModelUsage[] = [];
    let modelsLeftOut = this.modelsRefused;
    for (const m of models) {
      if (m.entries.length === 0) continue;
      if (modelUsage.length + m.entries.length <= USAGE_LIMITS.models) modelUsage.push(...m.entries);
      else modelsLeftOut += 1;
    }
    this.usage = new Map();
    this.modelsRefused = 0;
    return { modelUsage, modelsLeftOut };
  }

  private ai(): void {
    this.aiSeen = true;
    this.activity = true;
  }
}

/** Every required ResourceMetrics field, zero: what a payload carries when nothing measured them. */
const ZERO_RESOURCES: ResourceMetrics = { cpu_usage_percent: 0, memory_usage_bytes: 0, memory_usage_percent: 0, disk_usage_bytes: 0 };

const clampPercent = (v: number) => Math.min(100, Math.max(0, v));
const wholeBytes = (v: number) => Math.max(0, Math.round(v));

/**
 * Brings resource figures within the schema's bounds (percentages in [0, 100], byte counts whole
 * and non-negative), so a payload is never refused for a measuring hiccup; drops non-numbers.
 */
export function sanitizeResources(input: Partial<ResourceMetrics>): ResourceMetrics {
  const out: ResourceMetrics = { ...ZERO_RESOURCES };
  const percent = ['cpu_usage_percent', 'memory_usage_percent', 'gpu_usage_percent'] as const;
  const bytes = [
    'memory_usage_bytes',
    'disk_usage_bytes',
    'disk_io_read_bytes',
    'disk_io_write_bytes',
    'network_io_rx_bytes',
    'network_io_tx_bytes',
    'gpu_memory_usage_bytes',
  ] as const;
  for (const key of percent) {
    const v = input[key];
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = round3(clampPercent(v));
  }
  for (const key of bytes) {
    const v = input[key];
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = wholeBytes(v);
  }
  return out;
}
