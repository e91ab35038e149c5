/**
 * A small typed client for agentmon's REST API, for the browser. Types come from @agentmon/schema
 * (type-only imports: no TypeBox in the bundle). Every failure is an ApiError carrying the server's
 * `{error, message, details}` body, so forms can put each message next to its field.
 */
import type {
  AgentDetail,
  AgentListQuery,
  AgentResolved,
  AgentSummary,
  AgentUpdate,
  AlertDetail,
  AlertListQuery,
  BudgetCreate,
  BudgetList,
  BudgetStatus,
  DashboardConfig,
  DashboardData,
  DashboardSummary,
  ErrorBody,
  ErrorDetail,
  FailedSpanList,
  EventListQuery,
  HealthDetail,
  MetricsResponse,
  ModelPrice,
  MonitoringConfig,
  MonitoringConfigUpdate,
  NotificationTargetCreate,
  NotificationTargetView,
  NotificationTestResult,
  PriceTable,
  PriceView,
  StreamToken,
  SystemEvent,
  SystemMetrics,
  TREND_METRICS,
  TrendPoint,
  UsageQuery,
  UsageReport,
  WhoAmI,
} from '@agentmon/schema';

/** A fleet trend series name. */
export type TrendMetric = (typeof TREND_METRICS)[number];

/** DashboardData with its open dictionaries typed (as live.ts describes them). */
export type DashboardView = Omit<DashboardData, 'summary' | 'system_metrics' | 'performance_trends' | 'active_alerts'> & {
  summary: DashboardSummary;
  system_metrics: SystemMetrics;
  performance_trends: Partial<Record<TrendMetric, TrendPoint[]>>;
  active_alerts: AlertDetail[];
};

/** A page of a list route. */
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
}

/** One row of a metrics query: `{agent_id?, timestamp, <metric>: value}`. */
export type MetricsRow = { agent_id?: string; timestamp: string } & Record<string, number | string | null | undefined>;

/** GET /metrics/query parameters (lists as arrays; the client joins them). */
export interface MetricsQueryParams {
  agent_ids?: string[];
  start_time: string;
  end_time: string;
  metric_names?: string[];
  aggregation?: 'avg' | 'sum' | 'max' | 'min' | 'count' | 'last';
  interval?: string;
  group_by?: 'agent' | 'none';
  fill?: 'none' | 'null' | 'zero' | 'previous';
}

/** An answer other than 2xx, or no answer at all (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The messages for a body field (`cpu_threshold` matches `/body/cpu_threshold` and below). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const d of this.details) {
      const field = d.path.replace(/^\/body\/?/, '').split('/')[0] ?? '';
      out[field] = out[field] ? `${out[field]}; ${d.message}` : d.message;
    }
    return out;
  }
}

type Query = Record<string, string | number | boolean | undefined | null>;

function queryString(q: Query | undefined): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The REST client; `onUnauthorized` runs on any 401 (the token was revoked or is wrong). */
export class ApiClient {
  constructor(
    readonly token: string,
    private readonly options: { base?: string; onUnauthorized?: () => void } = {},
  ) {}

  /** Base URL of the API (same origin by default). */
  get base(): string {
    return this.options.base ?? '';
  }

  private async request<T>(method: string, path: string, init: { query?: Query; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/v1${path}${queryString(init.query)}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiError(0, 'NETWORK', 'cannot reach the agentmon server');
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const e = (body ?? {}) as Partial<ErrorBody>;
      if (res.status === 401) this.options.onUnauthorized?.();
      throw new ApiError(res.status, e.error ?? `HTTP_${res.status}`, e.message ?? (res.statusText || `HTTP ${res.status}`), e.details ?? []);
    }
    return body as T;
  }

  /** GET /dashboard; the fleet trends cover `trendHours` (default: the DashboardConfig's range). */
  dashboard(signal?: AbortSignal, trendHours?: number): Promise<DashboardView> {
    return this.request('GET', '/dashboard', { signal, ...(trendHours ? { query: { trend_hours: trendHours } } : {}) });
  }

  /** GET /dashboard/config. */
  dashboardConfig(signal?: AbortSignal): Promise<DashboardConfig> {
    return this.request('GET', '/dashboard/config', { signal });
  }

  /** PUT /dashboard/config. */
  putDashboardConfig(config: Partial<DashboardConfig>): Promise<DashboardConfig> {
    return this.request('PUT', '/dashboard/config', { body: config });
  }

  /** GET /agents. */
  agents(query: AgentListQuery, signal?: AbortSignal): Promise<Page<AgentSummary>> {
    return this.request('GET', '/agents', { query: query as Query, signal });
  }

  /** GET /agents/:id. */
  agent(id: string, signal?: AbortSignal): Promise<AgentDetail> {
    return this.request('GET', `/agents/${encodeURIComponent(id)}`, { signal });
  }

