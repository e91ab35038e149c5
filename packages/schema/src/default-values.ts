/**
 * The seed's defaults as values, written once: the TypeBox models (models.ts) take their `default`s
 * from here, defaults.ts builds complete configs of them, and browsers get them through
 * `@agentmon/schema/plain`. No imports, so models.ts can take them without a loop.
 */

/** MonitoringConfig's defaults (the seed's, then agentmon's alert tuning). */
export const MONITORING_CONFIG_DEFAULTS = {
  metrics_interval_seconds: 60,
  health_check_interval_seconds: 30,
  enable_resource_monitoring: true,
  enable_performance_monitoring: true,
  enable_ai_monitoring: false,
  cpu_threshold: 80.0,
  memory_threshold: 85.0,
  error_rate_threshold: 0.05,
  response_time_threshold_ms: 5000.0,
  metrics_retention_days: 30,
  logs_retention_days: 7,
  alert_pending_seconds: 0,
  alert_keep_firing_seconds: 0,
  alert_recovery_ratio: 0.9,
} as const;

/** DashboardConfig's defaults. */
export const DASHBOARD_CONFIG_DEFAULTS = {
  refresh_interval_seconds: 30,
  default_time_range_hours: 24,
  max_agents_per_page: 50,
  enable_real_time_updates: true,
  chart_types: ['line', 'bar', 'gauge'],
} as const;
