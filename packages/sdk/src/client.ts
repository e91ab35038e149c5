/**
 * AgentmonClient: the REST API (base /api/v1) as typed methods over the global fetch. Browser-safe.
 * Every failure is thrown as an AgentmonError carrying the server's error body.
 */
import type {
  AgentDetail,
  AgentInfoInput,
  AgentListQuery,
  AgentMetrics,
  AgentPage,
  AgentResolved,
  AgentUpdate,
  AlertAck,
  AlertDetail,
  AlertListQuery,
  BudgetCreate,
  BudgetList,
  BudgetStatus,
  DashboardConfig,
  DashboardData,
  ErrorDetail,
  EventListQuery,
  FailedSpanList,
  HealthCheckInput,
  HealthDetail,
  HealthReceipt,
  IngestReceipt,
  MetricsQuery,
  MetricsResponse,
  ModelPrice,
  MonitoringConfig,
  MonitoringConfigUpdate,
  NotificationTargetCreate,
  NotificationTargetView,
  NotificationTestResult,
  PriceTable,
  PriceView,
  Readiness,
  RegisterResponse,
  StreamToken,
  SystemEvent,
  UsageQuery,
  UsageReport,
  WhoAmI,
} from '@agentmon/schema';
import { AgentmonError } from './errors.js';

export { AgentmonError, isAgentmonError, type ClientErrorCode } from './errors.js';

/** The fetch the client calls (the global one by default; tests and old runtimes pass their own). */
export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

/** Options of AgentmonClient. */
export interface AgentmonClientOptions {
  /** Server base URL, e.g. `http://127.0.0.1:8080` (a trailing `/api/v1` is accepted too). */
  url: string;
  /** Bearer token: the admin token, a registration token, or an agent's api_key. */
  token?: string;
  /** Per-request time limit, ms (default 30 s). */
  timeoutMs?: number;
  fetch?: FetchFn;
  /** Extra headers on every request (a proxy's, say). */
  headers?: Record<string, string>;
  /** Told about every failed call before it is thrown (a web UI signs out on a 401, say). */
  onError?: (error: AgentmonError) => void;
}

/** Options of one call: `signal` cancels it (the promise then rejects with the signal's reason, an AbortError). */
export interface CallOptions {
  signal?: AbortSignal;
}

/** A page of items, as the list routes answer. */
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
}

/** A notification target (`/notifications`): where alert messages go. */
export type NotificationTarget = NotificationTargetView;
export type { NotificationTargetCreate, NotificationTestResult, Readiness };

type QueryValue = string | number | boolean | null | undefined | readonly string[];

interface RequestOptions {
  query?: Record<string, QueryValue> | undefined;
  body?: unknown;
  /** Overrides the client's token for this call. */
  token?: string | undefined;
  /** Answers that carry no JSON body (204). */
  empty?: boolean;
  /** Extra headers of this call. */
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
}

const enc = encodeURIComponent;

/** Milliseconds from a Retry-After header (seconds or an HTTP date); null when absent or unreadable. */
export function parseRetryAfter(header: string | null, nowMs: number = Date.now()): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/** A typed client of agentmon's REST API. */
export class AgentmonClient {
  /** Base URL without a trailing slash or `/api/v1`. */
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetchFn: FetchFn;
  private readonly headers: Record<string, string>;
  private readonly onError: ((error: AgentmonError) => void) | undefined;

