/**
 * What the Spend page works out before it draws: its time ranges, the UTC periods of "today" and
 * "this month" (the periods budgets count in), how finely spend is charted, each row's share of
 * the spend, and how a budget reads (its colour and what it covers).
 */
import type { BudgetState, BudgetStatus } from '@agentmon/schema';
import { RANGES } from './series.js';

/** The Spend page's ranges: the agent page's, and 30 days (a month of spend). */
export const SPEND_RANGES = { ...RANGES, '30d': 30 * 86_400 } as const;
/** A Spend page range key. */
export type SpendRangeKey = keyof typeof SPEND_RANGES;
/** The ranges as the options of a segmented switch. */
export const SPEND_RANGE_OPTIONS = (Object.keys(SPEND_RANGES) as SpendRangeKey[]).map((k) => ({ value: k, label: k }));

/** The range a `range` query parameter names, else `fallback`. */
export function spendRange(param: string | null, fallback: SpendRangeKey): SpendRangeKey {
  return param !== null && Object.hasOwn(SPEND_RANGES, param) ? (param as SpendRangeKey) : fallback;
}

/** Ranges up to this long chart spend per hour; longer ones per day. */
export const HOURLY_UP_TO_SECONDS = 2 * 86_400;

/** The width of the spend chart's bars: an hour for ranges up to 2 days, else a day (UTC days). */
export function spendBucketSeconds(spanSeconds: number): number {
  return spanSeconds <= HOURLY_UP_TO_SECONDS ? 3600 : 86_400;
}

/** Start of the UTC day holding `nowMs` (where a daily budget's period starts). */
export function utcDayStart(nowMs: number): number {
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

/** Start of the UTC month holding `nowMs` (where a monthly budget's period starts). */
export function utcMonthStart(nowMs: number): number {
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

const monthDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** "Mar 1": a UTC date, as the period tiles name their start. */
export function formatUtcDate(ms: number): string {
  return monthDay.format(ms);
}

/** A row's share of the total spend (0..1), or null when nothing was spent. */
export function shareOf(cost: number, total: number): number | null {
  return total > 0 ? Math.min(1, Math.max(0, cost / total)) : null;
}

/** A budget state as the dashboard's status colours name them. */
export function budgetTone(state: BudgetState): 'ok' | 'warn' | 'bad' {
  return state === 'exceeded' ? 'bad' : state === 'warning' ? 'warn' : 'ok';
}

/** How full a budget's bar is drawn, in percent to a tenth (0..100; an exceeded budget is a full bar). */
export function budgetFill(ratio: number): number {
  if (!Number.isFinite(ratio) || ratio <= 0) return 0;
  return Math.min(100, Math.round(ratio * 1000) / 10);
}

/** What a budget covers: "whole fleet", "agent writer", "environment staging". */
export function budgetScope(b: Pick<BudgetStatus, 'agent_id' | 'environment'>, agentName?: string): string {
  if (b.agent_id !== null) return `agent ${agentName ?? b.agent_id}`;
  if (b.environment !== null) return `environment ${b.environment}`;
  return 'whole fleet';
}

/** "per day (UTC)", "per month (UTC)". */
export function budgetPeriod(period: BudgetStatus['period']): string {
  return period === 'day' ? 'per day (UTC)' : 'per month (UTC)';
}

/**
 * A dollar amount typed in a form, or null when it is not one: "2.5", "$2.50", "1,000" (commas as
 * thousands separators), never negative.
 */
export function parseUsd(text: string): number | null {
  const t = text.trim().replace(/^\$/, '').replace(/,/g, '');
  if (t === '' || !/^\d*\.?\d+$|^\d+\.$/.test(t)) return null;
  const v = Number(t);
  return Number.isFinite(v) && v >= 0 ? v : null;
}
