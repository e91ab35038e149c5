/**
 * GET /metrics: the fleet and agentmon itself in Prometheus' text exposition format, so an
 * existing Prometheus can scrape agentmon (with the read-only scrape token, or the admin token).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { RouteContext } from '../route-context.js';
import { lastDataAtMs, readSnapshot } from '../engine/ingest.js';
import { offlineAfterMs } from '../engine/status.js';
import { parseIsoMs } from '../engine/time.js';
import type { IngestContext } from '../storage/ports.js';
import { EXPOSITION_CONTENT_TYPE, Exposition } from '../prometheus/exposition.js';
import { LATEST_GAUGES, writeFleetMetrics, type FleetAgent } from '../prometheus/fleet.js';
import { writeProcessMetrics } from '../prometheus/process-metrics.js';
import type { HttpMetrics } from '../prometheus/http-metrics.js';
import type { OtlpStats } from '../otlp/stats.js';
import type { MemoryReducer } from '../memory-reducer.js';
import { errorResponses } from './route-schemas.js';
import { sendBytes } from './send-bytes.js';

/** Registers GET /metrics. */
export const prometheusRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext; version: string; http: HttpMetrics; otlp?: OtlpStats; memory?: MemoryReducer }> = async (
  app,
  { ctx, version, http, otlp, memory },
) => {
  /**
   * The latest value of each exported series of the agents whose latest payload is current: not
   * offline, and received within the agent's offline window. One query for all of them, over the
   * span of their latest payloads' times.
   */
  async function latestValues(contexts: readonly IngestContext[], nowMs: number): Promise<Map<string, Record<string, number | null>>> {
    const current: { id: string; tsMs: number }[] = [];
    for (const c of contexts) {
      if (c.status === 'offline' || c.state.last_metrics_at === null) continue;
      if (nowMs - parseIsoMs(c.state.last_metrics_at) > offlineAfterMs(c.config, ctx.config.offlineFactor)) continue;
      const ts = readSnapshot(c.state).metrics_ts;
      if (ts !== null) current.push({ id: c.id, tsMs: parseIsoMs(ts) });
    }
    const out = new Map<string, Record<string, number | null>>();
    if (current.length === 0) return out;
    const rows = await ctx.series.query({
      agentIds: current.map((c) => c.id),
      startMs: Math.min(...current.map((c) => c.tsMs)),
      endMs: Math.max(...current.map((c) => c.tsMs)),
      metrics: LATEST_GAUGES.map((g) => g.metric),
      aggregation: 'last',
      intervalMs: null,
      groupBy: 'agent',
    });
    for (const r of rows) if (r.agent_id !== null) out.set(r.agent_id, r.values);
    return out;
  }

  app.get(
    '/metrics',
    {
      config: { access: 'scrape' },
      schema: {
        tags: ['probes'],
        summary: 'Prometheus exposition of the fleet and of agentmon itself (scrape token or admin token as bearer token)',
        response: { 200: Type.String({ description: EXPOSITION_CONTENT_TYPE }), ...errorResponses },
      },
    },
    async (_request, reply) => {
      const nowMs = ctx.clock();
      const [contexts, active] = await Promise.all([ctx.metadata.listIngestContexts(), ctx.metadata.getActiveAlerts(null)]);
      const latest = await latestValues(contexts, nowMs);
      const agents: FleetAgent[] = [];
      for (const c of contexts) {
        agents.push({
          row: c,
          status: c.status,
          healthScore: c.state.health_score,
          lastDataMs: lastDataAtMs(c.state),
          latest: latest.get(c.id) ?? null,
          totals: ctx.monitor.counters.of(c.id),
        });
      }
      ctx.monitor.counters.retain(new Set(contexts.map((c) => c.id)));

      const out = new Exposition();
      writeFleetMetrics(out, agents, active);
      const ingest = ctx.monitor.ingestStats();
      out.family('agentmon_payloads_received_total', 'counter', 'Metrics payloads accepted by this instance since it started')(ingest.received);
      out.family('agentmon_series_values_received_total', 'counter', 'Series values (built-in and custom metrics) accepted by this instance since it started')(ingest.values);
      const backlog = ctx.series.backlog?.();
      if (backlog) {
        out.family('agentmon_series_head_payloads', 'gauge', 'Payloads in the series engine\'s head (memory and log), not yet in a block')(backlog.headPayloads);
        out.family('agentmon_series_blocks', 'gauge', 'Blocks of the series engine on disk')(backlog.blocks);
        out.family('agentmon_series_unmerged_blocks', 'gauge', 'Blocks a merge has yet to compress and give rollup tiers')(backlog.unmergedBlocks);
      }
      http.write(out);
      otlp?.write(out);
      out.family('agentmon_build_info', 'gauge', 'agentmon\'s version (value 1)')(1, { version, nodejs_version: process.version });
      writeProcessMetrics(out);
      if (memory) out.family('agentmon_idle_collections_total', 'counter', 'Full collections run because the server went quiet with a grown heap')(memory.collections);
      return sendBytes(reply, EXPOSITION_CONTENT_TYPE, out.bytes());
    },
  );
};
