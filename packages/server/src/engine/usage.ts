/**
 * Model usage as series, and the usage report. A payload's `model_usage` becomes custom series at
 * ingest (per model `gen_ai.model.<model>.{input_tokens,output_tokens,calls,cost_usd}` and per agent
 * `gen_ai.{input_tokens,output_tokens,calls,cost_usd}`), cost priced there with the table of the
 * moment, so a later price change never rewrites past spend. The report sums those series over a
 * range, per agent, per model or both.
 */
import {
  CUSTOM_METRIC_PREFIX,
  USAGE_FIELDS,
  USAGE_TOTAL_KEYS,
  modelKey,
  modelUsageKey,
  type ModelUsage,
  type UsageField,
  type UsageGroupBy,
  type UsageReport,
  type UsageRow,
} from '@agentmon/schema';
import type { IngestContext, SeriesQuery, SeriesRow } from '../storage/ports.js';
import type { PriceBook } from './prices.js';
import { isoFromMs } from './time.js';

/** Most models an agent's state remembers (what the report asks the series for). */
export const MODELS_MAX = 50;

type Figures = Record<UsageField, number>;
const zero = (): Figures => ({ input_tokens: 0, output_tokens: 0, calls: 0, cost_usd: 0 });

/**
 * The custom series values (keys without `custom.`) of a payload's usage, or null when it has
 * none. Entries of the same model add up; calls count only when some entry gives them.
 */
export function usageSeries(usage: readonly ModelUsage[] | undefined, prices: PriceBook): Record<string, number> | null {
  if (usage === undefined || usage.length === 0) return null;
  const byModel = new Map<string, Figures & { hasCalls: boolean }>();
  for (const u of usage) {
    const key = modelKey(u.model);
    let f = byModel.get(key);
    if (!f) {
      f = { ...zero(), hasCalls: false };
      byModel.set(key, f);
    }
    f.input_tokens += u.input_tokens ?? 0;
    f.output_tokens += u.output_tokens ?? 0;
    if (u.calls !== undefined) {
      f.calls += u.calls;
      f.hasCalls = true;
    }
    f.cost_usd += prices.cost(u) ?? 0;
  }
  const out: Record<string, number> = {};
  const total = zero();
  let anyCalls = false;
  for (const [model, f] of byModel) {
    out[modelUsageKey(model, 'input_tokens')] = f.input_tokens;
    out[modelUsageKey(model, 'output_tokens')] = f.output_tokens;
    if (f.hasCalls) out[modelUsageKey(model, 'calls')] = f.calls;
    out[modelUsageKey(model, 'cost_usd')] = f.cost_usd;
    total.input_tokens += f.input_tokens;
    total.output_tokens += f.output_tokens;
    total.calls += f.calls;
    total.cost_usd += f.cost_usd;
    anyCalls ||= f.hasCalls;
  }
  out[USAGE_TOTAL_KEYS.input_tokens] = total.input_tokens;
  out[USAGE_TOTAL_KEYS.output_tokens] = total.output_tokens;
  if (anyCalls) out[USAGE_TOTAL_KEYS.calls] = total.calls;
  out[USAGE_TOTAL_KEYS.cost_usd] = total.cost_usd;
  return out;
}

/**
 * The models an agent has used, most recent first, at most MODELS_MAX: `previous` itself when the
 * payload adds nothing new at the front (so an unchanged state is shared, not copied).
 */
export function rememberModels(previous: readonly string[], usage: readonly ModelUsage[] | undefined): readonly string[] {
  if (usage === undefined || usage.length === 0) return previous;
  const recent: string[] = [];
  for (const u of usage) {
    const key = modelKey(u.model);
    if (!recent.includes(key)) recent.push(key);
  }
  if (recent.every((m, i) => previous[i] === m)) return previous;
  return [...recent, ...previous.filter((m) => !recent.includes(m))].slice(0, MODELS_MAX);
}

/** The models an agent's state remembers. */
export function modelsOf(ctx: Pick<IngestContext, 'state'>): readonly string[] {
  const models = (ctx.state.snapshot as { models?: unknown }).models;
  return Array.isArray(models) ? (models as string[]) : [];
}

/** What a usage report covers. */
export interface UsageScope {
  startMs: number;
  endMs: number;
  groupBy: UsageGroupBy;
  /** The agents to report on (already filtered by agent and environment). */
  agents: readonly IngestContext[];
  /** Only this model (as reported; matched by its series key). */
  model: string | null;
}

const custom = (key: string) => CUSTOM_METRIC_PREFIX + key;
const TASKS = 'tasks_completed';

/** What a usage report reads: the models in scope, and the series query (null: nothing to read). */
export interface UsagePlan {
  models: ReadonlySet<string>;
  /** Per model series (group by model or agent+model, or one model asked), else the per-agent totals. */
  byModel: boolean;
  query: SeriesQuery | null;
}

