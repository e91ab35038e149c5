/**
 * How a MonitoringConfig maps onto the seed's monitoring_configs row: plain columns for the
 * intervals and switches, the `thresholds` JSON for thresholds and alert tuning, the
 * `retention_settings` JSON for retention. Shared by every adapter so they cannot drift.
 */
import { defaultMonitoringConfig, type MonitoringConfig } from '@agentmon/schema';
import { asRecord } from './column-types.js';

/** The two JSON documents of a config row. */
export function configDocuments(config: MonitoringConfig): { thresholds: Record<string, unknown>; retention_settings: Record<string, unknown> } {
  return {
    thresholds: {
      cpu_threshold: config.cpu_threshold,
      memory_threshold: config.memory_threshold,
      error_rate_threshold: config.error_rate_threshold,
      response_time_threshold_ms: config.response_time_threshold_ms,
      custom_thresholds: config.custom_thresholds,
      critical_thresholds: config.critical_thresholds,
      alert_pending_seconds: config.alert_pending_seconds,
      alert_keep_firing_seconds: config.alert_keep_firing_seconds,
      alert_recovery_ratio: config.alert_recovery_ratio,
    },
    retention_settings: {
      metrics_retention_days: config.metrics_retention_days,
      logs_retention_days: config.logs_retention_days,
    },
  };
}

/** The plain columns of a config row, as a driver returns them (SQLite booleans are 0/1). */
export interface ConfigColumnValues {
  metrics_interval_seconds: number | null;
  health_check_interval_seconds: number | null;
  enable_resource_monitoring: boolean | number | null;
  enable_performance_monitoring: boolean | number | null;
  enable_ai_monitoring: boolean | number | null;
}

function numberMap(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(asRecord(value))) if (typeof v === 'number') out[k] = v;
  return out;
}

/** A MonitoringConfig from a row; anything missing (a row written by other tools) takes the seed default. */
export function configFromColumns(agentId: string, columns: ConfigColumnValues, thresholds: unknown, retention: unknown): MonitoringConfig {
  const d = defaultMonitoringConfig(agentId);
  const t = asRecord(thresholds);
  const r = asRecord(retention);
  const num = (v: unknown, fallback: number) => (typeof v === 'number' ? v : fallback);
  const bool = (v: boolean | number | null, fallback: boolean) => (v === null ? fallback : v === true || v === 1);
  return {
    agent_id: agentId,
    metrics_interval_seconds: columns.metrics_interval_seconds ?? d.metrics_interval_seconds,
    health_check_interval_seconds: columns.health_check_interval_seconds ?? d.health_check_interval_seconds,
    enable_resource_monitoring: bool(columns.enable_resource_monitoring, d.enable_resource_monitoring),
    enable_performance_monitoring: bool(columns.enable_performance_monitoring, d.enable_performance_monitoring),
    enable_ai_monitoring: bool(columns.enable_ai_monitoring, d.enable_ai_monitoring),
    cpu_threshold: num(t.cpu_threshold, d.cpu_threshold),
    memory_threshold: num(t.memory_threshold, d.memory_threshold),
    error_rate_threshold: num(t.error_rate_threshold, d.error_rate_threshold),
    response_time_threshold_ms: num(t.response_time_threshold_ms, d.response_time_threshold_ms),
    custom_thresholds: numberMap(t.custom_thresholds),
    metrics_retention_days: num(r.metrics_retention_days, d.metrics_retention_days),
    logs_retention_days: num(r.logs_retention_days, d.logs_retention_days),
    critical_thresholds: numberMap(t.critical_thresholds),
    alert_pending_seconds: num(t.alert_pending_seconds, d.alert_pending_seconds),
    alert_keep_firing_seconds: num(t.alert_keep_firing_seconds, d.alert_keep_firing_seconds),
    alert_recovery_ratio: num(t.alert_recovery_ratio, d.alert_recovery_ratio),
  };
}
