/**
 * What one export says about one agent, gathered field by field before it becomes an AgentMetrics
 * payload (payload.ts), and the bounded set of custom metric keys each agent may have.
 */
import { USAGE_LIMITS, type AIMetrics, type ModelUsage, type PerformanceMetrics, type ResourceMetrics } from '@agentmon/schema';

type NumericKeys<T> = { [K in keyof T]-?: NonNullable<T[K]> extends number ? K : never }[keyof T];

/** The seed's figures an export filled, and its custom metrics. */
export interface AgentFigures {
  resource: Partial<Record<NumericKeys<ResourceMetrics>, number>>;
  performance: Partial<Record<NumericKeys<PerformanceMetrics>, number>>;
  ai: Partial<Record<NumericKeys<AIMetrics>, number>>;
  custom: Record<string, number>;
  /** Tokens and calls by model (the payload's model_usage; cost is priced at ingest). */
  usage: Map<string, ModelUsage>;
  /** Latest time of the data, ms; null when nothing had a time. */
  timeMs: number | null;
  /** True when GenAI data (gen_ai.* metrics or spans) was present. */
  genAi: boolean;
}

/** Empty figures. */
export function noFigures(): AgentFigures {
  return { resource: {}, performance: {}, ai: {}, custom: {}, usage: new Map(), timeMs: null, genAi: false };
}

/** Model a GenAI data point or span names none: its usage still counts, under this name. */
export const UNKNOWN_MODEL = 'unknown';

/** Adds tokens or calls to a model's usage. */
export function addUsage(f: AgentFigures, model: string | null, add: { input?: number; output?: number; calls?: number; provider?: string | null }): void {
  const name = (model ?? UNKNOWN_MODEL).slice(0, USAGE_LIMITS.model);
  let u = f.usage.get(name);
  if (!u) {
    u = { model: name, input_tokens: 0, output_tokens: 0 };
    f.usage.set(name, u);
  }
  if (add.provider && u.provider === undefined) u.provider = add.provider.slice(0, USAGE_LIMITS.provider);
  u.input_tokens = (u.input_tokens ?? 0) + Math.round(add.input ?? 0);
  u.output_tokens = (u.output_tokens ?? 0) + Math.round(add.output ?? 0);
  if (add.calls !== undefined) u.calls = (u.calls ?? 0) + add.calls;
}

/** The payload's model_usage: the models with most tokens first, as many as a payload takes. */
export function usageList(f: AgentFigures): ModelUsage[] {
  return [...f.usage.values()]
    .sort((a, b) => (b.input_tokens ?? 0) + (b.output_tokens ?? 0) - ((a.input_tokens ?? 0) + (a.output_tokens ?? 0)) || (b.calls ?? 0) - (a.calls ?? 0))
    .slice(0, USAGE_LIMITS.models);
}

/** True when the figures hold any value. */
export function hasFigures(f: AgentFigures): boolean {
  return f.usage.size > 0 || [f.resource, f.performance, f.ai, f.custom].some((group) => Object.keys(group).length > 0);
}

/** Most distinct custom metric keys one agent may have through OTLP (documented in the README). */
export const MAX_CUSTOM_KEYS_PER_AGENT = 100;

/** Longest custom key kept; longer names are cut. */
const MAX_KEY_LENGTH = 120;

/**
 * A custom metric key from an OTel name or attribute value: characters other than letters, digits,
 * `_`, `-`, `.` and `:` become `_` (model names like `gpt-4o` and `claude-3.5` stay readable).
 */
export function customKey(...parts: string[]): string {
  return parts
    .map((p) => p.replace(/[^A-Za-z0-9_.:-]/g, '_'))
    .join('.')
    .slice(0, MAX_KEY_LENGTH);
}

/**
 * The custom keys each agent has been given, at most MAX_CUSTOM_KEYS_PER_AGENT: past that a new key
 * is refused, so one agent's labels cannot grow the series store without bound. Kept in memory:
 * after a restart the count begins again from what agents send.
 */
export class CustomKeyBudget {
  private readonly keys = new Map<string, Set<string>>();

  constructor(private readonly max = MAX_CUSTOM_KEYS_PER_AGENT) {}

  /** True when `key` is one of the agent's keys or there is room for it (it is then taken). */
  admit(agentId: string, key: string): boolean {
    let set = this.keys.get(agentId);
    if (!set) {
      set = new Set();
      this.keys.set(agentId, set);
    }
    if (set.has(key)) return true;
    if (set.size >= this.max) return false;
    set.add(key);
    return true;
  }

  /** Keys the agent has. */
  count(agentId: string): number {
    return this.keys.get(agentId)?.size ?? 0;
  }
}
