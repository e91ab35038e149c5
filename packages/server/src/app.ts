/**
 * buildApp(config, deps): the Fastify application with every plugin registered. It never listens,
 * so tests call `app.inject()`; main.ts listens.
 */
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv, type Options as AjvOptions } from 'ajv';
import addFormats from 'ajv-formats';
import { isDateTime } from '@agentmon/schema';
import type { ServerConfig } from './config.js';
import { installAuth } from './auth.js';
import { installErrorHandling } from './errors.js';
import { installQueryParamCheck } from './query-params.js';
import type { Broadcaster, MetadataStore, SeriesStore } from './storage/ports.js';
import { agentRoutes } from './routes/agents.js';
import { ingestRoutes } from './routes/ingest.js';
import { healthRoutes, probeRoutes } from './routes/health.js';
import { queryRoutes } from './routes/query.js';
import { configRoutes } from './routes/config.js';
import { eventRoutes } from './routes/events.js';
import { alertRoutes } from './routes/alerts.js';
import { Monitor } from './engine/monitor.js';
import { LiveBus } from './live/bus.js';
import { streamRoutes } from './routes/stream.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { webRoutes } from './routes/web.js';
import { prometheusRoutes } from './routes/prometheus.js';
import { otlpRoutes } from './routes/otlp.js';
import { failedSpanRoutes } from './routes/failed-spans.js';
import { OtlpReceiver } from './otlp/receiver.js';

/** agentmon's version, shown in the API docs and the dashboard. */
export const VERSION = '0.1.0';
import { Sweeper } from './engine/sweeper.js';
import type { AlertTransition } from './engine/alerts.js';
import { Notifier } from './notify/notifier.js';
import { notificationRoutes } from './routes/notifications.js';

/** Something that wants to hear about fired, escalated and resolved alerts. */
export type AlertListenerFn = (transitions: readonly AlertTransition[]) => void;

declare module 'fastify' {
  interface FastifyInstance {
    /** The engine driver: the sweeper and tests call it directly. */
    monitor: Monitor;
    /** The periodic work; main.ts starts it, tests tick it by hand. */
    sweeper: Sweeper;
    /** Listeners of alert transitions (notifications, live stream); each must not throw. */
    alertListeners: AlertListenerFn[];
    /** Delivers alert notifications; the sweeper calls its repeat(), tests reach it here. */
    notifier: Notifier;
  }
}

/** What the app runs against. */
export interface AppDeps {
  metadata: MetadataStore;
  series: SeriesStore;
  adminToken: string;
  /** Fan-out to other instances on the same store (PostgreSQL); none for SQLite. */
  broadcaster?: Broadcaster | null;
  /** Which stores these are, for the dashboard's system figures. */
  storageKind?: 'sqlite' | 'postgres';
  /** Milliseconds since the epoch; tests pass a fake clock. */
  clock?: () => number;
  /** Logger options or false (tests). Default: pino at config.logLevel with tokens redacted. */
  logger?: FastifyServerOptions['logger'];
  /** Notification delivery; default: one built from the config (closed with the app). */
  notifier?: Notifier;
}

/** What every route plugin receives. */
export interface RouteContext {
  config: ServerConfig;
  metadata: MetadataStore;
  series: SeriesStore;
  clock: () => number;
  /** Drives agents through the engine: every ingest route goes through it. */
  monitor: Monitor;
  /** The live stream's bus: routes that write events outside the monitor publish them here. */
  live: LiveBus;
}

/** The app type routes are written against (TypeBox-typed requests). */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** Paths the logs never show in full. */
const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'req.query.token'];

function validator(options: AjvOptions): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, removeAdditional: false, ...options });
  addFormats.default(ajv);
  // Offsets are optional: a naive timestamp (Python's utcnow().isoformat()) is UTC.
  ajv.addFormat('date-time', { type: 'string', validate: isDateTime });
  return ajv;
}

