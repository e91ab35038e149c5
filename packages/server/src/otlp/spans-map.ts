/**
 * GenAI spans of one agent -> agentmon figures, as a spanmetrics connector would: calls, errors and
 * latency per operation, tokens from the usage attributes, tasks from agent invocations. Spans
 * without `gen_ai.operation.name` are not GenAI work and give nothing.
 */
import { attr, numberAttr } from './attributes.js';
import { UNKNOWN_MODEL, addUsage, customKey, noFigures, type AgentFigures } from './figures.js';
import type { Span } from './model.js';

/** Operations that call a model. */
const INFERENCE = new Set(['chat', 'text_completion', 'generate_content', 'embeddings']);
/** An agent run: a task in agentmon's words. */
const AGENT_RUN = 'invoke_agent';
const TOOL = 'execute_tool';

/** The figures of a batch of spans, and the failed GenAI spans among them. */
export interface SpansTranslation {
  figures: AgentFigures;
  failed: Span[];
  /** GenAI spans read. */
  genAiSpans: number;
  /** True when the spans held agent runs. */
  agentRuns: boolean;
}

/** Options of the span translation. */
export interface SpansOptions {
  /**
   * When this agent's GenAI metrics already give tokens and model calls (an SDK that exports both),
   * spans leave those fields and the per-model counts to them, so nothing is counted twice.
   */
  metricsGiveModelFigures: boolean;
  /** End of the previous span batch of this agent, ms: the rates are over the time since. */
  previousEndMs: number | null;
  /** True once this agent has sent agent runs (invoke_agent): from then on only they are its tasks. */
  agentRunsSeen: boolean;
}

const durationMs = (s: Span) => Math.max(0, s.endMs - s.startMs);
const mean = (xs: readonly number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
const isError = (s: Span) => s.status.code === 'error';

/** Translates one agent's spans. */
export function translateSpans(spans: readonly Span[], options: SpansOptions): SpansTranslation {
  const f = noFigures();
  const genAi = spans.filter((s) => attr(s.attributes, 'gen_ai.operation.name') !== null);
  const out: SpansTranslation = { figures: f, failed: genAi.filter(isError), genAiSpans: genAi.length, agentRuns: false };
  if (genAi.length === 0) return out;
  f.genAi = true;
  f.timeMs = Math.max(...genAi.map((s) => s.endMs));
  const windowStart = options.previousEndMs ?? Math.min(...genAi.map((s) => s.startMs));
  const windowSeconds = (f.timeMs - windowStart) / 1000;

  const opOf = (s: Span) => attr(s.attributes, 'gen_ai.operation.name') as string;
  const byOp = new Map<string, Span[]>();
  for (const s of genAi) byOp.set(opOf(s), [...(byOp.get(opOf(s)) ?? []), s]);
  for (const [op, list] of byOp) {
    f.custom[customKey('gen_ai.spans', op, 'calls')] = list.length;
    f.custom[customKey('gen_ai.spans', op, 'errors')] = list.filter(isError).length;
    f.custom[customKey('gen_ai.spans', op, 'duration_ms')] = mean(list.map(durationMs)) as number;
  }

  // Calls and errors over every GenAI span, as spanmetrics counts them.
  const errors = out.failed.length;
  f.performance.error_rate = errors / genAi.length;
  f.performance.success_rate = 1 - errors / genAi.length;

  // Tasks: agent runs; an application that never sent agent spans has its model calls as its tasks.
  const inference = genAi.filter((s) => INFERENCE.has(opOf(s)));
  const runs = genAi.filter((s) => opOf(s) === AGENT_RUN);
  out.agentRuns = runs.length > 0;
  const tasks = runs.length > 0 || options.agentRunsSeen ? runs : inference;
  if (tasks.length > 0) {
    f.performance.tasks_completed = tasks.filter((s) => !isError(s)).length;
    f.performance.tasks_failed = tasks.filter(isError).length;
    f.performance.average_response_time_ms = mean(tasks.map(durationMs)) as number;
    if (windowSeconds > 0) f.performance.throughput_per_second = tasks.length / windowSeconds;
  }

  for (const [tool, list] of groupBy(genAi.filter((s) => opOf(s) === TOOL), (s) => attr(s.attributes, 'gen_ai.tool.name'))) {
    f.custom[customKey('gen_ai.tool', tool, 'calls')] = list.length;
    f.custom[customKey('gen_ai.tool', tool, 'errors')] = list.filter(isError).length;
  }

  if (options.metricsGiveModelFigures || inference.length === 0) return out;
  const tokensOf = (s: Span) =>
    (numberAttr(s.attributes, 'gen_ai.usage.input_tokens') ?? 0) + (numberAttr(s.attributes, 'gen_ai.usage.output_tokens') ?? 0);
  const tokens = inference.reduce((n, s) => n + tokensOf(s), 0);
  f.ai.tokens_processed = Math.round(tokens);
  if (windowSeconds > 0) f.ai.tokens_per_second = tokens / windowSeconds;
  f.ai.api_calls_made = inference.length;
  const latency = mean(inference.map(durationMs)) as number;
  f.ai.api_call_latency_ms = latency;
  f.ai.model_inference_time_ms = latency;
  // Input and output tokens and calls by model become the payload's model_usage (priced at ingest).
  for (const [model, list] of groupBy(inference, (s) => attr(s.attributes, 'gen_ai.request.model', 'gen_ai.response.model') ?? UNKNOWN_MODEL)) {
    addUsage(f, model, {
      input: list.reduce((n, s) => n + (numberAttr(s.attributes, 'gen_ai.usage.input_tokens') ?? 0), 0),
      output: list.reduce((n, s) => n + (numberAttr(s.attributes, 'gen_ai.usage.output_tokens') ?? 0), 0),
      calls: list.length,
      provider: attr(list[0]?.attributes ?? {}, 'gen_ai.provider.name', 'gen_ai.system'),
    });
  }
  for (const [provider, list] of groupBy(inference, (s) => attr(s.attributes, 'gen_ai.provider.name', 'gen_ai.system'))) {
    f.custom[customKey('gen_ai.provider', provider, 'calls')] = list.length;
  }
  return out;
}

function groupBy<T>(items: readonly T[], keyOf: (x: T) => string | null): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const x of items) {
    const key = keyOf(x);
    if (key === null) continue;
    groups.set(key, [...(groups.get(key) ?? []), x]);
  }
  return groups;
}
