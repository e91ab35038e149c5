/**
 * Retention: deletes metrics older than each agent's metrics_retention_days, and its events and
 * resolved alerts older than logs_retention_days, in small batches with a yield between them so
 * ingest never waits long behind a delete.
 */
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { defaultMonitoringConfig } from '@agentmon/schema';
import type { AlertStore, EventStore, IngestStore, SeriesStore } from '../storage/ports.js';

const DAY_MS = 86_400_000;

/** What one retention run deleted. */
export interface RetentionReport {
  metrics: number;
  events: number;
  alerts: number;
  /** True when the run stopped at its batch budget with more to delete (the next run goes on). */
  more: boolean;
}

/** Options of a retention run. */
export interface RetentionOptions {
  /** The agents (their retention settings), and the alerts and events retention cuts. */
  metadata: IngestStore & AlertStore & EventStore;
  series: SeriesStore;
  clock: () => number;
  /** Rows per delete statement. */
  batchSize?: number;
  /** Delete statements per run, at most. */
  maxBatches?: number;
}

/** Runs retention once over every agent (and over events that name no agent). */
export async function runRetention({ metadata, series, clock, batchSize = 2000, maxBatches = 200 }: RetentionOptions): Promise<RetentionReport> {
  const report: RetentionReport = { metrics: 0, events: 0, alerts: 0, more: false };
  let budget = maxBatches;
  /** Deletes in batches until a batch comes back short or the budget is spent. */
  const drain = async (remove: () => Promise<number>): Promise<number> => {
    let total = 0;
    while (budget > 0) {
      budget -= 1;
      const n = await remove();
      total += n;
      await yieldToIo();
      if (n < batchSize) return total;
    }
    report.more = true;
    return total;
  };

  const now = clock();
  const defaults = defaultMonitoringConfig('');
  const contexts = await metadata.listIngestContexts();
  const registered = new Set(contexts.map((c) => c.id));
  for (const ctx of contexts) {
    const metricsCutoff = now - ctx.config.metrics_retention_days * DAY_MS;
    const logsCutoff = new Date(now - ctx.config.logs_retention_days * DAY_MS).toISOString();
    report.metrics += await drain(() => series.deleteOlderThan(ctx.id, metricsCutoff, batchSize));
    report.events += await drain(() => metadata.deleteEventsBefore(ctx.id, logsCutoff, batchSize));
    report.alerts += await drain(() => metadata.deleteResolvedAlertsBefore(ctx.id, logsCutoff, batchSize));
  }
  // Metrics of deregistered agents stay until the default retention, then go too.
  for (const agentId of await series.agentIds()) {
    if (registered.has(agentId)) continue;
    report.metrics += await drain(() => series.deleteOlderThan(agentId, now - defaults.metrics_retention_days * DAY_MS, batchSize));
  }
  const orphanCutoff = new Date(now - defaults.logs_retention_days * DAY_MS).toISOString();
  report.events += await drain(() => metadata.deleteEventsBefore(null, orphanCutoff, batchSize));
  return report;
}
