/**
 * AgentMonitor: what an agent embeds. It registers, then reports metrics, heartbeats and health
 * checks at the intervals the server's MonitoringConfig gives, and follows their changes.
 *
 * Background work never throws into the host and never keeps its process alive (every timer is
 * unref'd); failures go to `onError` and the optional logger. While the server is away, payloads
 * wait in a bounded buffer (oldest dropped first, the count reported later as the custom metric
 * `agentmon_dropped_payloads`) and are sent in batches with backoff and jitter.
 */
import {
  AGENT_TYPES,
  DEPLOYMENT_TYPES,
  MAX_METRICS_BATCH,
  defaultMonitoringConfig,
  type AgentInfoInput,
  type AgentMetrics,
  type AgentType,
  type CollectionSettings,
  type DeploymentType,
  type HealthCheckInput,
  type ResourceMetrics,
} from '@agentmon/schema';
import { AgentmonClient, type FetchFn } from './client.js';
import { AgentmonError, isAgentmonError } from './errors.js';
import { BoundedQueue } from './buffer.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { HealthChecks, type HealthCheckFn } from './checks.js';
import { AgentSession, type KeyStore } from './session.js';
import { later, monotonic, now, toError, withTimeout, type Timer } from './timing.js';
import { IntervalRecorder, checkAmount, checkModelUsage, sanitizeResources, type ModelUsageInput } from './interval.js';

/** Custom metric carrying how many payloads the buffer dropped since the last one that got through. */
export const DROPPED_PAYLOADS_METRIC = 'agentmon_dropped_payloads';

