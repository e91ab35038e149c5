/** /alerts: alert history with filters and pages; acknowledge and resolve by hand. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AlertAck, AlertDetail, AlertListQuery, Page, toUtcIso } from '@agentmon/schema';
import type { RouteContext } from '../route-context.js';
import { notFound } from '../errors.js';
import { resolveAgentRef } from './agent-ref.js';
import { errorResponses } from './route-schemas.js';

const AlertIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255, description: 'Alert id' }) });

/** Registers the /alerts routes. */
export const alertRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext }> = async (app, { ctx }) => {
  const { metadata, monitor } = ctx;

  app.get(
    '/alerts',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Alerts, newest first (or sort=severity); filters active, acknowledged, severity, agent_id or agent (id, prefix or name), since, until (on created_at); paged',
        querystring: AlertListQuery,
        response: { 200: Page(AlertDetail), ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (request) => {
      const q = request.query;
      // `agent` (an id, prefix or name) narrows to one agent, as agent_id does; both must agree.
      const agentId = q.agent ? (await resolveAgentRef(metadata, q.agent, '/querystring/agent')).agent.id : q.agent_id;
      const page = q.page ?? 1;
      const pageSize = q.page_size ?? 50;
      if (q.agent && q.agent_id && agentId !== q.agent_id) return { items: [], total: 0, page, page_size: pageSize };
      const { items, total } = await metadata.listAlerts({
        ...(agentId ? { agent_id: agentId } : {}),
        ...(q.active !== undefined ? { active: q.active } : {}),
        ...(q.acknowledged !== undefined ? { acknowledged: q.acknowledged } : {}),
        ...(q.sort ? { sort: q.sort } : {}),
        ...(q.severity ? { severity: q.severity } : {}),
        ...(q.since ? { since: toUtcIso(q.since) } : {}),
        ...(q.until ? { until: toUtcIso(q.until) } : {}),
        offset: (page - 1) * pageSize,
        limit: pageSize,
      });
      return { items, total, page, page_size: pageSize };
    },
  );

  app.get(
    '/alerts/:id',
    { schema: { tags: ['alerts'], summary: 'One alert', params: AlertIdParams, response: { 200: AlertDetail, ...errorResponses } } },
    async (request) => {
      const alert = await metadata.getAlert(request.params.id);
      if (!alert) throw notFound('alert', '/params/id');
      return alert;
    },
  );

  app.post(
    '/alerts/:id/ack',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Acknowledge: stops repeated notifications; the alert still resolves by itself',
        params: AlertIdParams,
        body: AlertAck,
        response: { 200: AlertDetail, ...errorResponses },
      },
    },
    async (request) => {
      const alert = await monitor.acknowledge(request.params.id, request.body.by, request.body.comment ?? null);
      if (!alert) throw notFound('alert', '/params/id');
      return alert;
    },
  );

  app.post(
    '/alerts/:id/resolve',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Resolve by hand (idempotent); if the condition still holds, a new alert fires on the next evaluation',
        params: AlertIdParams,
        response: { 200: AlertDetail, ...errorResponses },
      },
    },
    async (request) => {
      const alert = await monitor.resolveByHand(request.params.id);
      if (!alert) throw notFound('alert', '/params/id');
      return alert;
    },
  );
};
