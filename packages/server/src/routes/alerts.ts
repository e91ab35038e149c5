/** /alerts: alert history with filters and pages. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Alert, AlertListQuery, Page, toUtcIso } from '@agentmon/schema';
import type { RouteContext } from '../app.js';
import { errorResponses } from './route-schemas.js';

/** Registers GET /alerts. */
export const alertRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext }> = async (app, { ctx }) => {
  app.get(
    '/alerts',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Alerts, newest first; filters active, severity, agent_id, since, until; paged',
        querystring: AlertListQuery,
        response: { 200: Page(Type.Required(Alert)), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const page = q.page ?? 1;
      const pageSize = q.page_size ?? 50;
      const { items, total } = await ctx.metadata.listAlerts({
        ...(q.agent_id ? { agent_id: q.agent_id } : {}),
        ...(q.active !== undefined ? { active: q.active } : {}),
        ...(q.severity ? { severity: q.severity } : {}),
        ...(q.since ? { since: toUtcIso(q.since) } : {}),
        ...(q.until ? { until: toUtcIso(q.until) } : {}),
        offset: (page - 1) * pageSize,
        limit: pageSize,
      });
      return { items, total, page, page_size: pageSize };
    },
  );
};