/** The series a usage report over `scope` sums. */
export function planUsage(scope: UsageScope): UsagePlan {
  const onlyModel = scope.model === null ? null : modelKey(scope.model);
  const models = new Set<string>();
  for (const a of scope.agents) for (const m of modelsOf(a)) if (onlyModel === null || m === onlyModel) models.add(m);
  const byModel = scope.groupBy !== 'agent' || onlyModel !== null;
  const metrics: string[] = [TASKS];
  if (byModel) for (const m of models) for (const f of USAGE_FIELDS) metrics.push(custom(modelUsageKey(m, f)));
  else for (const f of USAGE_FIELDS) metrics.push(custom(USAGE_TOTAL_KEYS[f]));
  const query: SeriesQuery | null =
    scope.agents.length === 0 || (byModel && models.size === 0)
      ? null
      : { agentIds: scope.agents.map((a) => a.id), startMs: scope.startMs, endMs: scope.endMs, metrics, aggregation: 'sum', intervalMs: null, groupBy: 'agent' };
  return { models, byModel, query };
}

/** The report from the sums its plan's query answered (per agent). */
export function usageReportOf(rows: readonly SeriesRow[], plan: UsagePlan, prices: PriceBook, scope: UsageScope): UsageReport {
  const { models, byModel } = plan;
  const names = new Map(scope.agents.map((a) => [a.id, a.name]));

  const unpriced = new Set<string>();
  const priced = (model: string) => prices.find(model) !== null;
  const out = new Map<string, UsageRow>();
  const totals = { ...zero(), tasks_completed: 0, cost_per_task_usd: null as number | null };
  const row = (agentId: string | null, model: string | null, tasks: number | null): UsageRow => {
    const key = `${agentId ?? ''}\n${model ?? ''}`;
    let r = out.get(key);
    if (!r) {
      r = {
        agent_id: agentId,
        agent_name: agentId === null ? null : (names.get(agentId) ?? null),
        model,
        ...zero(),
        priced: true,
        tasks_completed: tasks,
        cost_per_task_usd: null,
      };
      out.set(key, r);
    }
    return r;
  };
  const value = (values: Record<string, number | null>, name: string) => values[name] ?? 0;

  for (const r of rows) {
    const agentId = r.agent_id as string;
    const tasks = value(r.values, TASKS);
    let agentTokens = 0;
    if (byModel) {
      for (const m of models) {
        const f = zero();
        for (const field of USAGE_FIELDS) f[field] = value(r.values, custom(modelUsageKey(m, field)));
        if (f.input_tokens + f.output_tokens + f.calls + f.cost_usd === 0) continue;
        agentTokens += f.input_tokens + f.output_tokens;
        const isPriced = priced(m);
        if (!isPriced && f.input_tokens + f.output_tokens > 0) unpriced.add(m);
        const target =
          scope.groupBy === 'model' ? row(null, m, null) : scope.groupBy === 'agent' ? row(agentId, null, tasks) : row(agentId, m, tasks);
        for (const field of USAGE_FIELDS) target[field] += f[field];
        if (!isPriced) target.priced = false;
        for (const field of USAGE_FIELDS) totals[field] += f[field];
      }
    } else {
      const f = zero();
      for (const field of USAGE_FIELDS) f[field] = value(r.values, custom(USAGE_TOTAL_KEYS[field]));
      agentTokens = f.input_tokens + f.output_tokens;
      if (f.input_tokens + f.output_tokens + f.calls + f.cost_usd > 0) {
        const target = row(agentId, null, tasks);
        for (const field of USAGE_FIELDS) target[field] += f[field];
        const a = scope.agents.find((x) => x.id === agentId);
        for (const m of a ? modelsOf(a) : []) {
          if (!priced(m)) {
            target.priced = false;
            unpriced.add(m);
          }
        }
        for (const field of USAGE_FIELDS) totals[field] += f[field];
      }
    }
    // Tasks count where the agent used a model in range: cost per task is spend over the work it paid for.
    if (agentTokens > 0) totals.tasks_completed += tasks;
  }
  const list = [...out.values()];
  for (const r of list) r.cost_per_task_usd = r.tasks_completed ? r.cost_usd / r.tasks_completed : null;
  list.sort((a, b) => b.cost_usd - a.cost_usd || b.input_tokens + b.output_tokens - (a.input_tokens + a.output_tokens) || (a.model ?? a.agent_id ?? '').localeCompare(b.model ?? b.agent_id ?? ''));
  totals.cost_per_task_usd = totals.tasks_completed > 0 ? totals.cost_usd / totals.tasks_completed : null;
  return {
    start_time: isoFromMs(scope.startMs),
    end_time: isoFromMs(scope.endMs),
    group_by: scope.groupBy,
    totals,
    rows: list,
    unpriced_models: [...unpriced].sort(),
  };
}
