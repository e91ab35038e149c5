/** /agents: register, list, show, update and deregister agents. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AgentDetail,
  AgentInfo,
  AgentListQuery,
  AgentPage,
  AgentResolveQuery,
  AgentResolved,
  AgentUpdate,
  RegisterResponse,
  type AgentSortKey,
} from '@agentmon/schema';
import type { RouteContext } from '../route-context.js';
import { agentNotFound } from '../errors.js';
import { AGENT_KEY_HEADER, agentDetail } from '../services/agents.js';
import { resolveAgentRef } from './agent-ref.js';
import { AgentIdParams, errorResponses } from './route-schemas.js';

/** The endpoints an agent reports to, given back at registration. */
export function monitoringEndpoints(agentId: string): Record<string, string> {
  const base = `/api/v1/agents/${encodeURIComponent(agentId)}`;
  return {
    metrics: `${base}/metrics`,
    metrics_batch: '/api/v1/metrics',
    heartbeat: `${base}/heartbeat`,
    health: `${base}/health`,
    config: `${base}/config`,
  };
}

/** Registers the /agents routes. */
export const agentRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext }> = async (app, { ctx }) => {
  const { metadata, agents } = ctx;

  app.post(
    '/agents',
    {
      config: { access: 'register' },
      schema: {
        tags: ['agents'],
        summary: 'Register an agent (idempotent on name+environment+host, or on a given id)',
        description:
          'Answers 201 for a new agent and 200 for a known one, with a new api_key each time (the old one stops working). The key is shown once. ' +
          'With the registration token, a known agent that reported within its offline threshold is re-registered only when `X-Agent-Key` shows its current api_key: ' +
          'otherwise 409 AGENT_IN_USE with Retry-After (the seconds until it counts as gone). The admin token re-registers any agent.',
        headers: Type.Object({
          [AGENT_KEY_HEADER]: Type.Optional(Type.String({ maxLength: 1000, description: "The agent's current api_key, when re-registering with the registration token an agent that is reporting" })),
        }),
        body: AgentInfo,
        response: { 200: RegisterResponse, 201: RegisterResponse, ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (request, reply) => {
      const done = await agents.register(request.body, {
        registrationToken: request.principal?.kind === 'registration',
        shownKey: request.headers[AGENT_KEY_HEADER],
      });
      const { agent } = done;
      if (!done.created) request.log.info({ agent_id: agent.id }, 'agent re-registered; its previous api_key is revoked');
      return reply.status(done.created ? 201 : 200).send({
        agent_id: agent.id,
        status: done.created ? 'registered' : 'updated',
        message: done.created
          ? `agent ${agent.name} registered; keep the api_key, it is shown only once`
          : `agent ${agent.name} was already registered; its details were updated and it has a new api_key`,
        monitoring_endpoints: monitoringEndpoints(agent.id),
        config: done.config,
        api_key: done.apiKey,
      });
    },
  );

  app.get(
    '/agents',
    {
      schema: {
        tags: ['agents'],
        summary: 'List agents (AgentSummary page) with filters, sort and paging',
        querystring: AgentListQuery,
        response: { 200: AgentPage, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const page = q.page ?? 1;
      const pageSize = q.page_size ?? 50;
      const descending = q.sort?.startsWith('-') ?? false;
      const sort = (q.sort?.replace(/^-/, '') ?? 'name') as AgentSortKey;
      const { items, total } = await metadata.listAgents({
        ...(q.status ? { status: q.status } : {}),
        ...(q.type ? { type: q.type } : {}),
        ...(q.environment ? { environment: q.environment } : {}),
        ...(q.tag ? { tag: q.tag } : {}),
        ...(q.q ? { q: q.q } : {}),
        sort,
        descending,
        offset: (page - 1) * pageSize,
        limit: pageSize,
      });
      return { items, total, page, page_size: pageSize };
    },
  );

  app.get(
    '/agents/resolve',
    {
      schema: {
        tags: ['agents'],
        summary: 'The one agent a typed reference names: an id, an unambiguous id prefix, or a name (unique within an environment)',
        description:
          'Tries an exact id, then an exact name (within `environment` when given), then an id prefix. 404 AGENT_NOT_FOUND when nothing matches; 409 AGENT_AMBIGUOUS when several do, one detail per candidate (at most 20).',
        querystring: AgentResolveQuery,
        response: { 200: AgentResolved, ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (request) => resolveAgentRef(metadata, request.query.q, '/querystring/q', request.query.environment),
  );

  app.get(
    '/agents/:id',
    {
      schema: { tags: ['agents'], summary: 'Show an agent (AgentInfo)', params: AgentIdParams, response: { 200: AgentDetail, ...errorResponses } },
    },
    async (request) => {
      const agent = await metadata.getAgent(request.params.id);
      if (!agent) throw agentNotFound(request.params.id);
      return agentDetail(agent);
    },
  );

  app.patch(
    '/agents/:id',
    {
      schema: {
        tags: ['agents'],
        summary: 'Update tags, description, metadata, ...; set or end maintenance',
        params: AgentIdParams,
        body: AgentUpdate,
        response: { 200: AgentDetail, ...errorResponses },
      },
    },
    async (request) => agentDetail(await agents.update(request.params.id, request.body)),
  );

  app.delete(
    '/agents/:id',
    {
      schema: {
        tags: ['agents'],
        summary: 'Deregister an agent; its metrics stay until retention unless ?purge=true',
        params: AgentIdParams,
        querystring: Type.Object({ purge: Type.Optional(Type.Boolean({ default: false })) }),
        response: { 204: Type.Null({ description: 'Deregistered' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      await agents.deregister(request.params.id, request.query.purge ?? false);
      return reply.status(204).send(null);
    },
  );
};
