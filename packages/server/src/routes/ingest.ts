/** Ingest: metrics (one or a batch), heartbeats and health reports. All-or-nothing per request. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AgentMetrics,
  HealthCheck,
  HealthReceipt,
  IngestReceipt,
  MAX_METRICS_BATCH,
  type AgentMetrics as AgentMetricsType,
  type ErrorDetail,
} from '@agentmon/schema';
import type { RouteContext } from '../route-context.js';
import type { Principal } from '../auth.js';
import { AppError, agentNotFound, badRequest } from '../errors.js';
import { IngestRefused, collectionSettings } from '../services/monitor.js';
import type { IngestContext } from '../storage/ports.js';
import { AgentIdParams, errorResponses, ingestErrorResponses } from './route-schemas.js';

/** Most checks one health report may carry. */
const MAX_CHECKS = 200;

/** Registers the ingest routes. */
export const ingestRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext }> = async (app, { ctx }) => {
  const { metadata, monitor } = ctx;

  /** Contexts of the named agents; the principal's own context is reused when it is the only one. */
  async function contexts(ids: readonly string[], principal: Principal | null): Promise<Map<string, IngestContext>> {
    if (principal?.kind === 'agent' && ids.length === 1 && ids[0] === principal.agentId) {
      return new Map([[principal.agentId, principal.context]]);
    }
    return metadata.getIngestContexts(ids);
  }

  /** Stores payloads through the monitor; nothing is written when any payload is refused. */
  async function ingest(payloads: readonly AgentMetricsType[], principal: Principal | null, pathOf: (i: number) => string) {
    if (principal?.kind === 'agent') {
      const foreign = payloads.map((p, i) => [p, i] as const).filter(([p]) => p.agent_id !== principal.agentId);
      if (foreign.length > 0) {
        throw new AppError(
          'FORBIDDEN',
          `this api_key may only report metrics for agent ${JSON.stringify(principal.agentId)}`,
          foreign.map(([, i]) => ({ path: `${pathOf(i)}/agent_id`, message: 'not the agent this api_key belongs to' })),
        );
      }
    }
    const known = await contexts([...new Set(payloads.map((p) => p.agent_id))], principal);
    try {
      return await monitor.ingestMetrics(payloads, known, pathOf);
    } catch (err) {
      if (err instanceof IngestRefused) {
        if (err.reason === 'out_of_window') throw badRequest(err.message, err.details);
        throw new AppError('AGENT_NOT_FOUND', err.message, err.details);
      }
      throw err;
    }
  }

  /** The context of one agent, or 404. */
  async function contextOf(id: string, principal: Principal | null): Promise<IngestContext> {
    const found = (await contexts([id], principal)).get(id);
    if (!found) throw agentNotFound(id);
    return found;
  }

  app.post(
    '/agents/:id/metrics',
    {
      config: { access: 'agent' },
      schema: {
        tags: ['ingest'],
        summary: 'Report one AgentMetrics payload',
        params: AgentIdParams,
        body: AgentMetrics,
        response: { 202: IngestReceipt, ...ingestErrorResponses },
      },
    },
    async (request, reply) => {
      const payload = request.body;
      if (payload.agent_id !== request.params.id) {
        throw badRequest('agent_id must name the agent in the path', [
          { path: '/body/agent_id', message: `must equal the path's agent id ${JSON.stringify(request.params.id)}` },
        ]);
      }
      const receipt = await ingest([payload], request.principal, () => '/body');
      return reply.status(202).send(receipt);
    },
  );

  app.post(
    '/metrics',
    {
      config: { access: 'agent' },
      schema: {
        tags: ['ingest'],
        summary: `Report a batch of up to ${MAX_METRICS_BATCH} AgentMetrics payloads, all or nothing`,
        body: Type.Array(AgentMetrics, { minItems: 1, maxItems: MAX_METRICS_BATCH }),
        response: { 202: IngestReceipt, ...ingestErrorResponses },
      },
    },
    async (request, reply) => {
      const receipt = await ingest(request.body, request.principal, (i) => `/body/${i}`);
      return reply.status(202).send(receipt);
    },
  );

  app.post(
    '/agents/:id/heartbeat',
    {
      config: { access: 'agent' },
      schema: {
        tags: ['ingest'],
        summary: 'Heartbeat: updates last_seen; no payload needed',
        params: AgentIdParams,
        response: { 204: Type.Null({ description: 'Recorded' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      await monitor.heartbeat(await contextOf(request.params.id, request.principal));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/agents/:id/health',
    {
      config: { access: 'agent' },
      schema: {
        tags: ['health'],
        summary: 'Report HealthCheck results',
        params: AgentIdParams,
        body: Type.Array(HealthCheck, { maxItems: MAX_CHECKS, description: 'A list of HealthCheck' }),
        response: { 202: HealthReceipt, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const seenNames = new Map<string, number>();
      const duplicates: ErrorDetail[] = [];
      request.body.forEach((c, i) => {
        if (seenNames.has(c.name)) duplicates.push({ path: `/body/${i}/name`, message: `check ${JSON.stringify(c.name)} appears twice (first at /body/${seenNames.get(c.name)})` });
        seenNames.set(c.name, i);
      });
      if (duplicates.length > 0) throw badRequest('each check may appear once per report', duplicates);
      const agent = await contextOf(id, request.principal);
      const step = await monitor.reportHealth(agent, request.body);
      return reply.status(202).send({
        config: collectionSettings(agent.config),
        accepted: request.body.length,
        failing: request.body.filter((c) => !c.status).map((c) => c.name),
        health_score: step.score,
        status: step.status,
      });
    },
  );
};
