/** /agents/:id/config: an agent's MonitoringConfig (thresholds, intervals, retention). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  MonitoringConfig,
  MonitoringConfigUpdate,
  defaultMonitoringConfig,
  isQueryableMetricName,
  type ErrorDetail,
  type MonitoringConfig as MonitoringConfigType,
  type MonitoringConfigUpdate as MonitoringConfigUpdateType,
} from '@agentmon/schema';
import { Type } from 'typebox';
import type { RouteContext } from '../route-context.js';
import { agentNotFound, badRequest } from '../errors.js';
import { AgentIdParams, errorResponses } from './route-schemas.js';

/** Checks what the schema cannot: the agent id matches the path, threshold names are metrics. */
function checkUpdate(id: string, body: MonitoringConfigUpdateType): void {
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

/** Registers the config routes. */
export const configRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext }> = async (app, { ctx }) => {
  const { metadata } = ctx;
  const Response = Type.Required(MonitoringConfig);
  const response = { 200: Response, ...errorResponses };

  async function save(id: string, config: MonitoringConfigType) {
    const saved = await metadata.putConfig(config);
    if (!saved) throw agentNotFound(id);
    return saved;
  }

  app.get(
    '/agents/:id/config',
    { schema: { tags: ['config'], summary: "An agent's MonitoringConfig", params: AgentIdParams, response } },
    async (request) => {
      const config = await metadata.getConfig(request.params.id);
      if (!config) throw agentNotFound(request.params.id);
      return config;
    },
  );

  app.put(
    '/agents/:id/config',
    {
      schema: {
        tags: ['config'],
        summary: 'Replace the MonitoringConfig (absent fields take the seed defaults)',
        params: AgentIdParams,
        body: MonitoringConfigUpdate,
        response,
      },
    },
    async (request) => {
      const { id } = request.params;
      checkUpdate(id, request.body);
      if (!(await metadata.getConfig(id))) throw agentNotFound(id);
      return save(id, { ...defaultMonitoringConfig(id), ...request.body, agent_id: id });
    },
  );

  app.patch(
    '/agents/:id/config',
    {
      schema: {
        tags: ['config'],
        summary: 'Change some MonitoringConfig fields',
        params: AgentIdParams,
        body: MonitoringConfigUpdate,
        response,
      },
    },
    async (request) => {
      const { id } = request.params;
      checkUpdate(id, request.body);
      const current = await metadata.getConfig(id);
      if (!current) throw agentNotFound(id);
      return save(id, { ...current, ...request.body, agent_id: id });
    },
  );
};