  constructor(options: AgentmonClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new TypeError(`AgentmonClient: url must be an absolute http(s) URL, got ${JSON.stringify(options.url)}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new TypeError(`AgentmonClient: url must use http or https, got ${JSON.stringify(options.url)}`);
    }
    this.baseUrl = options.url.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    const globalFetch = (globalThis as { fetch?: FetchFn }).fetch;
    const fetchFn = options.fetch ?? (globalFetch ? globalFetch.bind(globalThis) : undefined);
    if (!fetchFn) throw new TypeError('AgentmonClient: no global fetch here; pass options.fetch');
    this.fetchFn = fetchFn;
    this.headers = { ...(options.headers ?? {}) };
    this.onError = options.onError;
  }

  /** The same client with another token (an agent's api_key, say). */
  withToken(token: string): AgentmonClient {
    return new AgentmonClient({
      url: this.baseUrl,
      token,
      timeoutMs: this.timeoutMs,
      fetch: this.fetchFn,
      headers: this.headers,
      ...(this.onError ? { onError: this.onError } : {}),
    });
  }

  // ------------------------------------------------------------------ agents

  /**
   * `POST /agents`: registers (201) or re-registers (200, same agent_id, new api_key). With the
   * registration token, re-registering an agent that is reporting needs its current key
   * (`agentKey`, sent as X-Agent-Key); without it the answer is 409 AGENT_IN_USE with Retry-After.
   */
  registerAgent(info: AgentInfoInput, options: { agentKey?: string | null } = {}): Promise<RegisterResponse> {
    return this.call('POST', '/agents', { body: info, ...(options.agentKey ? { headers: { 'x-agent-key': options.agentKey } } : {}) });
  }

  /** `GET /agents`: a page of AgentSummary. */
  listAgents(query: AgentListQuery = {}, options: CallOptions = {}): Promise<AgentPage> {
    return this.call('GET', '/agents', { query: { ...query }, signal: options.signal });
  }

  /** `GET /agents/:id`. */
  getAgent(id: string, options: CallOptions = {}): Promise<AgentDetail> {
    return this.call('GET', `/agents/${enc(id)}`, { signal: options.signal });
  }

  /**
   * `GET /agents/resolve`: the one agent an id, unambiguous id prefix or name names (within
   * `environment` when given); 404 when none does, 409 listing the candidates when several do.
   */
  resolveAgent(q: string, environment?: string, options: CallOptions = {}): Promise<AgentResolved> {
    return this.call('GET', '/agents/resolve', { query: { q, ...(environment ? { environment } : {}) }, signal: options.signal });
  }

  /** `PATCH /agents/:id`: tags, description, metadata, ...; `{status: 'maintenance'}` and back. */
  updateAgent(id: string, update: AgentUpdate): Promise<AgentDetail> {
    return this.call('PATCH', `/agents/${enc(id)}`, { body: update });
  }

  /** `DELETE /agents/:id`: deregisters; `purge` deletes its metrics too. */
  async deleteAgent(id: string, options: { purge?: boolean } = {}): Promise<void> {
    await this.call('DELETE', `/agents/${enc(id)}`, { query: { purge: options.purge }, empty: true });
  }

  // ------------------------------------------------------------------ ingest

  /** `POST /agents/:id/metrics`: one payload. */
  sendMetrics(agentId: string, payload: AgentMetrics): Promise<IngestReceipt> {
    return this.call('POST', `/agents/${enc(agentId)}/metrics`, { body: payload });
  }

  /** `POST /metrics`: up to 1,000 payloads, all or nothing. */
  sendMetricsBatch(payloads: readonly AgentMetrics[]): Promise<IngestReceipt> {
    return this.call('POST', '/metrics', { body: payloads });
  }

  /** `POST /agents/:id/heartbeat`. */
  async heartbeat(agentId: string): Promise<void> {
    await this.call('POST', `/agents/${enc(agentId)}/heartbeat`, { empty: true });
  }

  /** `POST /agents/:id/health`: HealthCheck results. */
  reportHealth(agentId: string, checks: readonly HealthCheckInput[]): Promise<HealthReceipt> {
    return this.call('POST', `/agents/${enc(agentId)}/health`, { body: checks });
  }

  /** `GET /agents/:id/health`. */
  getHealth(agentId: string, options: CallOptions = {}): Promise<HealthDetail> {
    return this.call('GET', `/agents/${enc(agentId)}/health`, { signal: options.signal });
  }

  /** `GET /agents/:id/failed-spans`: the latest failed GenAI spans the agent exported over OpenTelemetry. */
  getFailedSpans(agentId: string, options: CallOptions = {}): Promise<FailedSpanList> {
    return this.call('GET', `/agents/${enc(agentId)}/failed-spans`, { signal: options.signal });
  }

  // ------------------------------------------------------------------ metrics and config

  /** `POST /metrics/query`. */
  queryMetrics(query: MetricsQuery, options: CallOptions = {}): Promise<MetricsResponse> {
    return this.call('POST', '/metrics/query', { body: query, signal: options.signal });
  }

  /** `GET /agents/:id/config`. */
  getConfig(agentId: string, options: CallOptions = {}): Promise<MonitoringConfig> {
    return this.call('GET', `/agents/${enc(agentId)}/config`, { signal: options.signal });
  }

  /** `PUT /agents/:id/config`: replaces it (absent fields take the defaults). */
  putConfig(agentId: string, config: MonitoringConfigUpdate): Promise<MonitoringConfig> {
    return this.call('PUT', `/agents/${enc(agentId)}/config`, { body: config });
  }

  /** `PATCH /agents/:id/config`: changes the fields it names. */
  patchConfig(agentId: string, update: MonitoringConfigUpdate): Promise<MonitoringConfig> {
    return this.call('PATCH', `/agents/${enc(agentId)}/config`, { body: update });
  }

  /**
   * `GET /usage`: tokens in and out, model calls and spend over a range, by `model` (default),
   * `agent` or `agent_model`, with the models the price table has no price for.
   */
  getUsage(query: UsageQuery, options: CallOptions = {}): Promise<UsageReport> {
    return this.call('GET', '/usage', { query: { ...query }, signal: options.signal });
  }

  /** `GET /prices`: the price table tokens are priced with (defaults, the prices file, the API's). */
  getPrices(options: CallOptions = {}): Promise<PriceTable> {
    return this.call('GET', '/prices', { signal: options.signal });
  }

  /** `PUT /prices`: a model's price, for usage reported from now on. */
  setPrice(price: ModelPrice): Promise<PriceView> {
    return this.call('PUT', '/prices', { body: price });
  }

  /** `GET /budgets`: spend budgets with what was spent in their current period. */
  listBudgets(options: CallOptions = {}): Promise<BudgetList> {
    return this.call('GET', '/budgets', { signal: options.signal });
  }

  /** `POST /budgets`: a daily or monthly spend limit of an agent, an environment or the fleet. */
  createBudget(budget: BudgetCreate): Promise<BudgetStatus> {
    return this.call('POST', '/budgets', { body: budget });
  }

  /** `DELETE /budgets/:id`. */
  async deleteBudget(id: string): Promise<void> {
    await this.call('DELETE', `/budgets/${enc(id)}`, { empty: true });
  }

  // ------------------------------------------------------------------ alerts and events

  /** `GET /alerts`: newest first. */
  listAlerts(query: AlertListQuery = {}, options: CallOptions = {}): Promise<Page<AlertDetail>> {
    return this.call('GET', '/alerts', { query: { ...query }, signal: options.signal });
  }

  /** `GET /alerts/:id`. */
  getAlert(id: string): Promise<AlertDetail> {
    return this.call('GET', `/alerts/${enc(id)}`);
  }

  /** `POST /alerts/:id/ack`: stops repeated notifications. */
  acknowledgeAlert(id: string, ack: AlertAck): Promise<AlertDetail> {
    return this.call('POST', `/alerts/${enc(id)}/ack`, { body: ack });
  }

  /** `POST /alerts/:id/resolve`: idempotent. */
  resolveAlert(id: string): Promise<AlertDetail> {
    return this.call('POST', `/alerts/${enc(id)}/resolve`);
  }

  /** `GET /events`: SystemEvent history, newest first. */
  listEvents(query: EventListQuery = {}, options: CallOptions = {}): Promise<{ items: SystemEvent[] }> {
    return this.call('GET', '/events', { query: { ...query }, signal: options.signal });
  }

  /** `POST /events/stream-token`: a short-lived token for EventSource (`?token=`). */
  createStreamToken(): Promise<StreamToken> {
    return this.call('POST', '/events/stream-token');
  }

  /** URL of the live event stream (Server-Sent Events) for a stream token. */
  streamUrl(streamToken: string): string {
    return `${this.baseUrl}/api/v1/events/stream?token=${enc(streamToken)}`;
  }

  // ------------------------------------------------------------------ notifications

  /** `GET /notifications`. */
  listNotificationTargets(options: CallOptions = {}): Promise<{ items: NotificationTarget[] }> {
    return this.call('GET', '/notifications', { signal: options.signal });
  }

  /** `POST /notifications`. */
  createNotificationTarget(target: NotificationTargetCreate): Promise<NotificationTarget> {
    return this.call('POST', '/notifications', { body: target });
  }

  /** `DELETE /notifications/:id`. */
  async deleteNotificationTarget(id: string): Promise<void> {
    await this.call('DELETE', `/notifications/${enc(id)}`, { empty: true });
  }

  /** `POST /notifications/:id/test`: one test message now. */
  testNotificationTarget(id: string): Promise<NotificationTestResult> {
    return this.call('POST', `/notifications/${enc(id)}/test`);
  }

  // ------------------------------------------------------------------ dashboard and probes

  /**
   * `GET /dashboard`; its fleet trends cover `trend_hours` (default: the DashboardConfig's range).
   * Its open dictionaries are typed loosely, as the schema's DashboardData.
   */
  getDashboard(query: { trend_hours?: number } = {}, options: CallOptions = {}): Promise<DashboardData> {
    return this.call('GET', '/dashboard', { query: { ...query }, signal: options.signal });
  }

  /** `GET /dashboard/config`. */
  getDashboardConfig(options: CallOptions = {}): Promise<DashboardConfig> {
    return this.call('GET', '/dashboard/config', { signal: options.signal });
  }

  /** `GET /whoami`: what the token may do (admin, or a read-only viewer). */
  whoami(options: CallOptions = {}): Promise<WhoAmI> {
    return this.call('GET', '/whoami', { signal: options.signal });
  }

  /** `PUT /dashboard/config`. */
  putDashboardConfig(config: Partial<DashboardConfig>): Promise<DashboardConfig> {
    return this.call('PUT', '/dashboard/config', { body: config });
  }

  /** `GET /healthz`: true when the server process answers. */
  async healthz(): Promise<boolean> {
    try {
      await this.send('GET', `${this.baseUrl}/healthz`, {});
      return true;
    } catch {
      return false;
    }
  }

  /** `GET /readyz`: whether both stores answer (503 is an answer here, not an error). */
  async readyz(): Promise<Readiness> {
    try {
      return await this.send<Readiness>('GET', `${this.baseUrl}/readyz`, {});
    } catch (err) {
      if (err instanceof AgentmonError && err.status === 503 && err.body) return err.body as unknown as Readiness;
      throw err;
    }
  }

  /** Any /api/v1 route, for the ones without a method here yet. */
  request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return this.call(method, path, options);
  }

  // ------------------------------------------------------------------ plumbing

  private call<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return this.send<T>(method, `${this.baseUrl}/api/v1${path}`, options);
  }

  private async send<T>(method: string, url: string, options: RequestOptions): Promise<T> {
    try {
      return await this.sendOnce<T>(method, url, options);
    } catch (err) {
      if (err instanceof AgentmonError && this.onError) {
        try {
          this.onError(err);
        } catch {
          // the caller's hook must not change what the call throws
        }
      }
      throw err;
    }
  }

  private async sendOnce<T>(method: string, url: string, options: RequestOptions): Promise<T> {
    const query = queryString(options.query);
    const headers: Record<string, string> = { accept: 'application/json', ...this.headers, ...options.headers };
    const token = options.token ?? this.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    (timer as { unref?: () => void }).unref?.();
    // The caller's signal cancels the call too; its abort is the caller's, not a failure to report.
    const caller = options.signal;
    const cancel = () => controller.abort();
    if (caller?.aborted) cancel();
    else caller?.addEventListener('abort', cancel, { once: true });
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(url + query, { method, headers, ...(body !== undefined ? { body } : {}), signal: controller.signal });
      text = await response.text();
    } catch (err) {
      if (caller?.aborted) throw caller.reason;
      const timedOut = controller.signal.aborted;
      throw new AgentmonError(
        timedOut
          ? `${method} ${url}: no answer within ${this.timeoutMs} ms`
          : `${method} ${url}: ${describeNetworkError(err)}`,
        0,
        timedOut ? 'TIMEOUT' : 'NETWORK_ERROR',
        [],
        null,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', cancel);
    }
    if (response.ok) {
      if (options.empty || text.trim() === '') return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch (err) {
        throw new AgentmonError(`${method} ${url}: answer is not JSON`, response.status, 'BAD_RESPONSE', [], null, { cause: err });
      }
    }
    throw errorFromResponse(method, url, response, text);
  }
}

/** An AgentmonError from an error answer, reading the `{error, message, details}` body when there is one. */
function errorFromResponse(method: string, url: string, response: Response, text: string): AgentmonError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  const body = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  if (body && typeof body.error === 'string') {
    const details = Array.isArray(body.details)
      ? (body.details as unknown[]).filter(
          (d): d is ErrorDetail => typeof d === 'object' && d !== null && typeof (d as ErrorDetail).path === 'string',
        )
      : [];
    return new AgentmonError(typeof body.message === 'string' ? body.message : body.error, response.status, body.error, details, retryAfter, { body });
  }
  return new AgentmonError(`${method} ${url}: HTTP ${response.status}`, response.status, `HTTP_${response.status}`, [], retryAfter, body ? { body } : {});
}

function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // undici reports `fetch failed` and puts the reason (ECONNREFUSED, ...) in `cause`.
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${err.message} (${typeof code === 'string' ? `${code}: ` : ''}${cause.message})`;
  }
  return err.message;
}

function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      if (value.length > 0) params.set(key, value.join(','));
    } else {
      params.set(key, String(value));
    }
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
