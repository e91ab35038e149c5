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
  type CollectionSettings,
  type HealthCheckInput,
  type ResourceMetrics,
} from '@agentmon/schema';
import { AgentmonClient } from './client.js';
import { AgentmonError } from './errors.js';
import type { BackoffOptions } from './backoff.js';
import { HealthChecks, type HealthCheckFn } from './checks.js';
import { AgentSession } from './session.js';
import { DROPPED_PAYLOADS_METRIC, PayloadSender, isAuthError, type PendingPayload } from './sender.js';
import { later, monotonic, now, toError, withTimeout, type Timer } from './timing.js';
import { IntervalRecorder, sanitizeResources, type ModelUsageInput } from './interval.js';

import type {
  Logger,
  MonitorErrorContext,
  AgentMonitorOptions,
  TokenOptions,
  InferenceOptions,
  ApiCallOptions,
  MonitorState,
  MonitorStats,
  FlushResult,
  StopResult,
  TaskHandle,
} from './monitor-types.js';
import { checkPositive, checkString, jsonSafe, modelCall, prefixed } from './argument-checks.js';

export { DROPPED_PAYLOADS_METRIC };
export type { HealthCheckFn, HealthCheckResult } from './checks.js';
/** The facade's public shapes. */
export type * from './monitor-types.js';

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

/** Reports an agent's metrics, heartbeats and health checks to agentmon. */
export class AgentMonitor {
  private readonly identity: AgentInfoInput;
  private readonly session: AgentSession;
  private settings: CollectionSettings = { ...DEFAULT_SETTINGS };
  private state: MonitorState = 'idle';
  private readonly recorder = new IntervalRecorder(now());
  private readonly sender: PayloadSender;
  private readonly checks: HealthChecks;

  private metricsTimer: Timer | null = null;
  private healthTimer: Timer | null = null;
  private lastMetricsTickMs = 0;
  private lastHealthTickMs = 0;
  private startedAtMs: number | null = null;
  private starting: Promise<void> | null = null;
  private stopping: Promise<StopResult> | null = null;

  private readonly counts = {
    produced: 0,
    heartbeats: 0,
    healthReports: 0,
  };
  private lastError: string | null = null;

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
          if (this.state === 'running') this.sender.sendSoon();
        },
        failed: (err, willRetry) => this.report(err, { operation: 'register', willRetry }),
        log: (level, message, data) => this.log(level, message, data),
      },
    });
    this.sender = new PayloadSender({
      session: this.session,
      maxBuffered: Math.floor(options.maxBufferedPayloads ?? 1000),
      batchSize: Math.floor(options.maxBatchSize ?? 100),
      retry: options.retry ?? {},
      hooks: {
        active: () => this.state === 'starting' || this.state === 'running',
        settings: (config) => this.applySettings(config),
        failed: (err, failure) => this.report(err, { operation: 'send', ...failure }),
        log: (level, message, data) => this.log(level, message, data),
      },
    });
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
    this.sender.reopen();
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
      return Promise.resolve({ sent: 0, unsent: this.sender.pending, dropped: this.sender.counts.dropped });
    }
    const timeoutMs = options.timeoutMs ?? 5000;
    const deadline = now() + timeoutMs;
    this.stopping = this.stopNow(deadline)
      .catch((err: unknown) => {
        this.report(err, { operation: 'send', willRetry: false });
        return { sent: 0, unsent: this.sender.pending, dropped: this.sender.counts.dropped };
      })
      .finally(() => {
        this.stopping = null;
      });
    return this.stopping;
  }

  private async stopNow(deadline: number): Promise<StopResult> {
    const sentBefore = this.sender.counts.sent;
    if (this.starting) await withTimeout(this.starting, Math.max(1, deadline - now()), 'start', true).catch(() => undefined);
    this.state = 'stopping';
    this.clearTimers();
    // The interval so far: its tasks and tokens would be lost otherwise.
    if (this.recorder.hasActivity || now() - this.lastMetricsTickMs >= 1000) {
      this.sender.enqueue(await this.buildPayload(Math.max(1, Math.min(this.collectTimeoutMs, deadline - now()))));
    }
    await this.sender.sendUntil(deadline);
    this.state = 'stopped';
    this.clearTimers();
    try {
      this.options.collector?.close?.();
    } catch {
      // closing is best effort
    }
    const unsent = this.sender.pending;
    if (unsent > 0) this.log('warn', 'stopped with payloads unsent', { unsent });
    return { sent: this.sender.counts.sent - sentBefore, unsent, dropped: this.sender.counts.dropped };
  }

  /** Sends what the buffer holds now, without waiting for a retry timer. Never rejects. */
  async flush(): Promise<FlushResult> {
    const sentBefore = this.sender.counts.sent;
    // Never started: nothing was built, and flushing must not register an agent behind the host's back.
    if (this.state === 'idle') return { sent: 0, remaining: this.sender.pending };
    try {
      await this.sender.sendNow();
    } catch (err) {
      this.report(err, { operation: 'send', willRetry: true });
    }
    return { sent: this.sender.counts.sent - sentBefore, remaining: this.sender.pending };
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
      buffered: this.sender.pending,
      bufferLimit: this.sender.bufferLimit,
      ...this.counts,
      ...this.sender.counts,
      registrations: this.session.registrations,
      lastError: this.lastError,
      lastSentAt: this.sender.lastSentAt,
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
    for (const timer of [this.metricsTimer, this.healthTimer]) if (timer) clearTimeout(timer);
    this.metricsTimer = this.healthTimer = null;
    this.session.cancel();
    this.sender.cancel();
  }

  // ------------------------------------------------------------------ metrics

  private async metricsTick(): Promise<void> {
    this.metricsTimer = null;
    const tickStart = now();
    this.lastMetricsTickMs = tickStart;
    try {
      this.sender.enqueue(await this.buildPayload(this.collectTimeoutMs));
      this.sender.sendSoon();
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
