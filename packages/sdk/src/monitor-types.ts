/** The public shapes of AgentMonitor: its options, what it reports and what it answers. */
import type { AgentType, CollectionSettings, DeploymentType, ResourceMetrics } from '@agentmon/schema';
import type { FetchFn } from './client.js';
import type { BackoffOptions } from './backoff.js';
import type { HealthCheckFn } from './checks.js';
import type { KeyStore } from './session.js';

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

/** A health check and what it answers: throwing, rejecting or timing out counts as failing. */
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
