/**
 * /notifications: where alert notifications go. Targets made here are stored; targets from the
 * server config (webhookUrls, slackWebhookUrls, alertmanagerUrls) are listed too, read-only, with their URL masked
 * because the config is where their secret lives.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, NotificationTargetCreate, NotificationTargetView, NotificationTestResult } from '@agentmon/schema';
import type { RouteContext } from '../route-context.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { ALERTMANAGER_PATH, isAlertmanagerUrl } from '../config.js';
import { uuidv7 } from '../engine/ids.js';
import type { Notifier } from '../notify/notifier.js';
import { TargetRefused } from '../notify/egress.js';
import type { NotificationTarget } from '../storage/ports.js';
import { errorResponses } from './route-schemas.js';

const TargetIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255, description: 'Notification target id' }) });

type View = NotificationTargetView;

const stored = (t: NotificationTarget): View => ({ ...t, source: 'api' });

/** The origin of a URL and a marker, so a person recognises the target without seeing its secret. */
function masked(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '…';
  }
}

/** Registers the /notifications routes. */
export const notificationRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext; notifier: Notifier }> = async (app, { ctx, notifier }) => {
  const { metadata, clock } = ctx;
  const configViews = (): View[] =>
    notifier.configTargets.map((t) => ({ ...t, url: masked(t.url), enabled: true, source: 'config', created_at: null }));
  const configTarget = (id: string) => notifier.configTargets.find((t) => t.id === id);

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
    async (request, reply) => {
      const { kind, url, enabled } = request.body;
      const name = request.body.name.trim();
      if (name === '') throw badRequest('invalid notification target', [{ path: '/body/name', message: 'must not be blank' }]);
      let protocol: string;
      try {
        protocol = new URL(url).protocol;
      } catch {
        throw badRequest('invalid notification target', [{ path: '/body/url', message: 'must be an absolute http(s) URL' }]);
      }
      if (protocol !== 'http:' && protocol !== 'https:') {
        throw badRequest('invalid notification target', [{ path: '/body/url', message: 'must use http or https' }]);
      }
      if (kind === 'alertmanager' && !isAlertmanagerUrl(url)) {
        throw badRequest('invalid notification target', [
          { path: '/body/url', message: `must be Alertmanager's alerts endpoint, ending with ${ALERTMANAGER_PATH} (e.g. http://alertmanager:9093${ALERTMANAGER_PATH})` },
        ]);
      }
      try {
        await notifier.assertTarget(url);
      } catch (err) {
        if (!(err instanceof TargetRefused)) throw err;
        throw badRequest('invalid notification target', [{ path: '/body/url', message: err.message }]);
      }
      const target: NotificationTarget = {
        id: uuidv7(clock()),
        name,
        kind,
        url,
        enabled: enabled ?? true,
        created_at: new Date(clock()).toISOString(),
      };
      await metadata.insertNotificationTarget(target);
      return reply.status(201).send(stored(target));
    },
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
    async () => ({ items: [...configViews(), ...(await metadata.listNotificationTargets()).map(stored)] }),
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
      const { id } = request.params;
      if (configTarget(id)) {
        throw new AppError('NOTIFICATION_TARGET_READ_ONLY', `notification target ${id} comes from the server config; remove it there`, [
          { path: '/params/id', message: 'is a config target' },
        ]);
      }
      if (!(await metadata.deleteNotificationTarget(id))) throw notFound('notification target', '/params/id');
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
    async (request) => {
      const { id } = request.params;
      const target = configTarget(id) ?? (await metadata.getNotificationTarget(id));
      if (!target) throw notFound('notification target', '/params/id');
      const result = await notifier.sendTest(target);
      return { ok: result.ok, status: result.status, error: result.error ?? null };
    },
  );
};
