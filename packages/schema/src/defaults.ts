/** Complete configs of the seed's defaults (default-values.ts), for code that builds a model from a partial one. */
import { DASHBOARD_CONFIG_DEFAULTS, MONITORING_CONFIG_DEFAULTS } from './default-values.js';
import type { DashboardConfig, MonitoringConfig } from './models.js';

export { DASHBOARD_CONFIG_DEFAULTS, MONITORING_CONFIG_DEFAULTS };

/** A MonitoringConfig with every seed default. */
export function defaultMonitoringConfig(agentId: string): MonitoringConfig {
  return { agent_id: agentId, ...MONITORING_CONFIG_DEFAULTS, custom_thresholds: {}, critical_thresholds: {} };
}

/** A DashboardConfig with every seed default. */
export function defaultDashboardConfig(): DashboardConfig {
  return { ...DASHBOARD_CONFIG_DEFAULTS, chart_types: [...DASHBOARD_CONFIG_DEFAULTS.chart_types] };
}