/** Who the agent is: the registration's AgentInfo fields. name+environment+host identify it across restarts. */
export interface AgentIdentity {
  name: string;
  type: AgentType;
  version: string;
  environment: string;
  /** Default: detected in Node (kubernetes, docker, serverless, else local); `local` elsewhere. */
  deployment_type?: DeploymentType;
  /** Default in Node: the host name. Required elsewhere. */
  host?: string;
  /** A fixed agent id; by default the server assigns one and keeps it for name+environment+host. */
  id?: string;
  description?: string | null;
  port?: number | null;
  tags?: string[];
  config?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

/** Resource figures a collector measured, plus extra ones that go to custom metrics. */
export interface CollectedResources {
  resources: Partial<ResourceMetrics>;
  /** E.g. `{ host: { cpu_percent: 12.5 } }`: queryable as `custom.host.cpu_percent`. */
  custom?: Record<string, unknown>;
}

/** Measures resource use; `@agentmon/sdk/node` has one reading /proc, statfs and nvidia-smi. */
export interface ResourceCollector {
  collect(): Promise<CollectedResources>;
  close?(): void;
}

/** What a health check answers: passing or not, optionally with a message. */
/** A health check: throwing, rejecting or timing out counts as failing. */
export type { HealthCheckFn, HealthCheckResult } from './checks.js';

/** Where the monitor logs; every method optional. Default: silent. */
export interface Logger {
  debug?(message: string, data?: Record<string, unknown>): void;
  info?(message: string, data?: Record<string, unknown>): void;
  warn?(message: string, data?: Record<string, unknown>): void;
  error?(message: string, data?: Record<string, unknown>): void;
}

/** What the monitor was doing when something failed. */
export type MonitorOperation = 'register' | 'send' | 'heartbeat' | 'health' | 'health_check' | 'collect' | 'record';

/** Context passed to `onError`. */
export interface MonitorErrorContext {
  operation: MonitorOperation;
  /** The monitor tries again by itself. */
  willRetry: boolean;
  /** Payloads concerned (send). */
  payloads?: number;
  /** Health check name (health_check). */
  check?: string;
}

/** Options of AgentMonitor. */
export interface AgentMonitorOptions {
  /** agentmon's base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Token that may register: a registration token (or the admin token). */
  token: string;
  agent: AgentIdentity;
  /** Measures resources; `null` for none. Default in Node: the /proc collector; elsewhere none. */
  collector?: ResourceCollector | null;
  /** Supplies resource figures instead of the collector (simulations, other runtimes). */
  collect?: () => Partial<ResourceMetrics> | Promise<Partial<ResourceMetrics>>;
  /** Extra custom metrics read at every payload. */
  customMetrics?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Health checks by name, run every health_check_interval_seconds. */
  healthChecks?: Record<string, HealthCheckFn>;
  /** A check that takes longer fails, ms (default 10,000). */
  healthCheckTimeoutMs?: number;
  /** Pins the metrics interval, ms, ignoring the server's (tests, demos). */
  metricsIntervalMs?: number;
  /** Pins the health-check and heartbeat interval, ms, ignoring the server's. */
  healthCheckIntervalMs?: number;
  /** Payloads kept while the server is away (default 1,000); beyond it the oldest are dropped. */
  maxBufferedPayloads?: number;
  /** Payloads per request (default 100, at most 1,000). */
  maxBatchSize?: number;
  /** Retry spacing (default 1 s doubling to 60 s, with jitter). */
  retry?: BackoffOptions;
  /** Time limit of each request, ms (default 10,000). */
  requestTimeoutMs?: number;
  /** Time limit of one resource collection, ms (default 5,000). */
  collectTimeoutMs?: number;
  logger?: Logger;
  /** Told about every failure (the monitor itself never throws them). */
  onError?: (error: Error, context: MonitorErrorContext) => void;
  fetch?: FetchFn;
  /**
   * Keeps the agent's api_key between runs (in Node, `keyFile` makes one). Without it a restarted
   * process registers again only once its previous run has been silent past the offline threshold:
   * the registration token may not take over an agent that is reporting.
   */
  keyStore?: KeyStore | null;
}

/** Which side of a model call tokens are: the prompt sent (`input`) or the completion returned (`output`). */
export type TokenType = 'input' | 'output';

/** Options of `recordTokens`: whose tokens they are. */
export interface TokenOptions {
  /** The model that used them; without it the tokens count in tokens_processed only (type and provider are ignored). */
  model?: string;
  /**
   * The side they were on; default `output`. A count whose side is unknown (a total) is then priced
   * at the output rate, the higher one, so spend and budgets err high rather than low; record the
   * input and output counts apart when the provider gives them.
   */
  type?: TokenType;
  provider?: string;
}

/**
 * The model a call used, for `recordInference` and `recordApiCall`. With `model` the call counts one
 * call of that model, and its tokens (`inputTokens`, `outputTokens`, and `tokens` as output) go to
 * the model; without it they count in tokens_processed only, as `tokens` always did.
 */
export interface ModelCallOptions {
  model?: string;
  provider?: string;
  /** Prompt tokens of the call. */
  inputTokens?: number;
  /** Completion tokens of the call. */
  outputTokens?: number;
  /** What the call cost, when the provider says so (needs `model`); else the server prices the tokens. */
  costUsd?: number;
}

/** `recordInference` options. */
export interface InferenceOptions extends ModelCallOptions {
  /** Tokens not split by side; they add to inputTokens and outputTokens (give one or the other). */
  tokens?: number;
  confidence?: number;
  accuracy?: number;
}

/** `recordApiCall` options. */
export interface ApiCallOptions extends ModelCallOptions {
  /** Tokens not split by side; they add to inputTokens and outputTokens (give one or the other). */
  tokens?: number;
}

/** Where the monitor is in its life. */
export type MonitorState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** Counters for visibility and tests. */
export interface MonitorStats {
  state: MonitorState;
  agentId: string | null;
  registered: boolean;
  /** The collection settings in force (the server's, or defaults until it answered). */
  settings: CollectionSettings;
  /** Effective intervals, ms (pinned ones included). */
  metricsIntervalMs: number;
  healthCheckIntervalMs: number;
  /** Payloads waiting, in flight included. */
  buffered: number;
  bufferLimit: number;
  /** Payloads built. */
  produced: number;
  /** Payloads the server accepted. */
  sent: number;
  /** Payloads dropped because the buffer was full. */
  dropped: number;
  /** Of those, how many the server has not been told about yet. */
  droppedUnreported: number;
  /** Payloads the server refused as invalid (not retried). */
  rejected: number;
  batchesSent: number;
  failedSends: number;
  consecutiveFailures: number;
  registrations: number;
  heartbeats: number;
  healthReports: number;
  lastError: string | null;
  lastSentAt: string | null;
}

/** What `flush()` did. */
export interface FlushResult {
  sent: number;
  remaining: number;
}

/** What `stop()` did. */
export interface StopResult {
  /** Payloads sent during stop (the final partial interval included). */
  sent: number;
  /** Payloads left unsent when the time limit passed (lost with the process). */
  unsent: number;
  dropped: number;
}

/** A task in progress (from `startTask()`); ending it twice counts once. */
export interface TaskHandle {
  succeed(): void;
  fail(error?: unknown): void;
  end(ok: boolean): void;
}

/** A payload waiting to be sent; agent_id is stamped at send time (it is unknown before registration). */
type PendingPayload = Omit<AgentMetrics, 'agent_id'>;

type DrainOutcome = { kind: 'done' } | { kind: 'retry'; afterMs: number | null } | { kind: 'unregistered' };

const DEFAULT_SETTINGS: CollectionSettings = (() => {
  const d = defaultMonitoringConfig('');
  return {
    metrics_interval_seconds: d.metrics_interval_seconds,
    health_check_interval_seconds: d.health_check_interval_seconds,
    enable_resource_monitoring: d.enable_resource_monitoring,
    enable_performance_monitoring: d.enable_performance_monitoring,
    enable_ai_monitoring: d.enable_ai_monitoring,
  };
})();

const isAuthError = (err: unknown) => isAgentmonError(err) && (err.status === 401 || err.status === 403 || err.status === 404);

function checkString(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw new TypeError(`AgentMonitor: ${field} must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

function checkPositive(value: number | undefined, field: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`AgentMonitor: ${field} must be a number from ${min} to ${max}, got ${String(value)}`);
  }
}

/**
 * The model usage of one call (one call of `extra.model`, its tokens, `tokens` counted as output),
 * checked whole before anything is recorded; null when the call names no model. Throws on a bad
 * field, so a call that cannot be counted right is reported and counts nothing.
 */
function modelCall(method: string, extra: InferenceOptions | ApiCallOptions): ModelUsageInput | null {
  if (typeof extra !== 'object' || extra === null) throw new TypeError(`${method}: options must be an object`);
  const { model, tokens } = extra;
  if (model === undefined) {
    if (extra.costUsd !== undefined) throw new TypeError(`${method}: costUsd needs the model it was spent on`);
    if (extra.inputTokens !== undefined || extra.outputTokens !== undefined) {
      // `tokens` alone keeps its old treatment (a bad count is ignored); with the split, all are checked.
      prefixed(method, () => {
        checkAmount(extra.inputTokens, 'inputTokens');
        checkAmount(extra.outputTokens, 'outputTokens');
        checkAmount(tokens, 'tokens');
      });
    }
    return null;
  }
  prefixed(method, () => checkAmount(tokens, 'tokens'));
  const output = extra.outputTokens === undefined && tokens === undefined ? undefined : (extra.outputTokens ?? 0) + (tokens ?? 0);
  return prefixed(method, () =>
    checkModelUsage({
      model,
      calls: 1,
      ...(extra.provider !== undefined ? { provider: extra.provider } : {}),
      ...(extra.inputTokens !== undefined ? { inputTokens: extra.inputTokens } : {}),
      ...(output !== undefined ? { outputTokens: output } : {}),
      ...(extra.costUsd !== undefined ? { costUsd: extra.costUsd } : {}),
    }),
  );
}

/** Runs `fn`, naming `method` in the message of what it throws (the error goes to onError and the logger). */
function prefixed<T>(method: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const e = toError(err);
    throw err instanceof RangeError ? new RangeError(`${method}: ${e.message}`) : new TypeError(`${method}: ${e.message}`);
  }
}

/** True when JSON can carry the value (custom metrics travel as JSON). */
function jsonSafe(value: unknown): boolean {
  try {
    return JSON.stringify(value) !== undefined;
  } catch {
    return false;
  }
}

/** Reports an agent's metrics, heartbeats and health checks to agentmon. */
export class AgentMonitor {
  private readonly identity: AgentInfoInput;
  private readonly session: AgentSession;
  private settings: CollectionSettings = { ...DEFAULT_SETTINGS };
  private state: MonitorState = 'idle';
  private readonly recorder = new IntervalRecorder(now());
  private readonly buffer: BoundedQueue<PendingPayload>;
  private readonly checks: HealthChecks;

  private metricsTimer: Timer | null = null;
  private healthTimer: Timer | null = null;
  private retryTimer: Timer | null = null;
  private lastMetricsTickMs = 0;
  private lastHealthTickMs = 0;
  private startedAtMs: number | null = null;
  private starting: Promise<void> | null = null;
  private stopping: Promise<StopResult> | null = null;
  private draining: Promise<DrainOutcome> | null = null;
  private inFlight = 0;
  private batchSize: number;
  private sendAttempt = 0;

  private readonly counts = {
    produced: 0,
    sent: 0,
    dropped: 0,
    droppedUnreported: 0,
    rejected: 0,
    batchesSent: 0,
    failedSends: 0,
    consecutiveFailures: 0,
    heartbeats: 0,
    healthReports: 0,
  };
  private lastError: string | null = null;
  private lastSentAt: string | null = null;

  /** Checks the options (the one place that throws: a wrong argument is a bug to see at once). */
  constructor(private readonly options: AgentMonitorOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('AgentMonitor: options are required');
    checkString(options.token, 'token', 10_000);
    const agent = options.agent;
    if (typeof agent !== 'object' || agent === null) throw new TypeError('AgentMonitor: agent is required');
    checkString(agent.name, 'agent.name', 255);
    checkString(agent.version, 'agent.version', 100);
    checkString(agent.environment, 'agent.environment', 50);
    if (!(AGENT_TYPES as readonly string[]).includes(agent.type)) {
      throw new TypeError(`AgentMonitor: agent.type must be one of ${AGENT_TYPES.join(', ')}`);
    }
    if (agent.deployment_type !== undefined && !(DEPLOYMENT_TYPES as readonly string[]).includes(agent.deployment_type)) {
      throw new TypeError(`AgentMonitor: agent.deployment_type must be one of ${DEPLOYMENT_TYPES.join(', ')}`);
    }
    checkString(agent.host, 'agent.host (there is no default outside Node)', 255);
    if (agent.id !== undefined) checkString(agent.id, 'agent.id', 255);
    checkPositive(options.maxBufferedPayloads, 'maxBufferedPayloads', 1);
    checkPositive(options.maxBatchSize, 'maxBatchSize', 1, MAX_METRICS_BATCH);
    checkPositive(options.metricsIntervalMs, 'metricsIntervalMs', 10);
    checkPositive(options.healthCheckIntervalMs, 'healthCheckIntervalMs', 10);
    checkPositive(options.healthCheckTimeoutMs, 'healthCheckTimeoutMs', 1);
    checkPositive(options.requestTimeoutMs, 'requestTimeoutMs', 1);
    checkPositive(options.collectTimeoutMs, 'collectTimeoutMs', 1);

    this.identity = {
      name: agent.name,
      type: agent.type,
      version: agent.version,
      environment: agent.environment,
      deployment_type: agent.deployment_type ?? 'local',
      host: agent.host as string,
      ...(agent.description !== undefined ? { description: agent.description } : {}),
      ...(agent.port !== undefined ? { port: agent.port } : {}),
      ...(agent.tags !== undefined ? { tags: [...agent.tags] } : {}),
      ...(agent.config !== undefined ? { config: agent.config } : {}),
      ...(agent.metadata !== undefined ? { metadata: agent.metadata } : {}),
    };
    this.session = new AgentSession({
      registrar: new AgentmonClient({
        url: options.url,
        token: options.token,
        timeoutMs: options.requestTimeoutMs ?? 10_000,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
      identity: this.identity,
      fixedId: agent.id,
      keyStore: options.keyStore ?? null,
      retry: options.retry ?? {},
      hooks: {
        active: () => this.state === 'starting' || this.state === 'running',
        registered: (answer) => {
          this.applySettings(answer.config);
          if (this.state === 'running') this.flushSoon();
        },
        failed: (err, willRetry) => this.report(err, { operation: 'register', willRetry }),
        log: (level, message, data) => this.log(level, message, data),
      },
    });
    this.buffer = new BoundedQueue(Math.floor(options.maxBufferedPayloads ?? 1000));
    this.batchSize = Math.floor(options.maxBatchSize ?? 100);
    this.checks = new HealthChecks(options.healthCheckTimeoutMs ?? 10_000, (err, check) => this.report(err, { operation: 'health_check', willRetry: true, check }));
    for (const [name, fn] of Object.entries(options.healthChecks ?? {})) this.addHealthCheck(name, fn);
  }

  /** The agent id, once registered (or the fixed one given). */
  get id(): string | null {
    return this.session.agentId;
  }

  // ------------------------------------------------------------------ life cycle

  /**
   * Registers and starts reporting. Resolves after the first registration attempt, whether it
   * worked or not (it keeps trying in the background); never rejects.
   */
  start(): Promise<void> {
    if (this.state === 'starting' || this.state === 'running') return this.starting ?? Promise.resolve();
    if (this.state === 'stopping') return (this.stopping ?? Promise.resolve()).then(() => this.start());
    this.state = 'starting';
    this.startedAtMs ??= now();
    this.starting = (async () => {
      try {
        await this.session.register();
        if (this.state !== 'starting') return;
        this.state = 'running';
        // The first payload and health report go out at once, so a new agent shows up at once.
        void this.metricsTick();
        void this.healthTick();
      } catch (err) {
        this.report(err, { operation: 'register', willRetry: true });
      }
    })();
    return this.starting;
  }

  /**
   * Stops reporting: sends a last payload for the interval so far and flushes the buffer, waiting at
   * most `timeoutMs` (default 5,000). Never rejects. `start()` may be called again afterwards.
   */
  stop(options: { timeoutMs?: number } = {}): Promise<StopResult> {
    if (this.stopping) return this.stopping;
    if (this.state === 'idle' || this.state === 'stopped') {
      return Promise.resolve({ sent: 0, unsent: this.buffer.size, dropped: this.counts.dropped });
    }
    const timeoutMs = options.timeoutMs ?? 5000;
    const deadline = now() + timeoutMs;
    this.stopping = this.stopNow(deadline)
      .catch((err: unknown) => {
        this.report(err, { operation: 'send', willRetry: false });
        return { sent: 0, unsent: this.buffer.size + this.inFlight, dropped: this.counts.dropped };
      })
      .finally(() => {
        this.stopping = null;
      });
    return this.stopping;
  }

  private async stopNow(deadline: number): Promise<StopResult> {
    const sentBefore = this.counts.sent;
    if (this.starting) await withTimeout(this.starting, Math.max(1, deadline - now()), 'start', true).catch(() => undefined);
    this.state = 'stopping';
    this.clearTimers();
    // The interval so far: its tasks and tokens would be lost otherwise.
    if (this.recorder.hasActivity || now() - this.lastMetricsTickMs >= 1000) {
      this.enqueue(await this.buildPayload(Math.max(1, Math.min(this.collectTimeoutMs, deadline - now()))));
    }
    let attempt = 0;
    while (this.buffer.size > 0 && now() < deadline) {
      const remaining = deadline - now();
      const outcome = await withTimeout(this.drain(), remaining, 'flush', true).catch(() => ({ kind: 'retry', afterMs: null }) as DrainOutcome);
      if (outcome.kind === 'done' && this.buffer.size === 0) break;
      if (outcome.kind === 'unregistered' && !(await this.session.register())) {
        // keep trying until the deadline
      }
      const wait = Math.min(deadline - now(), outcome.kind === 'retry' && outcome.afterMs !== null ? outcome.afterMs : backoffDelay(attempt++, this.retryOptions));
      if (wait > 0 && this.buffer.size > 0) await new Promise<void>((resolve) => later(resolve, wait, true));
    }
    this.state = 'stopped';
    this.clearTimers();
    try {
      this.options.collector?.close?.();
    } catch {
      // closing is best effort
    }
    const unsent = this.buffer.size + this.inFlight;
    if (unsent > 0) this.log('warn', 'stopped with payloads unsent', { unsent });
    return { sent: this.counts.sent - sentBefore, unsent, dropped: this.counts.dropped };
  }

  /** Sends what the buffer holds now, without waiting for a retry timer. Never rejects. */
  async flush(): Promise<FlushResult> {
    const sentBefore = this.counts.sent;
    // Never started: nothing was built, and flushing must not register an agent behind the host's back.
    if (this.state === 'idle') return { sent: 0, remaining: this.buffer.size };
    try {
      if (this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
      }
      if (!this.session.apiKey) await this.session.register();
      const outcome = await this.drain();
      if (outcome.kind === 'retry') this.scheduleRetry(outcome.afterMs);
    } catch (err) {
      this.report(err, { operation: 'send', willRetry: true });
    }
    return { sent: this.counts.sent - sentBefore, remaining: this.buffer.size + this.inFlight };
  }

  /** Counters and state, for visibility and tests. */
  stats(): MonitorStats {
    return {
      state: this.state,
      agentId: this.session.agentId,
      registered: this.session.apiKey !== null,
      settings: { ...this.settings },
      metricsIntervalMs: this.metricsIntervalMs,
      healthCheckIntervalMs: this.healthIntervalMs,
      buffered: this.buffer.size + this.inFlight,
      bufferLimit: this.buffer.limit,
      ...this.counts,
      registrations: this.session.registrations,
      lastError: this.lastError,
      lastSentAt: this.lastSentAt,
    };
  }

  // ------------------------------------------------------------------ recording: performance

  /**
   * Runs `fn` as one task: counts it completed or failed and times it. The task's own error is
   * rethrown unchanged (it is the host's, not the monitor's).
   */
  track<T>(fn: () => Promise<T>): Promise<T>;
  track<T>(fn: () => T): T;
  track<T>(fn: () => T | Promise<T>): T | Promise<T> {
    const task = this.startTask();
    let result: T | Promise<T>;
    try {
      result = fn();
    } catch (err) {
      task.fail(err);
      throw err;
    }
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
      return (result as Promise<T>).then(
        (value) => {
          task.succeed();
          return value;
        },
        (err: unknown) => {
          task.fail(err);
          throw err;
        },
      );
    }
    task.succeed();
    return result;
  }

  /** Starts a task by hand: pending until `succeed()` or `fail()`. */
  startTask(): TaskHandle {
    const started = monotonic();
    let ended = false;
    try {
      this.recorder.taskStarted();
    } catch (err) {
      this.report(err, { operation: 'record', willRetry: false });
    }
    const end = (ok: boolean) => {
      if (ended) return;
      ended = true;
      try {
        this.recorder.taskEnded();
        this.recorder.recordTask(monotonic() - started, ok);
      } catch (err) {
        this.report(err, { operation: 'record', willRetry: false });
      }
    };
    return { succeed: () => end(true), fail: () => end(false), end };
  }

  /** Records a task measured elsewhere. */
  recordTask(durationMs: number, ok = true): void {
    this.safely(() => this.recorder.recordTask(durationMs, ok));
  }

  // ------------------------------------------------------------------ recording: AI

  /**
   * Tokens processed; `tokens_per_second` is their rate over the interval. With `model` they also
   * count for that model, on the `type` side (default `output`), and the server prices them.
   */
  recordTokens(count: number, options: TokenOptions = {}): void {
    this.safely(() => {
      const { model, type, provider } = options ?? {};
      if (model === undefined) {
        this.recorder.recordTokens(count);
        return;
      }
      if (type !== undefined && type !== 'input' && type !== 'output') throw new TypeError(`recordTokens: type must be 'input' or 'output', got ${JSON.stringify(type)}`);
      prefixed('recordTokens', () =>
        this.recorder.recordModelUsage({
          model,
          ...(provider !== undefined ? { provider } : {}),
          ...(type === 'input' ? { inputTokens: count } : { outputTokens: count }),
        }),
      );
    });
  }

  /**
   * One model inference: its duration and, optionally, tokens, confidence and accuracy. With
   * `model` it is one call of that model, with its input and output tokens and cost.
   */
  recordInference(durationMs: number, extra: InferenceOptions = {}): void {
    this.safely(() => {
      const usage = modelCall('recordInference', extra);
      this.recorder.recordInference(durationMs);
      this.recordCallTokens(extra, usage);
      if (extra.confidence !== undefined) this.recorder.recordConfidence(extra.confidence);
      if (extra.accuracy !== undefined) this.recorder.setAccuracy(extra.accuracy);
    });
  }

  /**
   * One call to a model or tool API: its latency and, optionally, the tokens it used. With `model`
   * it is one call of that model, with its input and output tokens and cost (give the model to
   * `recordInference` or here, not both, or the call counts twice).
   */
  recordApiCall(latencyMs: number, extra: ApiCallOptions = {}): void {
    this.safely(() => {
      const usage = modelCall('recordApiCall', extra);
      this.recorder.recordApiCall(latencyMs);
      this.recordCallTokens(extra, usage);
    });
  }

  /**
   * What a model consumed, however the host learnt it (a provider's usage report, a batch): its
   * input and output tokens (which count in tokens_processed too), calls and cost are added to the
   * interval's figures for the model. Left out, `calls` are not counted and the server prices the
   * tokens; `costUsd` covers the tokens given with it.
   */
  recordModelUsage(usage: ModelUsageInput): void {
    this.safely(() => prefixed('recordModelUsage', () => this.recorder.recordModelUsage(usage)));
  }

  /** The tokens of one call: to its model when it has one (checked beforehand), else to tokens_processed alone. */
  private recordCallTokens(extra: InferenceOptions | ApiCallOptions, usage: ModelUsageInput | null): void {
    if (usage) {
      this.recorder.recordModelUsage(usage);
      return;
    }
    for (const n of [extra.tokens, extra.inputTokens, extra.outputTokens]) if (n !== undefined) this.recorder.recordTokens(n);
  }

  /** The context length in tokens (kept until changed). */
  setContextLength(tokens: number): void {
    this.safely(() => this.recorder.setContextLength(tokens));
  }

  /** The model's accuracy in [0, 1] (kept until changed). */
  setAccuracy(accuracy: number): void {
    this.safely(() => this.recorder.setAccuracy(accuracy));
  }

  /** A confidence score in [0, 1]; each payload reports the interval's mean. */
  recordConfidence(score: number): void {
    this.safely(() => this.recorder.recordConfidence(score));
  }

  // ------------------------------------------------------------------ recording: custom and health

  /** A custom metric reported in every payload until changed (numbers become `custom.<name>` series). */
  setMetric(name: string, value: unknown): void {
    this.safely(() => {
      if (typeof name !== 'string' || name === '' || name === DROPPED_PAYLOADS_METRIC) throw new TypeError(`invalid custom metric name ${JSON.stringify(name)}`);
      if (!jsonSafe(value)) throw new TypeError(`custom metric ${name}: value cannot be sent as JSON`);
      this.recorder.setMetric(name, value);
    });
  }

  /** A custom counter: each payload reports what was added during its interval. */
  incrementMetric(name: string, by = 1): void {
    this.safely(() => {
      if (typeof name !== 'string' || name === '' || name === DROPPED_PAYLOADS_METRIC) throw new TypeError(`invalid custom metric name ${JSON.stringify(name)}`);
      this.recorder.incrementMetric(name, by);
    });
  }

  /** Stops reporting a custom metric. */
  removeMetric(name: string): void {
    this.safely(() => this.recorder.removeMetric(name));
  }

  /** Adds (or replaces) a health check. */
  addHealthCheck(name: string, check: HealthCheckFn): void {
    this.safely(() => this.checks.add(name, check));
  }

  /** Removes a health check. */
  removeHealthCheck(name: string): void {
    this.checks.remove(name);
  }

  /**
   * Runs every health check now, each timed and limited to healthCheckTimeoutMs, and (when
   * registered) reports the results. Never rejects.
   */
  async runHealthChecks(): Promise<HealthCheckInput[]> {
    const results = await this.runChecks();
    if (results.length > 0) await this.sendHealth(results);
    return results;
  }

  // ------------------------------------------------------------------ settings and timers

  private get retryOptions(): BackoffOptions {
    return this.options.retry ?? {};
  }

  private get collectTimeoutMs(): number {
    return this.options.collectTimeoutMs ?? 5000;
  }

  private get metricsIntervalMs(): number {
    return this.options.metricsIntervalMs ?? this.settings.metrics_interval_seconds * 1000;
  }

  private get healthIntervalMs(): number {
    return this.options.healthCheckIntervalMs ?? this.settings.health_check_interval_seconds * 1000;
  }

  /** Takes the server's collection settings; a changed interval moves the pending tick. */
  private applySettings(next: Partial<CollectionSettings>): void {
    const before = { metrics: this.metricsIntervalMs, health: this.healthIntervalMs };
    const s = this.settings;
    this.settings = {
      metrics_interval_seconds: next.metrics_interval_seconds ?? s.metrics_interval_seconds,
      health_check_interval_seconds: next.health_check_interval_seconds ?? s.health_check_interval_seconds,
      enable_resource_monitoring: next.enable_resource_monitoring ?? s.enable_resource_monitoring,
      enable_performance_monitoring: next.enable_performance_monitoring ?? s.enable_performance_monitoring,
      enable_ai_monitoring: next.enable_ai_monitoring ?? s.enable_ai_monitoring,
    };
    if (this.metricsIntervalMs !== before.metrics) {
      this.log('info', 'metrics interval changed', { from_ms: before.metrics, to_ms: this.metricsIntervalMs });
      if (this.metricsTimer) {
        clearTimeout(this.metricsTimer);
        this.metricsTimer = later(() => void this.metricsTick(), this.lastMetricsTickMs + this.metricsIntervalMs - now());
      }
    }
    if (this.healthIntervalMs !== before.health) {
      this.log('info', 'health check interval changed', { from_ms: before.health, to_ms: this.healthIntervalMs });
      if (this.healthTimer) {
        clearTimeout(this.healthTimer);
        this.healthTimer = later(() => void this.healthTick(), this.lastHealthTickMs + this.healthIntervalMs - now());
      }
    }
  }

  private clearTimers(): void {
    for (const timer of [this.metricsTimer, this.healthTimer, this.retryTimer]) if (timer) clearTimeout(timer);
    this.metricsTimer = this.healthTimer = this.retryTimer = null;
    this.session.cancel();
  }

  // ------------------------------------------------------------------ metrics

  private async metricsTick(): Promise<void> {
    this.metricsTimer = null;
    const tickStart = now();
    this.lastMetricsTickMs = tickStart;
    try {
      this.enqueue(await this.buildPayload(this.collectTimeoutMs));
      this.flushSoon();
    } catch (err) {
      this.report(err, { operation: 'collect', willRetry: true });
    } finally {
      if (this.state === 'running') this.metricsTimer = later(() => void this.metricsTick(), tickStart + this.metricsIntervalMs - now());
    }
  }

  /** One payload for the interval that ends now. Collection failures leave their figures out. */
  private async buildPayload(collectTimeoutMs: number): Promise<PendingPayload> {
    const timestamp = new Date(now()).toISOString();
    let resources: Partial<ResourceMetrics> = {};
    let collectedCustom: Record<string, unknown> = {};
    if (this.settings.enable_resource_monitoring) {
      try {
        if (this.options.collect) {
          resources = await withTimeout(Promise.resolve().then(() => this.options.collect?.() ?? {}), collectTimeoutMs, 'collect');
        } else if (this.options.collector) {
          const collected = await withTimeout(this.options.collector.collect(), collectTimeoutMs, 'resource collection');
          resources = collected.resources;
          collectedCustom = collected.custom ?? {};
        }
      } catch (err) {
        this.report(err, { operation: 'collect', willRetry: true });
      }
    }
    let extraCustom: Record<string, unknown> = {};
    if (this.options.customMetrics) {
      try {
        const extra = await withTimeout(Promise.resolve().then(() => this.options.customMetrics?.() ?? {}), collectTimeoutMs, 'customMetrics');
        if (!jsonSafe(extra)) throw new TypeError('customMetrics() returned a value that cannot be sent as JSON');
        extraCustom = extra;
      } catch (err) {
        this.report(err, { operation: 'collect', willRetry: true });
      }
    }
    const figures = this.recorder.take(now(), this.startedAtMs === null ? 0 : (now() - this.startedAtMs) / 1000);
    if (figures.modelsLeftOut > 0) {
      this.log('warn', 'more models in the interval than a payload carries: the ones with the fewest tokens are left out of model_usage', {
        left_out: figures.modelsLeftOut,
        sent: figures.modelUsage.length,
      });
    }
    this.counts.produced += 1;
    const payload: PendingPayload = {
      timestamp,
      resource_metrics: sanitizeResources(resources),
      performance_metrics: this.settings.enable_performance_monitoring ? figures.performance : {},
      custom_metrics: { ...collectedCustom, ...extraCustom, ...figures.custom },
      health_checks: this.checks.latest(),
    };
    // enable_ai_monitoring defaults to false in the seed; figures the host recorded are sent anyway.
    if (figures.ai) payload.ai_metrics = figures.ai;
    if (figures.modelUsage.length > 0) payload.model_usage = figures.modelUsage;
    return payload;
  }

  private enqueue(payload: PendingPayload): void {
    const dropped = this.buffer.push(payload, this.inFlight);
    if (dropped > 0) this.noteDropped(dropped);
  }

  private noteDropped(n: number): void {
    this.counts.dropped += n;
    this.counts.droppedUnreported += n;
    this.log('warn', 'buffer full: dropped the oldest payloads', { dropped: n, limit: this.buffer.limit });
  }

  /** Starts a drain unless one waits for its retry time. */
  private flushSoon(): void {
    if (this.retryTimer || this.state === 'stopping' || this.state === 'stopped') return;
    void this.drain().then((outcome) => {
      if (outcome.kind === 'retry') this.scheduleRetry(outcome.afterMs);
    });
  }

  private scheduleRetry(afterMs: number | null): void {
    if (this.retryTimer || (this.state !== 'running' && this.state !== 'starting')) return;
    const delay = Math.max(afterMs ?? 0, backoffDelay(this.sendAttempt++, this.retryOptions));
    this.log('debug', 'retrying later', { delay_ms: delay, buffered: this.buffer.size });
    this.retryTimer = later(() => {
      this.retryTimer = null;
      this.flushSoon();
    }, delay);
  }

  /** One drain at a time; it sends batches until the buffer is empty or a send fails. */
  private drain(): Promise<DrainOutcome> {
    this.draining ??= this.drainLoop()
      .catch((err: unknown): DrainOutcome => {
        this.report(err, { operation: 'send', willRetry: true });
        return { kind: 'retry', afterMs: null };
      })
      .finally(() => {
        this.draining = null;
      });
    return this.draining;
  }

  private async drainLoop(): Promise<DrainOutcome> {
    let reauthenticated = false;
    while (this.buffer.size > 0) {
      const { client, agentId, apiKey: keyUsed } = this.session;
      if (!client || !agentId || !keyUsed) return { kind: 'unregistered' };
      const batch = this.buffer.shift(this.batchSize);
      this.inFlight = batch.length;
      const reportedDropped = this.counts.droppedUnreported;
      const wire: AgentMetrics[] = batch.map((p) => ({ agent_id: agentId, ...p }));
      if (reportedDropped > 0) {
        // The newest payload of the batch carries the count, so it sits beside the data that survived.
        const last = wire[wire.length - 1] as AgentMetrics;
        wire[wire.length - 1] = { ...last, custom_metrics: { ...(last.custom_metrics ?? {}), [DROPPED_PAYLOADS_METRIC]: reportedDropped } };
      }
      try {
        const receipt = await client.sendMetricsBatch(wire);
        this.inFlight = 0;
        this.counts.sent += batch.length;
        this.counts.batchesSent += 1;
        this.counts.droppedUnreported = Math.max(0, this.counts.droppedUnreported - reportedDropped);
        this.counts.consecutiveFailures = 0;
        this.sendAttempt = 0;
        this.lastSentAt = new Date(now()).toISOString();
        if (receipt?.config) this.applySettings(receipt.config);
        continue;
      } catch (err) {
        this.inFlight = 0;
        const outcome = this.afterSendFailure(err, batch);
        if (outcome === 'next') continue;
        if (outcome === 'reauth') {
          if (reauthenticated || !(await this.session.reauthenticate(keyUsed))) {
            return { kind: 'retry', afterMs: null };
          }
          reauthenticated = true;
          continue;
        }
        return { kind: 'retry', afterMs: isAgentmonError(err) ? err.retryAfterMs : null };
      }
    }
    return { kind: 'done' };
  }

  /** Decides what a failed batch becomes: sent again now, after re-registering, or later. */
  private afterSendFailure(err: unknown, batch: PendingPayload[]): 'next' | 'reauth' | 'later' {
    const requeue = (items: PendingPayload[]) => {
      const dropped = this.buffer.unshift(items);
      if (dropped > 0) this.noteDropped(dropped);
    };
    if (!isAgentmonError(err)) {
      // Not an HTTP answer: the batch itself cannot be sent (say, JSON cannot carry it). Trying again cannot help.
      this.counts.rejected += batch.length;
      this.report(err, { operation: 'send', willRetry: false, payloads: batch.length });
      return 'next';
    }
    if (isAuthError(err)) {
      requeue(batch);
      this.report(err, { operation: 'send', willRetry: true, payloads: batch.length });
      return 'reauth';
    }
    if (err.status === 413) {
      if (batch.length > 1) {
        this.batchSize = Math.max(1, Math.floor(batch.length / 2));
        requeue(batch);
        return 'next';
      }
      this.counts.rejected += 1;
      this.report(err, { operation: 'send', willRetry: false, payloads: 1 });
      return 'next';
    }
    if (err.status === 400) {
      // All or nothing: the details name the bad payloads (/body/<i>/...); the others go again.
      const bad = new Set<number>();
      for (const d of err.details) {
        const m = /^\/body\/(\d+)(\/|$)/.exec(d.path);
        if (m && Number(m[1]) < batch.length) bad.add(Number(m[1]));
      }
      const refused = bad.size > 0 ? batch.filter((_, i) => bad.has(i)) : batch;
      this.counts.rejected += refused.length;
      this.report(err, { operation: 'send', willRetry: false, payloads: refused.length });
      if (bad.size > 0) requeue(batch.filter((_, i) => !bad.has(i)));
      return 'next';
    }
    requeue(batch);
    this.counts.failedSends += 1;
    this.counts.consecutiveFailures += 1;
    this.report(err, { operation: 'send', willRetry: true, payloads: batch.length });
    return 'later';
  }

  // ------------------------------------------------------------------ health and heartbeat

  private async healthTick(): Promise<void> {
    this.healthTimer = null;
    const tickStart = now();
    this.lastHealthTickMs = tickStart;
    try {
      if (this.checks.size > 0) {
        const results = await this.runChecks();
        await this.sendHealth(results);
      }
      await this.sendHeartbeat();
    } catch (err) {
      this.report(err, { operation: 'health', willRetry: true });
    } finally {
      if (this.state === 'running') this.healthTimer = later(() => void this.healthTick(), tickStart + this.healthIntervalMs - now());
    }
  }

  private runChecks(): Promise<HealthCheckInput[]> {
    return this.checks.run();
  }

  private async sendHealth(results: HealthCheckInput[]): Promise<void> {
    const { client, agentId, apiKey: keyUsed } = this.session;
    if (!client || !agentId) return;
    try {
      const receipt = await client.reportHealth(agentId, results);
      this.counts.healthReports += 1;
      if (receipt?.config) this.applySettings(receipt.config);
    } catch (err) {
      this.report(err, { operation: 'health', willRetry: true });
      if (isAuthError(err)) void this.session.reauthenticate(keyUsed);
    }
  }

  private async sendHeartbeat(): Promise<void> {
    const { client, agentId, apiKey: keyUsed } = this.session;
    if (!client || !agentId) return;
    try {
      await client.heartbeat(agentId);
      this.counts.heartbeats += 1;
    } catch (err) {
      this.report(err, { operation: 'heartbeat', willRetry: true });
      if (isAuthError(err)) void this.session.reauthenticate(keyUsed);
    }
  }

  // ------------------------------------------------------------------ plumbing

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.report(err, { operation: 'record', willRetry: false });
    }
  }

  private report(err: unknown, context: MonitorErrorContext): void {
    const error = toError(err);
    this.lastError = error.message;
    const status = error instanceof AgentmonError ? error.status : undefined;
    this.log(context.willRetry ? 'warn' : 'error', `${context.operation} failed: ${error.message}`, {
      ...context,
      ...(status !== undefined ? { status } : {}),
    });
    try {
      this.options.onError?.(error, context);
    } catch {
      // a throwing onError must not break the monitor
    }
  }

  private log(level: keyof Logger, message: string, data?: Record<string, unknown>): void {
    try {
      this.options.logger?.[level]?.(`agentmon: ${message}`, { ...(this.session?.agentId ? { agent_id: this.session.agentId } : {}), ...data });
    } catch {
      // a throwing logger must not break the monitor
    }
  }
}
