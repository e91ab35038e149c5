/** /dashboard: DashboardData for the overview, and the DashboardConfig kept across restarts. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AGENT_STATUSES,
  AGENT_TYPES,
  ALERT_SEVERITIES,
  DashboardConfig,
  DashboardData,
  TREND_METRICS,
  defaultDashboardConfig,
  type DashboardConfig as DashboardConfigType,
  type DashboardSummary,
  type SystemMetrics,
  type TrendPoint,
} from '@agentmon/schema';
import { Type } from 'typebox';
import type { RouteContext } from '../route-context.js';
import { readSnapshot } from '../engine/ingest.js';
import type { LiveBus } from '../live/bus.js';
import { errorResponses } from './route-schemas.js';

/** Settings key of the dashboard configuration. */
const CONFIG_KEY = 'dashboard_config';

/** Bucket widths a trend may use, smallest first (seconds). */
const TREND_STEPS = [60, 300, 600, 900, 1800, 3600, 7200, 21_600];

/** The bucket width giving about 100 points over `hours`. */
export function trendStepSeconds(hours: number): number {
  const ideal = (hours * 3600) / 100;
  return TREND_STEPS.find((s) => s >= ideal) ?? (TREND_STEPS.at(-1) as number);
}

/** Fleet trends and store statistics are costly at 1,000 agents; they are reused for this long. */
const CACHE_MS = 15_000;

/** Registers the dashboard routes. */
export const dashboardRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext; live: LiveBus; version: string; kind: string }> = async (
  app,
  { ctx, live, version, kind },
) => {
  const { metadata, series, clock, monitor } = ctx;
  const startedAt = clock();
  // One entry per range asked for (at most 168: trend_hours is 1 to 168), so viewers on different ranges share.
  const trendsCache = new Map<number, { end: number; at: number; value: Record<string, TrendPoint[]> }>();
  let statsCache: { at: number; value: { points: number; bytes: number | null } } | null = null;

  async function config(): Promise<DashboardConfigType> {
    return { ...defaultDashboardConfig(), ...((await metadata.getSetting<Partial<DashboardConfigType>>(CONFIG_KEY)) ?? {}) };
  }

  async function trends(hours: number, now: number): Promise<Record<string, TrendPoint[]>> {
    const step = trendStepSeconds(hours) * 1000;
    const end = Math.floor(now / step) * step + step - 1;
    const start = end + 1 - hours * 3_600_000;
    const cached = trendsCache.get(hours);
    if (cached && cached.end === end && now - cached.at < CACHE_MS) return cached.value;
    const rows = await series.query({
      agentIds: null,
      startMs: start,
      endMs: end,
      metrics: TREND_METRICS,
      aggregation: 'avg',
      intervalMs: step,
      groupBy: 'none',
    });
    const value: Record<string, TrendPoint[]> = {};
    for (const metric of TREND_METRICS) {
      value[metric] = rows.map((r) => ({ timestamp: new Date(r.ts).toISOString(), value: r.values[metric] ?? null }));
    }
    trendsCache.set(hours, { end, at: now, value });
    return value;
  }

  async function storeStats(now: number): Promise<{ points: number; bytes: number | null }> {
    if (statsCache && now - statsCache.at < CACHE_MS) return statsCache.value;
    statsCache = { at: now, value: await series.stats() };
    return statsCache.value;
  }

  app.get(
    '/dashboard',
    {
      schema: {
        tags: ['dashboard'],
        summary: 'DashboardData: summary, agents (worst first), system metrics, active alerts, fleet trends',
        description: 'performance_trends cover the last `trend_hours` (default: the DashboardConfig default_time_range_hours).',
        querystring: Type.Object({
          trend_hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 168, description: 'Hours the fleet trends cover (1 to 168)' })),
        }),
        response: { 200: DashboardData, ...errorResponses },
      },
    },
    async (request) => {
      const now = clock();
      const cfg = await config();
      const trendHours = request.query.trend_hours ?? cfg.default_time_range_hours;
      const [counts, contexts, page, active, performance, stats] = await Promise.all([
        metadata.countAgents(),
        metadata.listIngestContexts(),
        metadata.listAgents({ sort: 'health_score', descending: false, offset: 0, limit: cfg.max_agents_per_page }),
        metadata.getActiveAlerts(null),
        trends(trendHours, now),
        storeStats(now),
      ]);
      const fleet = { tasks_completed: 0, tasks_failed: 0, throughput_per_second: 0, tokens_per_second: 0 };
      let scoreSum = 0;
      for (const c of contexts) {
        scoreSum += c.state.health_score;
        if (c.status === 'offline') continue;
        const latest = readSnapshot(c.state).latest;
        for (const k of Object.keys(fleet) as (keyof typeof fleet)[]) fleet[k] += latest[k] ?? 0;
      }
      const done = fleet.tasks_completed + fleet.tasks_failed;
      const zero = <T extends readonly string[]>(keys: T) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<T[number], number>;
      const bySeverity = zero(ALERT_SEVERITIES);
      for (const a of active) bySeverity[a.severity] += 1;
      const summary: DashboardSummary = {
        agents_total: counts.total,
        agents_by_status: { ...zero(AGENT_STATUSES), ...counts.by_status },
        agents_by_type: { ...zero(AGENT_TYPES), ...counts.by_type },
        agents_by_environment: counts.by_environment,
        active_alerts_total: active.length,
        active_alerts_by_severity: bySeverity,
        fleet: {
          ...fleet,
          error_rate: done === 0 ? 0 : Math.round((fleet.tasks_failed / done) * 10_000) / 10_000,
          average_health_score: contexts.length === 0 ? 0 : Math.round((scoreSum / contexts.length) * 10_000) / 10_000,
        },
      };
      const ingest = monitor.ingestStats();
      const system: SystemMetrics = {
        version,
        storage: kind,
        uptime_seconds: Math.max(0, Math.floor((now - startedAt) / 1000)),
        ingest_rate_per_second: ingest.ratePerSecond,
        payloads_received: ingest.received,
        points_stored: stats.points,
        store_bytes: stats.bytes,
        stream_clients: live.size,
      };
      const rank = { critical: 0, warning: 1, info: 2 } as const;
      return {
        summary,
        agents: page.items.map((a) => ({
          id: a.id,
          name: a.name,
          type: a.type,
          status: a.status,
          last_seen: a.last_seen,
          environment: a.environment,
          health_score: a.health_score,
        })),
        system_metrics: system,
        active_alerts: [...active].sort((a, b) => rank[a.severity] - rank[b.severity] || b.created_at.localeCompare(a.created_at)).slice(0, 100),
        performance_trends: performance,
        timestamp: new Date(now).toISOString(),
      };
    },
  );

  app.get(
    '/dashboard/config',
    { schema: { tags: ['dashboard'], summary: 'DashboardConfig', response: { 200: Type.Required(DashboardConfig), ...errorResponses } } },
    async () => config(),
  );

  app.put(
    '/dashboard/config',
    {
      schema: {
        tags: ['dashboard'],
        summary: 'Replace the DashboardConfig (absent fields take the defaults); kept across restarts',
        body: DashboardConfig,
        response: { 200: Type.Required(DashboardConfig), ...errorResponses },
      },
    },
    async (request) => {
      const next: DashboardConfigType = { ...defaultDashboardConfig(), ...request.body };
      await metadata.putSetting(CONFIG_KEY, next);
      trendsCache.clear();
      return next;
    },
  );
};
