/**
 * @agentmon/sdk: what an agent embeds to report to agentmon. Safe for browsers and any runtime
 * with fetch: the typed REST client, the AgentMonitor reporter and their types. In Node the package
 * resolves to `@agentmon/sdk/node`, whose AgentMonitor also measures the process and host.
 *
 * ```ts
 * const monitor = new AgentMonitor({
 *   url: 'http://127.0.0.1:8080',
 *   token: process.env.AGENTMON_REGISTRATION_TOKEN,
 *   agent: { name: 'support-bot', type: 'chatbot', version: '1.4.2', environment: 'production' },
 *   healthChecks: { llm_api: async () => (await fetch(LLM_HEALTH_URL)).ok },
 * });
 * await monitor.start();
 * const answer = await monitor.track(() => llm.complete(prompt)); // counted, timed
 * monitor.recordTokens(answer.usage.total_tokens);
 * // or, for tokens in and out by model, priced by the server:
 * monitor.recordInference(answer.ms, { model: 'gpt-4o', inputTokens: answer.usage.prompt_tokens, outputTokens: answer.usage.completion_tokens });
 * process.on('SIGTERM', () => void monitor.stop());              // flushes
 * ```
 */
export {
  AgentmonClient,
  parseRetryAfter,
  type AgentmonClientOptions,
  type FetchFn,
  type NotificationTarget,
  type NotificationTargetCreate,
  type NotificationTestResult,
  type Page,
  type Readiness,
} from './client.js';
export { AgentmonError, isAgentmonError, type ClientErrorCode } from './errors.js';
export {
  AgentMonitor,
  DROPPED_PAYLOADS_METRIC,
  type AgentIdentity,
  type AgentMonitorOptions,
  type ApiCallOptions,
  type CollectedResources,
  type FlushResult,
  type HealthCheckFn,
  type HealthCheckResult,
  type InferenceOptions,
  type Logger,
  type ModelCallOptions,
  type MonitorErrorContext,
  type MonitorOperation,
  type MonitorState,
  type MonitorStats,
  type ResourceCollector,
  type StopResult,
  type TaskHandle,
  type TokenOptions,
  type TokenType,
} from './reporter.js';
export { AgentSession, type KeyStore, type StoredKey } from './session.js';
export { BoundedQueue } from './buffer.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export {
  IntervalRecorder,
  MODELS_PER_INTERVAL_MAX,
  checkModelUsage,
  sanitizeResources,
  type IntervalFigures,
  type ModelUsageInput,
} from './interval.js';