  /** GET /agents/resolve: the one agent an id, id prefix or name names (404 none, 409 several). */
  resolveAgent(q: string, signal?: AbortSignal): Promise<AgentResolved> {
    return this.request('GET', '/agents/resolve', { query: { q }, signal });
  }

  /** PATCH /agents/:id. */
  updateAgent(id: string, patch: AgentUpdate): Promise<AgentDetail> {
    return this.request('PATCH', `/agents/${encodeURIComponent(id)}`, { body: patch });
  }

  /** GET /agents/:id/health. */
  health(id: string, signal?: AbortSignal): Promise<HealthDetail> {
    return this.request('GET', `/agents/${encodeURIComponent(id)}/health`, { signal });
  }

  /** GET /agents/:id/failed-spans: the latest failed GenAI spans the agent exported over OTLP. */
  failedSpans(id: string, signal?: AbortSignal): Promise<FailedSpanList> {
    return this.request('GET', `/agents/${encodeURIComponent(id)}/failed-spans`, { signal });
  }

  /** GET /agents/:id/config. */
  config(id: string, signal?: AbortSignal): Promise<MonitoringConfig> {
    return this.request('GET', `/agents/${encodeURIComponent(id)}/config`, { signal });
  }

  /** PATCH /agents/:id/config. */
  patchConfig(id: string, update: MonitoringConfigUpdate): Promise<MonitoringConfig> {
    return this.request('PATCH', `/agents/${encodeURIComponent(id)}/config`, { body: update });
  }

  /** GET /metrics/query. */
  metrics(q: MetricsQueryParams, signal?: AbortSignal): Promise<Omit<MetricsResponse, 'data'> & { data: MetricsRow[] }> {
    return this.request('GET', '/metrics/query', {
      query: { ...q, agent_ids: q.agent_ids?.join(','), metric_names: q.metric_names?.join(',') },
      signal,
    });
  }

  /** GET /alerts. */
  alerts(query: AlertListQuery, signal?: AbortSignal): Promise<Page<AlertDetail>> {
    return this.request('GET', '/alerts', { query: query as Query, signal });
  }

  /** POST /alerts/:id/resolve. */
  resolveAlert(id: string): Promise<AlertDetail> {
    return this.request('POST', `/alerts/${encodeURIComponent(id)}/resolve`);
  }

  /** POST /alerts/:id/ack. */
  ackAlert(id: string, by: string, comment?: string): Promise<AlertDetail> {
    return this.request('POST', `/alerts/${encodeURIComponent(id)}/ack`, { body: { by, ...(comment ? { comment } : {}) } });
  }

  /** GET /events. */
  events(query: EventListQuery, signal?: AbortSignal): Promise<{ items: SystemEvent[] }> {
    return this.request('GET', '/events', { query: query as Query, signal });
  }

  /** GET /whoami: admin, or viewer (read-only). */
  whoami(): Promise<WhoAmI> {
    return this.request('GET', '/whoami');
  }

  /** GET /notifications: the targets alerts are sent to (made here, and from the server config). */
  notifications(signal?: AbortSignal): Promise<{ items: NotificationTargetView[] }> {
    return this.request('GET', '/notifications', { signal });
  }

  /** POST /notifications. */
  addNotification(target: NotificationTargetCreate): Promise<NotificationTargetView> {
    return this.request('POST', '/notifications', { body: target });
  }

  /** POST /notifications/:id/test: one test message, and how the target answered. */
  testNotification(id: string): Promise<NotificationTestResult> {
    return this.request('POST', `/notifications/${encodeURIComponent(id)}/test`);
  }

  /** DELETE /notifications/:id. */
  deleteNotification(id: string): Promise<void> {
    return this.request('DELETE', `/notifications/${encodeURIComponent(id)}`);
  }

  /** GET /usage: tokens, calls and spend over a range, by model, by agent or by both. */
  usage(query: UsageQuery, signal?: AbortSignal): Promise<UsageReport> {
    return this.request('GET', '/usage', { query: query as Query, signal });
  }

  /** GET /prices: the price table tokens are priced with. */
  prices(signal?: AbortSignal): Promise<PriceTable> {
    return this.request('GET', '/prices', { signal });
  }

  /** PUT /prices: a model's price, for usage reported from now on (admin). */
  setPrice(price: ModelPrice): Promise<PriceView> {
    return this.request('PUT', '/prices', { body: price });
  }

  /** GET /budgets: spend budgets with what was spent in their current period. */
  budgets(signal?: AbortSignal): Promise<BudgetList> {
    return this.request('GET', '/budgets', { signal });
  }

  /** POST /budgets (admin). */
  addBudget(budget: BudgetCreate): Promise<BudgetStatus> {
    return this.request('POST', '/budgets', { body: budget });
  }

  /** DELETE /budgets/:id (admin). */
  deleteBudget(id: string): Promise<void> {
    return this.request('DELETE', `/budgets/${encodeURIComponent(id)}`);
  }

  /** POST /events/stream-token. */
  streamToken(): Promise<StreamToken> {
    return this.request('POST', '/events/stream-token');
  }
}
