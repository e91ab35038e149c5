/** /agents/:id/config: an agent's MonitoringConfig (thresholds, intervals, retention). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { MonitoringConfig, MonitoringConfigUpdate } from '@agentmon/schema';
import { Type } from 'typebox';
import type { RouteContext } from '../route-context.js';
import { ConfigService } from '../services/configs.js';
import { AgentIdParams, errorResponses } from './route-schemas.js';

/** Registers the config routes. */
export const configRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext }> = async (app, { ctx }) => {
  const configs = new ConfigService(ctx.metadata);
  const Response = Type.Required(MonitoringConfig);
  const response = { 200: Response, ...errorResponses };

  app.get(
    '/agents/:id/config',
    { schema: { tags: ['config'], summary: "An agent's MonitoringConfig", params: AgentIdParams, response } },
    async (request) => configs.get(request.params.id),
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
    async (request) => configs.replace(request.params.id, request.body),
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
    async (request) => configs.change(request.params.id, request.body),
  );
};
