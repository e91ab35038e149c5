/** Metric names: the seed's numeric fields, grouped as the payload groups them. */

/** Numeric fields of ResourceMetrics. */
export const RESOURCE_METRIC_NAMES = [
  'cpu_usage_percent',
  'memory_usage_bytes',
  'memory_usage_percent',
  'disk_usage_bytes',
  'disk_io_read_bytes',
  'disk_io_write_bytes',
  'network_io_rx_bytes',
  'network_io_tx_bytes',
  'gpu_usage_percent',
  'gpu_memory_usage_bytes',
] as const;

/** Numeric fields of PerformanceMetrics. */
export const PERFORMANCE_METRIC_NAMES = [
  'tasks_completed',
  'tasks_failed',
  'tasks_pending',
  'average_response_time_ms',
  'throughput_per_second',
  'error_rate',
  'success_rate',
  'uptime_seconds',
] as const;

/** Numeric fields of AIMetrics. */
export const AI_METRIC_NAMES = [
  'model_inference_time_ms',
  'model_accuracy',
  'confidence_score',
  'tokens_processed',
  'tokens_per_second',
  'context_length',
  'api_calls_made',
  'api_call_latency_ms',
] as const;

/** The health score agentmon computes for each payload, kept as a series beside the agent's own. */
export const HEALTH_SCORE_METRIC = 'health_score';

/** Every built-in series: the seed's numeric metric fields, then health_score. */
export const SERIES_METRIC_NAMES = [
  ...RESOURCE_METRIC_NAMES,
  ...PERFORMANCE_METRIC_NAMES,
  ...AI_METRIC_NAMES,
  HEALTH_SCORE_METRIC,
] as const;

/** A built-in series name. */
export type SeriesMetricName = (typeof SERIES_METRIC_NAMES)[number];

/** Prefix of the series made from numeric custom metrics (`custom.<key>`). */
export const CUSTOM_METRIC_PREFIX = 'custom.';

const builtIn: ReadonlySet<string> = new Set(SERIES_METRIC_NAMES);

/** True for a built-in series name. */
export function isSeriesMetricName(name: string): name is SeriesMetricName {
  return builtIn.has(name);
}

/** True for a name a metrics query accepts: a built-in series or `custom.<key>`. */
export function isQueryableMetricName(name: string): boolean {
  return builtIn.has(name) || (name.startsWith(CUSTOM_METRIC_PREFIX) && name.length > CUSTOM_METRIC_PREFIX.length);
}
