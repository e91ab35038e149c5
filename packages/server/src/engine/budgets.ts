/**
 * Spend budgets: a limit on what one agent, one environment or the whole fleet spends on models in
 * a UTC day or month. The spend is the sum of the agents' `gen_ai.cost_usd` series since the period
 * began; past `warning_ratio` of the limit a budget fires a warning alert, past the limit it
 * escalates to critical, and it resolves when a new period starts (or the budget goes). The alert
 * belongs to the budget's agent, or for an environment or the fleet to the agent that spent most;
 * it notifies like any other alert but says nothing about that agent's health (status ignores it).
 */
import { CUSTOM_METRIC_PREFIX, USAGE_TOTAL_KEYS, type Budget, type BudgetPeriod, type BudgetState, type BudgetStatus } from '@agentmon/schema';
import type { AlertRecord, IngestContext, SeriesQuery, SeriesRow } from '../storage/ports.js';
import { BUDGET_ALERT_PREFIX, newAlert, noChanges, resolved, type AlertChanges } from './alerts.js';
import { isoFromMs } from './time.js';

export { BUDGET_ALERT_PREFIX };

/** The settings key budgets are kept under. */
export const BUDGETS_SETTING = 'spend_budgets';

/** The series a budget sums. */
const COST_SERIES = CUSTOM_METRIC_PREFIX + USAGE_TOTAL_KEYS.cost_usd;

/** Start of the UTC day or month holding `nowMs`. */
export function periodStartMs(period: BudgetPeriod, nowMs: number): number {
  const d = new Date(nowMs);
  return period === 'day' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** The query of each agent's spend from `startMs` to `endMs`. */
export function spendQuery(startMs: number, endMs: number): SeriesQuery {
  return { agentIds: null, startMs, endMs, metrics: [COST_SERIES], aggregation: 'sum', intervalMs: null, groupBy: 'agent' };
}

/** Each agent's spend (USD) from spendQuery's answer, agents without spend absent. */
export function spendByAgent(rows: readonly SeriesRow[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) {
    const v = r.values[COST_SERIES];
    if (r.agent_id !== null && typeof v === 'number' && v > 0) out.set(r.agent_id, (out.get(r.agent_id) ?? 0) + v);
  }
  return out;
}

/** A budget's standing, and the agent its alert belongs to (null: nothing spent). */
export interface BudgetStanding {
  status: BudgetStatus;
  /** The budget's agent, or the top spender of its environment or fleet. */
  owner: string | null;
}

/** Where each budget stands, from each period's spend per agent. */
export function budgetStandings(
  budgets: readonly Budget[],
  spend: ReadonlyMap<BudgetPeriod, ReadonlyMap<string, number>>,
  environmentOf: (agentId: string) => string | undefined,
  nowMs: number,
): BudgetStanding[] {
  return budgets.map((b) => {
    const perAgent = spend.get(b.period) ?? new Map<string, number>();
    let spent = 0;
    let owner: string | null = null;
    let top = 0;
    for (const [agentId, usd] of perAgent) {
      if (b.agent_id !== null && agentId !== b.agent_id) continue;
      if (b.environment !== null && environmentOf(agentId) !== b.environment) continue;
      spent += usd;
      if (usd > top) {
        top = usd;
        owner = agentId;
      }
    }
    if (b.agent_id !== null) owner = b.agent_id;
    const ratio = spent / b.limit_usd;
    const state: BudgetState = ratio >= 1 ? 'exceeded' : ratio >= b.warning_ratio && b.warning_ratio < 1 ? 'warning' : 'ok';
    return {
      status: { ...b, period_start: isoFromMs(periodStartMs(b.period, nowMs)), spent_usd: spent, ratio, state },
      owner: spent > 0 ? owner : null,
    };
  });
}

const usd = (v: number) => `$${v < 1 ? v.toFixed(4) : v.toFixed(2)}`;

/** The alert texts of a budget in `state`. */
function texts(s: BudgetStatus, ownerName: string): { title: string; message: string } {
  const scope = s.agent_id !== null ? ownerName : s.environment !== null ? `environment ${s.environment}` : 'the fleet';
  const when = s.period === 'day' ? 'today' : 'this month';
  const title = s.state === 'exceeded' ? `Spend budget ${s.name} exceeded` : `Spend budget ${s.name} at ${Math.floor(s.ratio * 100)} %`;
  const top = s.agent_id === null ? `; most spent by ${ownerName}` : '';
  return { title, message: `${scope} spent ${usd(s.spent_usd)} of ${usd(s.limit_usd)} ${when} (UTC, since ${s.period_start})${top}` };
}

/**
 * The alert changes that bring budget alerts in line with the standings: fire, escalate, refresh
 * the amount, resolve (also the alerts of budgets that no longer exist).
 */
export function budgetAlertChanges(
  standings: readonly BudgetStanding[],
  active: readonly AlertRecord[],
  nameOf: (agentId: string) => string,
  nowMs: number,
): AlertChanges {
  const out = noChanges();
  const now = isoFromMs(nowMs);
  const current = new Map<string, AlertRecord>();
  for (const a of active) if (a.metric_name?.startsWith(BUDGET_ALERT_PREFIX)) current.set(a.metric_name, a);
  const seen = new Set<string>();
  for (const { status, owner } of standings) {
    const name = BUDGET_ALERT_PREFIX + status.id;
    seen.add(name);
    const alert = current.get(name);
    if (status.state === 'ok' || owner === null) {
      if (alert) {
        const done = resolved(alert, nowMs);
        out.update.push(done);
        out.transitions.push({ kind: 'resolved', alert: done });
      }
      continue;
    }
    const severity = status.state === 'exceeded' ? 'critical' : 'warning';
    const threshold = status.state === 'exceeded' ? status.limit_usd : status.limit_usd * status.warning_ratio;
    // An alert stays with the agent it fired on, though another may spend more since.
    const t = texts(status, nameOf(alert?.agent_id ?? owner));
    if (!alert) {
      const fired = newAlert({ agentId: owner, metricName: name, severity, title: t.title, message: t.message, threshold, value: status.spent_usd, nowMs });
      out.insert.push(fired);
      out.transitions.push({ kind: 'fired', alert: fired });
    } else if (alert.severity !== severity || alert.current_value !== status.spent_usd) {
      const next: AlertRecord = { ...alert, severity, title: t.title, message: t.message, threshold, current_value: status.spent_usd, updated_at: now };
      out.update.push(next);
      if (alert.severity !== 'critical' && severity === 'critical') out.transitions.push({ kind: 'escalated', alert: next });
    }
  }
  for (const [name, alert] of current) {
    if (seen.has(name)) continue;
    const done = resolved(alert, nowMs);
    out.update.push(done);
    out.transitions.push({ kind: 'resolved', alert: done });
  }
  return out;
}

/** Environment lookup over the agents' contexts. */
export function environments(contexts: readonly IngestContext[]): (agentId: string) => string | undefined {
  const map = new Map(contexts.map((c) => [c.id, c.environment]));
  return (id) => map.get(id);
}
