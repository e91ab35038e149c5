/** /events: the SystemEvent history, newest first. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EventListQuery, SystemEvent, toUtcIso } from '@agentmon/schema';
import type { RouteContext } from '../app.js';
import { errorResponses } from './route-schemas.js';

/** Registers GET /events. */
export const eventRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext }> = async (app, { ctx }) => {
  app.get(
    '/events',
    {
      schema: {
        tags: ['events'],
        summary: 'SystemEvent history, newest first; filters type, agent_id, severity, since, until, limit',
        querystring: EventListQuery,
        response: { 200: Type.Object({ items: Type.Array(Type.Required(SystemEvent)) }), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const items = await ctx.metadata.listEvents({
        ...(q.type ? { type: q.type } : {}),
        ...(q.agent_id ? { agent_id: q.agent_id } : {}),
        ...(q.severity ? { severity: q.severity } : {}),
        ...(q.since ? { since: toUtcIso(q.since) } : {}),
        ...(q.until ? { until: toUtcIso(q.until) } : {}),
        limit: q.limit ?? 100,
      });
      return { items };
    },
  );
};
