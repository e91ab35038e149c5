/**
 * LLM spend: /usage sums tokens, calls and cost over a range by model, by agent or both;
 * /prices is the table tokens are priced with; /budgets the spend limits that alert.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BudgetCreate, BudgetList, BudgetStatus, ErrorBody, ModelPrice, PriceDeleteQuery, PriceTable, PriceView, UsageQuery, UsageReport, type Budget } from '@agentmon/schema';
import type { RouteContext } from '../route-context.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { uuidv7 } from '../engine/ids.js';
import { parseTimeExpression, TIME_EXPRESSION_FORMS } from '../engine/time-expression.js';
import { usageReport } from '../services/spend.js';
import { MAX_BUDGETS, addBudget, removeBudget } from '../usage/budget-store.js';
import type { PriceService } from '../usage/price-service.js';
import { resolveAgentRef } from './agent-ref.js';
import { errorResponses } from './route-schemas.js';

const BudgetIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255, description: 'Budget id' }) });

/** Registers the usage, prices and budgets routes. */
export const usageRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext; prices: PriceService }> = async (app, { ctx, prices }) => {
  const { metadata, series, clock, monitor } = ctx;

  /** Brings budget alerts in line now, not at the next sweep; a failure is logged (the sweep retries). */
  const reevaluate = async () => {
    try {
      await monitor.evaluateBudgets();
    } catch (err) {
      app.log.error({ err }, 'spend budgets could not be evaluated; the sweeper tries again');
    }
  };

  app.get(
    '/usage',
    {
      schema: {
        tags: ['usage'],
        summary: 'Tokens, model calls and spend over a range, by model, by agent, or by agent and model',
        querystring: UsageQuery,
        response: { 200: UsageReport, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const now = clock();
      const start = parseTimeExpression(q.start_time, now);
      const end = q.end_time === undefined ? now : parseTimeExpression(q.end_time, now);
      const details = [];
      if (start === undefined) details.push({ path: '/querystring/start_time', message: `must be ${TIME_EXPRESSION_FORMS}` });
      if (end === undefined) details.push({ path: '/querystring/end_time', message: `must be ${TIME_EXPRESSION_FORMS}` });
      if (start !== undefined && end !== undefined && end < start) details.push({ path: '/querystring/end_time', message: 'must not be before start_time' });
      if (details.length > 0) throw badRequest('invalid usage query', details);
      let agents = await metadata.listIngestContexts();
      if (q.environment !== undefined) agents = agents.filter((a) => a.environment === q.environment);
      if (q.agent !== undefined) {
        const { agent } = await resolveAgentRef(metadata, q.agent, '/querystring/agent', q.environment);
        agents = agents.filter((a) => a.id === agent.id);
      }
      return usageReport(series, prices.current(), {
        startMs: start as number,
        endMs: end as number,
        groupBy: q.group_by ?? 'model',
        agents,
        model: q.model ?? null,
      });
    },
  );

  app.get(
    '/prices',
    {
      schema: {
        tags: ['usage'],
        summary: 'The price table: shipped defaults, the prices file, and prices set here (each model its latest layer)',
        response: { 200: PriceTable, ...errorResponses },
      },
    },
    async () => ({ prices: prices.current().table() }),
  );

  app.put(
    '/prices',
    {
      schema: {
        tags: ['usage'],
        summary: "Set a model's price (USD per million tokens); it prices payloads from now on, never past spend",
        body: ModelPrice,
        response: { 200: PriceView, ...errorResponses },
      },
    },
    async (request) => {
      if (request.body.model.trim() === '') throw badRequest('invalid price', [{ path: '/body/model', message: 'must not be blank' }]);
      return prices.set(request.body);
    },
  );

  app.delete(
    '/prices',
    {
      schema: {
        tags: ['usage'],
        summary: 'Drop a price set through the API (the file or default price of the model applies again)',
        querystring: PriceDeleteQuery,
        response: { 204: Type.Null({ description: 'Removed' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!(await prices.remove(request.query.model))) throw notFound('price set through the API', '/querystring/model');
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/budgets',
    {
      schema: {
        tags: ['usage'],
        summary: 'Spend budgets with what was spent in the current period',
        response: { 200: BudgetList, ...errorResponses },
      },
    },
    async () => ({ budgets: (await monitor.budgetStandings()).map((s) => s.status) }),
  );

  app.post(
    '/budgets',
    {
      schema: {
        tags: ['usage'],
        summary: 'Add a daily or monthly spend limit for an agent, an environment or the fleet (alerts at the warning ratio and at the limit)',
        body: BudgetCreate,
        response: { 201: BudgetStatus, 409: ErrorBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const name = b.name.trim();
      if (name === '') throw badRequest('invalid budget', [{ path: '/body/name', message: 'must not be blank' }]);
      if (b.agent_id !== undefined && b.environment !== undefined) {
        throw badRequest('invalid budget', [{ path: '/body/environment', message: 'a budget covers an agent or an environment, not both' }]);
      }
      const agentId = b.agent_id === undefined ? null : (await resolveAgentRef(metadata, b.agent_id, '/body/agent_id')).agent.id;
      const budget: Budget = {
        id: uuidv7(clock()),
        name,
        period: b.period,
        limit_usd: b.limit_usd,
        warning_ratio: b.warning_ratio ?? 0.8,
        agent_id: agentId,
        environment: b.environment ?? null,
        created_at: new Date(clock()).toISOString(),
      };
      if (!(await addBudget(metadata, budget))) {
        throw new AppError('TOO_MANY_BUDGETS', `at most ${MAX_BUDGETS} budgets are kept; remove one first`, [{ path: '/body', message: 'one budget too many' }]);
      }
      await reevaluate();
      const standing = (await monitor.budgetStandings()).find((s) => s.status.id === budget.id);
      // Removed by another request in between: what was added, as nothing spent against it yet.
      const status = standing?.status ?? { ...budget, period_start: budget.created_at, spent_usd: 0, ratio: 0, state: 'ok' as const };
      return reply.status(201).send(status);
    },
  );

  app.delete(
    '/budgets/:id',
    {
      schema: {
        tags: ['usage'],
        summary: 'Remove a budget (its alert resolves)',
        params: BudgetIdParams,
        response: { 204: Type.Null({ description: 'Removed' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!(await removeBudget(metadata, request.params.id))) throw notFound('budget', '/params/id');
      await reevaluate();
      return reply.status(204).send(null);
    },
  );
};
