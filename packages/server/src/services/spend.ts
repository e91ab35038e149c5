/** Spend read from the series: the usage report and each budget period's spend per agent. */
import type { Budget, BudgetPeriod, UsageReport } from '@agentmon/schema';
import type { SeriesStore } from '../storage/ports.js';
import { periodStartMs, spendByAgent, spendQuery } from '../engine/budgets.js';
import type { PriceBook } from '../engine/prices.js';
import { planUsage, usageReportOf, type UsageScope } from '../engine/usage.js';

/** Sums the usage series over the scope's range into a report. */
export async function usageReport(series: SeriesStore, prices: PriceBook, scope: UsageScope): Promise<UsageReport> {
  const plan = planUsage(scope);
  const rows = plan.query === null ? [] : await series.query(plan.query);
  return usageReportOf(rows, plan, prices, scope);
}

/** Each period's spend per agent, for the budgets' periods, queried once per period. */
export async function periodSpend(series: SeriesStore, budgets: readonly Budget[], nowMs: number): Promise<Map<BudgetPeriod, Map<string, number>>> {
  const out = new Map<BudgetPeriod, Map<string, number>>();
  for (const period of new Set(budgets.map((b) => b.period))) {
    out.set(period, spendByAgent(await series.query(spendQuery(periodStartMs(period, nowMs), nowMs))));
  }
  return out;
}
