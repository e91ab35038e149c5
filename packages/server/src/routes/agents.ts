/** /agents: register, list, show, update and deregister agents. */
import { randomUUID } from 'node:crypto';
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
  defaultMonitoringConfig,
  toUtcIso,
  type AgentSortKey,
  type AgentInfo as AgentInfoType,
} from '@agentmon/schema';
import type { RouteContext } from '../route-context.js';
import { hashToken, newAgentKey } from '../auth.js';
import { AppError, agentNotFound, badRequest } from '../errors.js';
import { newEvent, readSnapshot } from '../engine/ingest.js';
import type { AgentPatch, AgentRecord } from '../storage/ports.js';
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

/** AgentDetail of a stored agent. */
export function agentDetail(agent: AgentRecord): AgentDetail {
  const { state, ...info } = agent;
  const snapshot = readSnapshot(state);
  return {
    ...info,
    health_score: state.health_score,
    status_reason: state.status_reason,
    health_components: snapshot.components,
    custom_metric_names: snapshot.custom_names,
  };
}

/** Registers the /agents routes. */
export const agentRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext }> = async (app, { ctx }) => {
  const { metadata, series, clock } = ctx;

  /**
   * The registration token registers agents, and an agent restarting registers again under its
   * name+environment+host; it may not take an existing agent over by id (re-registering revokes
   * the agent's key): a given id of an agent with another identity is refused. The admin token may.
   */
  async function refuseTakeover(agent: AgentInfoType): Promise<void> {
    const existing = await metadata.getAgent(agent.id);
    if (!existing || (existing.name === agent.name && existing.environment === agent.environment && existing.host === agent.host)) return;
    throw new AppError(
      'AGENT_EXISTS',
      `agent ${JSON.stringify(agent.id)} is already registered as another name+environment+host; the registration token may not take it over (its api_key would be revoked): register without an id, or use the admin token`,
      [{ path: '/body/id', message: 'belongs to an existing agent with another name+environment+host' }],
    );
  }

  app.post(
    '/agents',
    {
      config: { access: 'register' },
      schema: {
        tags: ['agents'],
        summary: 'Register an agent (idempotent on name+environment+host, or on a given id)',
        description:
          'Answers 201 for a new agent and 200 for a known one, with a new api_key each time (the old one stops working). The key is shown once.',
        body: AgentInfo,
        response: { 200: RegisterResponse, 201: RegisterResponse, ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const nowIso = new Date(clock()).toISOString();
      const idGiven = body.id !== undefined;
      const agent: AgentInfoType = {
        id: body.id ?? randomUUID(),
        name: body.name,
        type: body.type,
        version: body.version,
        description: body.description ?? null,
        deployment_type: body.deployment_type,
        host: body.host,
        port: body.port ?? null,
        environment: body.environment,
        config: body.config ?? {},
        tags: [...new Set(body.tags ?? [])],
        registered_at: nowIso,
        last_seen: body.last_seen ? toUtcIso(body.last_seen) : nowIso,
        status: body.status === 'maintenance' ? 'maintenance' : 'unknown',
        metadata: body.metadata ?? {},
      };
      if (idGiven && request.principal?.kind === 'registration') await refuseTakeover(agent);
      let apiKey = '';
      const registered = newEvent('agent_registered', `agent ${agent.name} registered`, {
        agent_id: agent.id,
        nowMs: clock(),
        data: { name: agent.name, type: agent.type, version: agent.version, environment: agent.environment, host: agent.host },
      });
      const result = await metadata.registerAgent({
        agent,
        idGiven,
        keyHash: (finalId) => {
          apiKey = newAgentKey(finalId);
          return hashToken(apiKey);
        },
        defaultConfig: defaultMonitoringConfig(agent.id),
        event: registered,
      });
      if (result.outcome === 'conflict') {
        throw new AppError(
          'AGENT_CONFLICT',
          `an agent named ${JSON.stringify(agent.name)} on ${agent.host} in ${agent.environment} is already registered as ${result.existingId}`,
          [{ path: '/body/id', message: `name+environment+host belong to agent ${result.existingId}` }],
        );
      }
      const created = result.outcome === 'created';
      ctx.live.publish('system_event', { ...registered, agent_id: result.agent.id });
      if (!created) request.log.info({ agent_id: result.agent.id }, 'agent re-registered; its previous api_key is revoked');
      return reply.status(created ? 201 : 200).send({
        agent_id: result.agent.id,
        status: created ? 'registered' : 'updated',
        message: created
          ? `agent ${result.agent.name} registered; keep the api_key, it is shown only once`
          : `agent ${result.agent.name} was already registered; its details were updated and it has a new api_key`,
        monitoring_endpoints: monitoringEndpoints(result.agent.id),
        config: result.config,
        api_key: apiKey,
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
    async (request) => {
      const { id } = request.params;
      const current = await metadata.getAgent(id);
      if (!current) throw agentNotFound(id);
      const { status, tags, ...rest } = request.body;
      if (status !== undefined && status !== 'maintenance' && current.status !== 'maintenance' && status !== current.status) {
        throw badRequest('status is derived by agentmon; only "maintenance" can be set (and any other value ends it)', [
          { path: '/body/status', message: 'only maintenance can be set' },
        ]);
      }
      const patch: AgentPatch = { ...rest, ...(tags ? { tags: [...new Set(tags)] } : {}) };
      if (Object.keys(patch).length > 0 && !(await metadata.updateAgent(id, patch, []))) throw agentNotFound(id);
      if (status !== undefined) await ctx.monitor.setMaintenance(id, status === 'maintenance');
      const updated = await metadata.getAgent(id);
      if (!updated) throw agentNotFound(id);
      return agentDetail(updated);
    },
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
      const { id } = request.params;
      const agent = await metadata.getAgent(id);
      if (!agent) throw agentNotFound(id);
      const purge = request.query.purge ?? false;
      const deregistered = newEvent('agent_deregistered', `agent ${agent.name} deregistered`, {
        // system_events.agent_id is SET NULL when the agent goes; the id lives on in data.
        agent_id: null,
        nowMs: clock(),
        data: { agent_id: id, name: agent.name, environment: agent.environment, purged: purge },
      });
      if (!(await metadata.deleteAgent(id, deregistered))) throw agentNotFound(id);
      ctx.live.publish('system_event', deregistered);
      if (purge) await series.deleteAgent(id);
      return reply.status(204).send(null);
    },
  );
};
