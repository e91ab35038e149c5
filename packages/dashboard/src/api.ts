/**
 * The dashboard's API client: the SDK's browser-safe AgentmonClient (`@agentmon/sdk/client`, no
 * TypeBox in the bundle) on this page's origin, signing out on a 401, with two answers whose open
 * dictionaries the schema types loosely given the shapes the pages read. Every failure is an
 * AgentmonError carrying the server's `{error, message, details}` body (`fieldErrors()` for forms).
 */
import { AgentmonClient, AgentmonError } from '@agentmon/sdk/client';
import type {
  AlertDetail,
  DashboardData,
  DashboardSummary,
  MetricsQuery,
  MetricsResponse,
  SystemMetrics,
  TREND_METRICS,
  TrendPoint,
} from '@agentmon/schema';

export { AgentmonError as ApiError } from '@agentmon/sdk/client';

/** A fleet trend series name. */
export type TrendMetric = (typeof TREND_METRICS)[number];

/** DashboardData with its open dictionaries typed (as live.ts describes them). */
export type DashboardView = Omit<DashboardData, 'summary' | 'system_metrics' | 'performance_trends' | 'active_alerts'> & {
  summary: DashboardSummary;
  system_metrics: SystemMetrics;
  performance_trends: Partial<Record<TrendMetric, TrendPoint[]>>;
  active_alerts: AlertDetail[];
};

/** One row of a metrics query: `{agent_id?, timestamp, <metric>: value}`. */
export type MetricsRow = { agent_id?: string; timestamp: string } & Record<string, number | string | null | undefined>;

/** A metrics query as the pages write it: the schema's MetricsQuery, its defaulted fields left out. */
export type MetricsQueryParams = Pick<MetricsQuery, 'start_time' | 'end_time'> & Partial<Omit<MetricsQuery, 'start_time' | 'end_time'>>;

/** A MetricsResponse with its rows typed. */
export type MetricsAnswer = Omit<MetricsResponse, 'data'> & { data: MetricsRow[] };

/** The SDK's client for the dashboard; `onUnauthorized` runs on any 401 (the token was revoked or is wrong). */
export class ApiClient extends AgentmonClient {
  constructor(token: string, options: { onUnauthorized?: () => void } = {}) {
    super({
      url: window.location.origin,
      token,
      onError: (error: AgentmonError) => {
        if (error.status === 401) options.onUnauthorized?.();
      },
    });
  }

  /** GET /dashboard as a DashboardView; the fleet trends cover `trendHours` (default: the DashboardConfig's range). */
  async dashboard(signal?: AbortSignal, trendHours?: number): Promise<DashboardView> {
    return (await this.getDashboard(trendHours ? { trend_hours: trendHours } : {}, signal ? { signal } : {})) as DashboardView;
  }

  /** POST /metrics/query with its rows typed. */
  async metrics(q: MetricsQueryParams, signal?: AbortSignal): Promise<MetricsAnswer> {
    return (await this.queryMetrics(q as MetricsQuery, signal ? { signal } : {})) as MetricsAnswer;
  }
}
