/** GET /agents/:id/failed-spans: the latest failed GenAI spans an agent exported over OTLP. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RouteContext } from '../app.js';
import { agentNotFound } from '../errors.js';
import { FAILED_SPANS_PER_AGENT, type FailedSpans } from '../otlp/failed-spans.js';
import { AgentIdParams, errorResponses } from './route-schemas.js';

const FailedSpan = Type.Object(
  {
    trace_id: Type.String({ description: 'Hex trace id' }),
    span_id: Type.String({ description: 'Hex span id' }),
    parent_span_id: Type.Union([Type.String(), Type.Null()]),
    name: Type.String(),
    operation: Type.Union([Type.String(), Type.Null()], { description: 'gen_ai.operation.name' }),
    start_time: Type.String({ format: 'date-time' }),
    end_time: Type.String({ format: 'date-time' }),
    duration_ms: Type.Number({ minimum: 0 }),
    status_message: Type.String({ description: 'The span status message' }),
    attributes: Type.Record(Type.String(), Type.Unknown(), { description: 'The span attributes as sent' }),
  },
  { description: 'A GenAI span whose status was ERROR' },
);

const FailedSpanList = Type.Object(
  {
    agent_id: Type.String(),
    items: Type.Array(FailedSpan, { description: `Newest first, at most ${FAILED_SPANS_PER_AGENT}` }),
  },
  { description: 'The latest failed GenAI spans of an agent (kept in memory; none after a restart)' },
);

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
