/** GET /agents/:id/failed-spans: the latest failed GenAI spans an agent exported over OTLP. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { FailedSpanList } from '@agentmon/schema';
import type { RouteContext } from '../route-context.js';
import { agentNotFound } from '../errors.js';
import { FAILED_SPANS_PER_AGENT, type FailedSpans } from '../otlp/failed-spans.js';
import { AgentIdParams, errorResponses } from './route-schemas.js';

/** Registers the failed-spans route. */
export const failedSpanRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext; failedSpans: FailedSpans }> = async (app, { ctx, failedSpans }) => {
  app.get(
    '/agents/:id/failed-spans',
    {
      schema: {
        tags: ['opentelemetry'],
        summary: `The latest ${FAILED_SPANS_PER_AGENT} failed GenAI spans an agent exported over OTLP`,
        params: AgentIdParams,
        response: { 200: FailedSpanList, ...errorResponses },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!(await ctx.metadata.getAgent(id))) throw agentNotFound(id);
      return { agent_id: id, items: failedSpans.list(id) };
    },
  );
};
