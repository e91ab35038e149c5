/** /metrics/query: MetricsQuery in (query string or body), MetricsResponse out. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { MetricsQuery, MetricsQueryString, MetricsResponse, type MetricsQuery as MetricsQueryType } from '@agentmon/schema';
import type { RouteContext } from '../route-context.js';
import { badRequest } from '../errors.js';
import { metricsResponseJson, prepareMetricsQuery } from '../engine/metrics-query.js';
import { errorResponses } from './route-schemas.js';
import { sendBytes } from './send-bytes.js';
import { AnswerTooLargeError, type SeriesQuery } from '../storage/ports.js';

const list = (text: string | undefined) =>
  text === undefined ? null : text.split(',').map((s) => s.trim()).filter((s) => s !== '');

const JSON_TYPE = 'application/json; charset=utf-8';

/** Registers GET and POST /metrics/query. */
export const queryRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext }> = async (app, { ctx }) => {
  /** Merged rows (group_by none) carry no agent: `agents` names the ones with points in the range. */
  async function mergedAgents(series: SeriesQuery): Promise<string[]> {
    if (series.agentIds !== null && series.agentIds.length === 0) return [];
    return [...(await ctx.series.agentsWithPoints(series.agentIds, series.startMs, series.endMs))].sort();
  }

  /** The MetricsResponse as JSON bytes (written row by row: answers run to thousands of rows). */
  async function run(q: MetricsQueryType, part: 'body' | 'query'): Promise<Uint8Array> {
    const prepared = prepareMetricsQuery(q, part, { maxRawValues: ctx.config.queryMaxRawValues, nowMs: ctx.clock() });
    if (!prepared.ok) throw badRequest(`invalid metrics query: ${prepared.details.map((d) => d.path).join(', ')}`, prepared.details);
    const series = prepared.value.series;
    try {
      // The latest values of every agent, from memory when the store keeps them (no row objects).
      const latest = (await ctx.series.queryLatest?.(series)) ?? null;
      if (latest) return metricsResponseJson(latest, prepared.value, null);
      const [rows, merged] = await Promise.all([ctx.series.query(series), series.groupBy === 'none' ? mergedAgents(series) : null]);
      return metricsResponseJson(rows, prepared.value, merged);
    } catch (err) {
      if (!(err instanceof AnswerTooLargeError)) throw err;
      const values = `${err.maxRows * series.metrics.length} values (${err.maxRows} points of ${series.metrics.length} metric(s))`;
      throw badRequest(`the raw answer would hold more than ${values}: set an interval, or narrow the range, the agents or the metrics`, [
        { path: `/${part}/interval`, message: 'set an interval (e.g. 1m) to get buckets instead of every point' },
        { path: `/${part}/start_time`, message: `the range holds more than ${err.maxRows} points of the agents asked` },
      ]);
    }
  }

  app.get(
    '/metrics/query',
    {
      schema: {
        tags: ['metrics'],
        summary: 'Query metrics (lists comma-separated)',
        querystring: MetricsQueryString,
        response: { 200: MetricsResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const body = await run(
        {
          agent_ids: list(q.agent_ids),
          start_time: q.start_time,
          end_time: q.end_time,
          metric_names: list(q.metric_names),
          aggregation: (q.aggregation || null) as MetricsQueryType['aggregation'],
          interval: q.interval || null,
          ...(q.group_by ? { group_by: q.group_by as MetricsQueryType['group_by'] } : {}),
          ...(q.fill ? { fill: q.fill as MetricsQueryType['fill'] } : {}),
        },
        'query',
      );
      return sendBytes(reply, JSON_TYPE, body);
    },
  );

  app.post(
    '/metrics/query',
    {
      // A query in a body is still a read (as Prometheus' POST /api/v1/query): viewer tokens may ask it.
      config: { access: 'read' },
      schema: {
        tags: ['metrics'],
        summary: 'Query metrics (MetricsQuery body)',
        body: MetricsQuery,
        response: { 200: MetricsResponse, ...errorResponses },
      },
    },
    async (request, reply) => sendBytes(reply, JSON_TYPE, await run(request.body, 'body')),
  );
};
