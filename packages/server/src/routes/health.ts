/** Health: an agent's HealthResponse, and the server's own liveness and readiness probes. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HealthDetail, Readiness } from '@agentmon/schema';
import type { RouteContext } from '../route-context.js';
import { agentNotFound } from '../errors.js';
import { readSnapshot } from '../engine/ingest.js';
import type { DataDirWatch } from '../storage/data-dir.js';
import { AgentIdParams, errorResponses } from './route-schemas.js';

/** How many of an agent's latest alerts HealthResponse.recent_alerts shows. */
const RECENT_ALERTS = 10;

/** Registers GET /agents/:id/health. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext }> = async (app, { ctx }) => {
  const { metadata } = ctx;
  app.get(
    '/agents/:id/health',
    {
      config: { access: 'agent' },
      schema: {
        tags: ['health'],
        summary: "An agent's HealthResponse: status, score (with its parts), checks, recent alerts",
        params: AgentIdParams,
        response: { 200: HealthDetail, ...errorResponses },
      },
    },
    async (request) => {
      const { id } = request.params;
      const agent = await metadata.getAgent(id);
      if (!agent) throw agentNotFound(id);
      const [checks, alerts] = await Promise.all([
        metadata.getHealthChecks(id),
        metadata.listAlerts({ agent_id: id, offset: 0, limit: RECENT_ALERTS }),
      ]);
      const { state } = agent;
      const times = [state.last_metrics_at, state.last_heartbeat_at, state.last_health_at].filter((t): t is string => t !== null);
      return {
        agent_id: id,
        status: agent.status,
        health_score: state.health_score,
        last_updated: times.length > 0 ? times.sort().at(-1) as string : agent.registered_at,
        checks,
        recent_alerts: alerts.items,
        status_reason: state.status_reason,
        health_components: readSnapshot(state).components,
        last_heartbeat: state.last_heartbeat_at,
        last_metrics: state.last_metrics_at,
      };
    },
  );
};

/**
 * Registers /healthz (the process is up) and /readyz (the stores answer and, for the embedded
 * stores, the data dir is there, the same, and takes writes).
 */
export const probeRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext; dataDir: DataDirWatch | null }> = async (app, { ctx, dataDir }) => {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: { tags: ['probes'], summary: 'Liveness', security: [], response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      config: { access: 'public' },
      schema: {
        tags: ['probes'],
        summary: 'Readiness: both stores answer, and the data dir (embedded stores) is present and takes a write',
        security: [],
        response: {
          200: Readiness,
          503: Readiness,
        },
      },
    },
    async (request, reply) => {
      const check = async (name: string, ping: () => Promise<void> | void) => {
        try {
          await ping();
          return 'ok';
        } catch (err) {
          request.log.error({ err, store: name }, `${name} is not ready`);
          return `error: ${(err as Error).message}`;
        }
      };
      const stores = {
        metadata: await check('metadata', () => ctx.metadata.ping()),
        series: await check('series', () => ctx.series.ping()),
      };
      const dir = dataDir ? { data_dir: await check('data dir', () => dataDir.assertWritable()) } : {};
      const ready = stores.metadata === 'ok' && stores.series === 'ok' && (dir.data_dir ?? 'ok') === 'ok';
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', stores, ...dir });
    },
  );
};