/** Builds the app; call `ready()` or `inject()` on it, or `listen()` in main.ts. */
export async function buildApp(config: ServerConfig, deps: AppDeps): Promise<App> {
  const app = Fastify({
    logger: deps.logger ?? { level: config.logLevel, redact: { paths: REDACT, censor: '[redacted]' } },
    bodyLimit: config.bodyLimitBytes,
    // Query strings may repeat a key or use commas; routes split lists themselves.
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  // Bodies are JSON and validated strictly (a "5" is not a number); query strings and path
  // parameters arrive as text and are coerced.
  const bodyAjv = validator({ coerceTypes: false });
  const textAjv = validator({ coerceTypes: 'array' });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : textAjv).compile(schema));
  // Responses are plain JSON.stringify: schemas document them, they never silently drop a field.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  // An empty body with Content-Type: application/json (heartbeats from some clients) is no body.
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, text, done) => {
    if (typeof text === 'string' && text.trim() === '') return done(null, undefined);
    jsonParser(request, text as string, done);
  });

  installErrorHandling(app as unknown as FastifyInstance);
  installQueryParamCheck(app as unknown as FastifyInstance);
  installAuth(app as unknown as FastifyInstance, {
    adminToken: deps.adminToken,
    registrationToken: config.registrationToken,
    scrapeToken: config.scrapeToken,
    metadata: deps.metadata,
    clock: deps.clock ?? Date.now,
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'agentmon',
        version: VERSION,
        description: 'Monitoring server for fleets of AI agents. Every /api/v1 route takes `Authorization: Bearer <token>`.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'admin token, registration token, or an agent api_key' } },
      },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.decorate('alertListeners', [] as AlertListenerFn[]);
  const clock = deps.clock ?? Date.now;
  const live = new LiveBus();
  if (deps.broadcaster) {
    const broadcaster = deps.broadcaster;
    let stopListening: (() => Promise<void>) | null = null;
    app.addHook('onReady', async () => {
      stopListening = await live.attach(broadcaster, (err) => app.log.error({ err }, 'live fan-out between instances failed'));
    });
    app.addHook('onClose', async () => {
      await stopListening?.();
    });
  }
  app.alertListeners.push((transitions) => transitions.forEach((t) => live.publish('alert', t)));
  const monitor = new Monitor({
    metadata: deps.metadata,
    series: deps.series,
    clock,
    settings: { offlineFactor: config.offlineFactor },
    listener: {
      alerts: (transitions) => app.alertListeners.forEach((l) => l(transitions)),
      events: (events) => events.forEach((e) => live.publish('system_event', e)),
      states: (changes) => changes.forEach((c) => live.publish('status', c)),
      metrics: (ticks) =>
        ticks.forEach((t) =>
          live.publish('metrics', { agent_id: t.agent_id, timestamp: t.timestamp, health_score: t.health_score, status: t.status, ...t.values }),
        ),
    },
  });
  app.decorate('monitor', monitor);
  const notifier =
    deps.notifier ??
    new Notifier({
      metadata: deps.metadata,
      clock,
      groupWaitMs: config.notifyGroupWaitMs,
      repeatIntervalMs: config.notifyRepeatIntervalMs,
      maxAttempts: config.notifyMaxAttempts,
      retryBaseMs: config.notifyRetryBaseMs,
      staticTargets: [
        ...config.webhookUrls.map((url) => ({ kind: 'webhook' as const, url })),
        ...config.slackWebhookUrls.map((url) => ({ kind: 'slack' as const, url })),
        ...config.alertmanagerUrls.map((url) => ({ kind: 'alertmanager' as const, url })),
      ],
      log: app.log,
    });
  app.decorate('notifier', notifier);
  app.alertListeners.push((transitions) => notifier.alerts(transitions));
  // A notifier passed in belongs to the caller; the one made here flushes and stops with the app.
  if (!deps.notifier) app.addHook('onClose', () => notifier.close());
  app.decorate(
    'sweeper',
    new Sweeper({
      monitor,
      metadata: deps.metadata,
      series: deps.series,
      clock,
      log: app.log,
      intervalMs: config.sweepIntervalMs,
      retentionIntervalMs: config.retentionIntervalMs,
      repeat: () => notifier.repeat(),
    }),
  );
  app.addHook('onClose', async () => {
    await app.sweeper.stop();
  });
  const ctx: RouteContext = { config, metadata: deps.metadata, series: deps.series, clock, monitor, live };
  await app.register(probeRoutes, { ctx });
  await app.register(prometheusRoutes, { ctx, version: VERSION });
  const otlp = new OtlpReceiver({
    metadata: deps.metadata,
    monitor,
    clock,
    onRegistered: (event) => live.publish('system_event', event),
  });
  await app.register(otlpRoutes, { ctx, receiver: otlp });
  await app.register(
    async (api) => {
      await api.register(agentRoutes, { ctx });
      await api.register(ingestRoutes, { ctx });
      await api.register(healthRoutes, { ctx });
      await api.register(queryRoutes, { ctx });
      await api.register(configRoutes, { ctx });
      await api.register(eventRoutes, { ctx });
      await api.register(alertRoutes, { ctx });
      await api.register(failedSpanRoutes, { ctx, failedSpans: otlp.failedSpans });
      await api.register(notificationRoutes, { ctx, notifier });
      await api.register(streamRoutes, { ctx, live, adminToken: deps.adminToken });
      await api.register(dashboardRoutes, { ctx, live, version: VERSION, kind: deps.storageKind ?? 'sqlite' });
    },
    { prefix: '/api/v1' },
  );
  await app.register(webRoutes, { dir: config.dashboardDir });
  return app;
}
