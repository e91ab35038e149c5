/** Ingest: metrics (one or a batch), heartbeats and health reports. All-or-nothing per request. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AgentMetrics,
  HealthCheck,
  HealthReceipt,
  IngestReceipt,
  MAX_METRICS_BATCH,
  toUtcIso,
  type AgentMetrics as AgentMetricsType,
  type ErrorDetail,
  type HealthCheck as HealthCheckType,
  type SystemEvent,
} from '@agentmon/schema';
import type { RouteContext } from '../app.js';
import type { Principal } from '../auth.js';
import { AppError, agentNotFound, badRequest } from '../errors.js';
import { newEvent, observe, payloadTimeMs, toSeriesPoint, type Observation } from '../engine/ingest.js';
import type { AgentStateWrite, IngestContext, SeriesPoint } from '../storage/ports.js';
import { AgentIdParams, errorResponses } from './route-schemas.js';

/** Most checks one health report may carry. */
const MAX_CHECKS = 200;

/** Registers the ingest routes. */
export const ingestRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext }> = async (app, { ctx }) => {
  const { metadata, series, clock, config } = ctx;
  const settings = { offlineFactor: config.offlineFactor };

  /** Contexts of the named agents; the principal's own context is reused when it is the only one. */
  async function contexts(ids: readonly string[], principal: Principal | null): Promise<Map<string, IngestContext>> {
    if (principal?.kind === 'agent' && ids.length === 1 && ids[0] === principal.agentId) {
      return new Map([[principal.agentId, principal.context]]);
    }
    return metadata.getIngestContexts(ids);
  }

  /** Stores payloads and moves their agents' states; nothing is written when any payload is refused. */
  async function ingest(payloads: readonly AgentMetricsType[], principal: Principal | null, pathOf: (i: number) => string) {
    const ids = [...new Set(payloads.map((p) => p.agent_id))];
    if (principal?.kind === 'agent') {
      const foreign = payloads.map((p, i) => [p, i] as const).filter(([p]) => p.agent_id !== principal.agentId);
      if (foreign.length > 0) {
        throw new AppError(
          'FORBIDDEN',
          403,
          `this api_key may only report metrics for agent ${JSON.stringify(principal.agentId)}`,
          foreign.map(([, i]) => ({ path: `${pathOf(i)}/agent_id`, message: 'not the agent this api_key belongs to' })),
        );
      }
    }
    const known = await contexts(ids, principal);
    const unknown: ErrorDetail[] = [];
    payloads.forEach((p, i) => {
      if (!known.has(p.agent_id)) unknown.push({ path: `${pathOf(i)}/agent_id`, message: `agent ${JSON.stringify(p.agent_id)} is not registered` });
    });
    if (unknown.length > 0) throw new AppError('AGENT_NOT_FOUND', 404, `${unknown.length} payload(s) name an unregistered agent`, unknown);

    const now = clock();
    const observations = new Map<string, Observation[]>();
    const times = payloads.map((p) => payloadTimeMs(p, now));
    payloads.forEach((p, i) => {
      const list = observations.get(p.agent_id) ?? [];
      list.push({ kind: 'metrics', payload: p, tsMs: times[i] as number });
      observations.set(p.agent_id, list);
    });
    const writes: AgentStateWrite[] = [];
    const events: SystemEvent[] = [];
    const scores = new Map<string, number>();
    for (const [id, obs] of observations) {
      const next = observe(known.get(id) as IngestContext, obs, now, settings);
      writes.push(next.write);
      events.push(...next.events);
      scores.set(id, next.score);
    }
    const points: SeriesPoint[] = payloads.map((p, i) =>
      toSeriesPoint(p, known.get(p.agent_id) as IngestContext, times[i] as number, scores.get(p.agent_id) ?? null),
    );
    await series.insert(points);
    await metadata.applyStates(writes, events);
    return {
      accepted: points.length,
      series_points:
        points.reduce((n, p) => n + Object.values(p.values).filter((v) => v !== null && v !== undefined).length + Object.keys(p.custom).length, 0),
      agents: ids.length,
    };
  }

  /** Moves one agent's state for a heartbeat or health report. */
  async function touch(id: string, principal: Principal | null, obs: Observation) {
    const ctxOf = (await contexts([id], principal)).get(id);
    if (!ctxOf) throw agentNotFound(id);
    const next = observe(ctxOf, [obs], clock(), settings);
    return { ctx: ctxOf, next };
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
        response: { 202: IngestReceipt, ...errorResponses, 413: errorResponses[400] },
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
        response: { 202: IngestReceipt, ...errorResponses, 413: errorResponses[400] },
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
      const { next } = await touch(request.params.id, request.principal, { kind: 'heartbeat' });
      await metadata.applyStates([next.write], next.events);
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
      const nowIso = new Date(clock()).toISOString();
      const seenNames = new Map<string, number>();
      const duplicates: ErrorDetail[] = [];
      request.body.forEach((c, i) => {
        if (seenNames.has(c.name)) duplicates.push({ path: `/body/${i}/name`, message: `check ${JSON.stringify(c.name)} appears twice (first at /body/${seenNames.get(c.name)})` });
        seenNames.set(c.name, i);
      });
      if (duplicates.length > 0) throw badRequest('each check may appear once per report', duplicates);
      const checks: HealthCheckType[] = request.body.map((c) => ({
        name: c.name,
        status: c.status,
        message: c.message ?? null,
        timestamp: c.timestamp ? toUtcIso(c.timestamp) : nowIso,
        execution_time_ms: c.execution_time_ms,
      }));
      const { ctx: agent, next } = await touch(id, request.principal, { kind: 'health', checks });
      const previous = { ...((agent.state.snapshot as { reported_checks?: Record<string, boolean> }).reported_checks ?? {}) };
      const failing = checks.filter((c) => !c.status);
      // A check that starts failing is an event; one that keeps failing is not a new one.
      const events = [
        ...next.events,
        ...failing
          .filter((c) => previous[c.name] !== false)
          .map((c) =>
            newEvent('health_check_failed', `health check ${c.name} failed${c.message ? `: ${c.message}` : ''}`, {
              agent_id: id,
              nowMs: clock(),
              severity: 'warning',
              data: { check: c.name, message: c.message, execution_time_ms: c.execution_time_ms },
            }),
          ),
      ];
      await metadata.saveHealthChecks(id, checks);
      await metadata.applyStates([next.write], events);
      return reply.status(202).send({
        accepted: checks.length,
        failing: failing.map((c) => c.name),
        health_score: next.score,
        status: next.write.status ?? agent.status,
      });
    },
  );
};
