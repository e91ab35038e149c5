/**
 * Running totals of what each agent's payloads accumulate (tasks, tokens, API calls, bytes read and
 * sent), counted by this process since it started: what Prometheus counters are. Payloads carry
 * per-interval figures; summed here they become counters that only go up, and a restart is a
 * counter reset, which PromQL's rate() and increase() expect. Several instances each count what they
 * took, and `sum without (instance)` adds them up.
 */
import type { SeriesPoint } from '../storage/ports.js';

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

/** An agent's totals: each counted metric, and the payloads taken. */
export type AgentTotals = Record<CountedMetric, number> & { payloads: number };

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
