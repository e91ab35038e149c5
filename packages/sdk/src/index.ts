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
  type CollectedResources,
  type FlushResult,
  type HealthCheckFn,
  type HealthCheckResult,
  type Logger,
  type MonitorErrorContext,
  type MonitorOperation,
  type MonitorState,
  type MonitorStats,
  type ResourceCollector,
  type StopResult,
  type TaskHandle,
} from './reporter.js';
export { BoundedQueue } from './buffer.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export { IntervalRecorder, sanitizeResources, type IntervalFigures } from './interval.js';
