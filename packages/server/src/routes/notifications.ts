/**
 * /notifications: where alert notifications go. Targets made here are stored; targets from the
 * server config (webhookUrls, slackWebhookUrls, alertmanagerUrls) are listed too, read-only, with their URL masked
 * because the config is where their secret lives.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, NotificationTargetCreate, NotificationTargetView, NotificationTestResult } from '@agentmon/schema';
import type { RouteContext } from '../route-context.js';
import type { Notifier } from '../notify/notifier.js';
import { NotificationTargetService } from '../services/notification-targets.js';
import { errorResponses } from './route-schemas.js';

const TargetIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255, description: 'Notification target id' }) });

/** Registers the /notifications routes. */
export const notificationRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext; notifier: Notifier }> = async (app, { ctx, notifier }) => {
  const targets = new NotificationTargetService({ store: ctx.metadata, notifier, clock: ctx.clock });

  app.post(
    '/notifications',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Add a notification target (webhook, Slack or Alertmanager)',
        body: NotificationTargetCreate,
        response: { 201: NotificationTargetView, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await targets.add(request.body)),
  );

  app.get(
    '/notifications',
    {
      // Target URLs carry their receivers' secrets: not for viewer tokens.
      config: { secret: true },
      schema: {
        tags: ['notifications'],
        summary: 'Notification targets: those from the server config, then those made through the API',
        response: { 200: Type.Object({ items: Type.Array(NotificationTargetView) }), ...errorResponses },
      },
    },
    async () => ({ items: await targets.list() }),
  );

  app.delete(
    '/notifications/:id',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Remove a notification target made through the API',
        params: TargetIdParams,
        response: { 204: Type.Null({ description: 'Removed' }), 409: ErrorBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      await targets.remove(request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/notifications/:id/test',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Send a test message to a target now (one attempt, disabled targets too)',
        params: TargetIdParams,
        response: { 200: NotificationTestResult, ...errorResponses },
      },
    },
    async (request) => targets.test(request.params.id),
  );
};
