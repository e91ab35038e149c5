/** /events: the SystemEvent history, newest first. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EventListQuery, SystemEvent, toUtcIso } from '@agentmon/schema';
import type { RouteContext } from '../route-context.js';
import { resolveAgentRef } from './agent-ref.js';
import { errorResponses } from './route-schemas.js';

/** Registers GET /events. */
export const eventRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext }> = async (app, { ctx }) => {
  app.get(
    '/events',
    {
      schema: {
        tags: ['events'],
        summary: 'SystemEvent history, newest first; filters type, agent_id or agent (id, prefix or name), severity, since, until, limit',
        querystring: EventListQuery,
        response: { 200: Type.Object({ items: Type.Array(Type.Required(SystemEvent)) }), ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (request) => {
      const q = request.query;
      // `agent` (an id, prefix or name) narrows to one agent, as agent_id does; both must agree.
      const agentId = q.agent ? (await resolveAgentRef(ctx.metadata, q.agent, '/querystring/agent')).agent.id : q.agent_id;
      if (q.agent && q.agent_id && agentId !== q.agent_id) return { items: [] };
      const items = await ctx.metadata.listEvents({
        ...(q.type ? { type: q.type } : {}),
        ...(agentId ? { agent_id: agentId } : {}),
        ...(q.severity ? { severity: q.severity } : {}),
        ...(q.since ? { since: toUtcIso(q.since) } : {}),
        ...(q.until ? { until: toUtcIso(q.until) } : {}),
        limit: q.limit ?? 100,
      });
      return { items };
    },
  );
};
