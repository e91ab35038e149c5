/**
 * An agent's MonitoringConfig (thresholds, intervals, retention): read, replaced (absent fields take
 * the seed's defaults) or changed (absent fields stay). What the schema cannot say is checked here:
 * the agent id in a body matches the agent's, and threshold names are metrics.
 */
import {
  defaultMonitoringConfig,
  isQueryableMetricName,
  type ErrorDetail,
  type MonitoringConfig,
  type MonitoringConfigUpdate,
} from '@agentmon/schema';
import { agentNotFound, badRequest } from '../errors.js';
import type { MonitoringConfigStore } from '../storage/ports.js';

/** Checks what the schema cannot: the agent id matches, threshold names are metrics (400 naming each). */
function checkUpdate(id: string, body: MonitoringConfigUpdate): void {
  const details: ErrorDetail[] = [];
  if (body.agent_id !== undefined && body.agent_id !== id) {
    details.push({ path: '/body/agent_id', message: `must equal the path's agent id ${JSON.stringify(id)}` });
  }
  for (const name of Object.keys(body.custom_thresholds ?? {})) {
    if (!isQueryableMetricName(name)) {
      details.push({
        path: `/body/custom_thresholds/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        message: 'must be a metric field name (cpu_usage_percent, tokens_per_second, ...) or custom.<key>',
      });
    }
  }
  if (details.length > 0) throw badRequest('invalid monitoring config', details);
}

/** Reads and writes agents' monitoring configs. */
export class ConfigService {
  constructor(private readonly store: MonitoringConfigStore) {}

  /** The agent's config; 404 for an unknown agent. */
  async get(id: string): Promise<MonitoringConfig> {
    const config = await this.store.getConfig(id);
    if (!config) throw agentNotFound(id);
    return config;
  }

  /** Replaces the config: fields the update leaves out take the defaults. */
  async replace(id: string, update: MonitoringConfigUpdate): Promise<MonitoringConfig> {
    checkUpdate(id, update);
    await this.get(id);
    return this.save(id, { ...defaultMonitoringConfig(id), ...update, agent_id: id });
  }

  /** Changes the fields the update names; the others stay. */
  async change(id: string, update: MonitoringConfigUpdate): Promise<MonitoringConfig> {
    checkUpdate(id, update);
    const current = await this.get(id);
    return this.save(id, { ...current, ...update, agent_id: id });
  }

  private async save(id: string, config: MonitoringConfig): Promise<MonitoringConfig> {
    const saved = await this.store.putConfig(config);
    if (!saved) throw agentNotFound(id);
    return saved;
  }
}
