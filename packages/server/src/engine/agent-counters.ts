/**
 * Running totals of what each agent's payloads accumulate (tasks, tokens, API calls, bytes read and
 * sent), counted by this process since it started: what Prometheus counters are. Payloads carry
 * per-interval figures; summed here they become counters that only go up, and a restart is a
 * counter reset, which PromQL's rate() and increase() expect. Several instances each count what they
 * took, and `sum without (instance)` adds them up.
 */
import { USAGE_TOTAL_KEYS, parseModelUsageKey } from '@agentmon/schema';
import type { SeriesPoint } from '../storage/ports.js';
import { MODELS_MAX } from './usage.js';

/** The payload fields that are per-interval amounts, each summed into one counter. */
export const COUNTED_METRICS = [
  'tasks_completed',
  'tasks_failed',
  'tokens_processed',
  'api_calls_made',
  'disk_io_read_bytes',
  'disk_io_write_bytes',
  'network_io_rx_bytes',
  'network_io_tx_bytes',
] as const;

/** One of COUNTED_METRICS. */
export type CountedMetric = (typeof COUNTED_METRICS)[number];

/** What an agent's payloads said one model consumed. */
export interface ModelTotals {
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

/** An agent's totals: each counted metric, the payloads taken, and tokens and cost by model. */
export type AgentTotals = Record<CountedMetric, number> & { payloads: number; models: Map<string, ModelTotals> };

const zero = (): AgentTotals => ({
  tasks_completed: 0,
  tasks_failed: 0,
  tokens_processed: 0,
  api_calls_made: 0,
  disk_io_read_bytes: 0,
  disk_io_write_bytes: 0,
  network_io_rx_bytes: 0,
  network_io_tx_bytes: 0,
  payloads: 0,
  models: new Map(),
});

/** Per-agent totals of the payloads this process stored. */
export class AgentCounters {
  private readonly totals = new Map<string, AgentTotals>();

  /** Counts stored points (call after they are stored: a refused write counts nothing). */
  add(points: readonly SeriesPoint[]): void {
    for (const point of points) {
      let t = this.totals.get(point.agent_id);
      if (t === undefined) {
        t = zero();
        this.totals.set(point.agent_id, t);
      }
      t.payloads += 1;
      for (const name of COUNTED_METRICS) {
        const v = point.values[name];
        // Only amounts: a negative figure is not an amount and would make the counter go down.
        if (typeof v === 'number' && Number.isFinite(v) && v > 0) t[name] += v;
      }
      // Usage series exist only with model_usage, which always sets the agent's cost total.
      if (point.custom[USAGE_TOTAL_KEYS.cost_usd] !== undefined) addModels(t, point.custom);
    }
  }

  /** An agent's totals; zeros for one this process has taken nothing of (a counter starts at 0). */
  of(agentId: string): Readonly<AgentTotals> {
    return this.totals.get(agentId) ?? zero();
  }

  /** Drops the totals of agents no longer registered, so the map holds no more than the fleet. */
  retain(agentIds: ReadonlySet<string>): void {
    for (const id of this.totals.keys()) if (!agentIds.has(id)) this.totals.delete(id);
  }
}

/** Adds a point's per-model usage series to the agent's model totals (at most MODELS_MAX models). */
function addModels(t: AgentTotals, custom: Record<string, number>): void {
  for (const key in custom) {
    const parsed = parseModelUsageKey(key);
    if (parsed === null || parsed.field === 'calls') continue;
    const v = custom[key] as number;
    if (!(Number.isFinite(v) && v > 0)) continue;
    let m = t.models.get(parsed.model);
    if (m === undefined) {
      if (t.models.size >= MODELS_MAX) continue;
      m = { input_tokens: 0, output_tokens: 0, cost_usd: 0 };
      t.models.set(parsed.model, m);
    }
    m[parsed.field] += v;
  }
}
