/**
 * buildApp(config, deps): the Fastify application with every plugin registered. It never listens,
 * so tests call `app.inject()`; main.ts listens.
 */
import Fastify, {
  LogController,
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
import { requestForLog } from './log-redact.js';
import { installRateLimits } from './rate-limit.js';
import { badRequest, clientError, installErrorHandling, routerError, storeUnavailable } from './errors.js';
import { checkJsonBody, checkUrlParts } from './input-guard.js';
import { parseLargeArray } from './json-body.js';
import type { DataDirWatch } from './storage/data-dir.js';
import { installQueryParamCheck } from './query-params.js';
import type { Broadcaster, MetadataStore, SeriesStore } from './storage/ports.js';
import { agentRoutes } from './routes/agents.js';
import { ingestRoutes } from './routes/ingest.js';
import { healthRoutes, probeRoutes } from './routes/health.js';
import { queryRoutes } from './routes/query.js';
import { configRoutes } from './routes/config.js';
import { eventRoutes } from './routes/events.js';
import { alertRoutes } from './routes/alerts.js';
import { Monitor } from './services/monitor.js';
import { LiveBus } from './live/bus.js';
import { streamRoutes } from './routes/stream.js';
import { whoamiRoutes } from './routes/whoami.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { webRoutes } from './routes/web.js';
import { prometheusRoutes } from './routes/prometheus.js';
import { HttpMetrics } from './prometheus/http-metrics.js';
import { otlpRoutes } from './routes/otlp.js';
import { failedSpanRoutes } from './routes/failed-spans.js';
import { OtlpReceiver } from './otlp/receiver.js';

/** agentmon's version, shown in the API docs and the dashboard. */
export const VERSION = '0.1.0';
import { Sweeper } from './services/sweeper.js';
import { MemoryReducer } from './memory-reducer.js';
import { Notifier } from './notify/notifier.js';
import { notificationRoutes } from './routes/notifications.js';
import { usageRoutes } from './routes/usage.js';
import { PriceService } from './usage/price-service.js';
export type { RouteContext } from './route-context.js';
import type { RouteContext } from './route-context.js';
import { AgentService } from './services/agents.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The engine driver: the sweeper and tests call it directly. */
    monitor: Monitor;
    /** The periodic work; main.ts starts it, tests tick it by hand. */
    sweeper: Sweeper;
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
  /** The data dir the embedded stores write into: readiness checks it, writes are refused once it is gone. */
  dataDir?: DataDirWatch | null;
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

/** The logger: config's level unless given, secrets redacted from headers and cut out of URLs either way. */
function loggerOptions(config: ServerConfig, given: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  const safe = { redact: { paths: REDACT, censor: '[redacted]' }, serializers: { req: requestForLog } };
  if (given === undefined) return { level: config.logLevel, ...safe };
  if (typeof given !== 'object' || given === null) return given;
  return { ...given, ...safe, serializers: { ...safe.serializers, ...(given.serializers ?? {}) } };
}

/**
 * The request log: every request and its response at debug, and at info the line of a response
 * with status 400 or above, so that an operator sees refused payloads and failures without a line
 * for every healthy one. At info, two lines per request cost 12 % of single-payload ingest in
 * `npm run bench` (3,758-3,824 payloads/s against 4,260-4,341), written to a file; more to a terminal.
 */
function installRequestLog(app: FastifyInstance): void {
  // The level is fixed for the app's life: below debug, the arrival hook would only call a no-op.
  const debug = app.log.level === 'debug' || app.log.level === 'trace';
  if (debug) {
    app.addHook('onRequest', (request, _reply, done) => {
      request.log.debug({ req: request }, 'incoming request');
      done();
    });
  }
  app.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode >= 400) request.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    else if (debug) request.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
    done();
  });
}

/** Builds the app; call `ready()` or `inject()` on it, or `listen()` in main.ts. */
export async function buildApp(config: ServerConfig, deps: AppDeps): Promise<App> {
  const app = Fastify({
    logger: loggerOptions(config, deps.logger),
    bodyLimit: config.bodyLimitBytes,
    // Query strings may repeat a key or use commas; routes split lists themselves. A path parameter
    // takes any id registration takes (255 characters, up to three times that percent-encoded; the router's default stops at 100, a 414).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    frameworkErrors: routerError,
    clientErrorHandler: clientError,
    // Fastify logs two lines per request at info; the hooks below log them at debug, and a refused
    // or failed request's line at info (installRequestLog).
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;
  installRequestLog(app as unknown as FastifyInstance);

  // Bodies are JSON and validated strictly (a "5" is not a number); query strings and path
  // parameters arrive as text and are coerced.
  const bodyAjv = validator({ coerceTypes: false });
  const textAjv = validator({ coerceTypes: 'array' });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : textAjv).compile(schema));
  // Responses are plain JSON.stringify: schemas document them, they never silently drop a field.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  // An empty body with Content-Type: application/json (heartbeats from some clients) is no body.
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  // A large batch is parsed in pieces (json-body.ts); anything else, or a piece that is not JSON,
  // takes the ordinary parser over the whole text.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, raw, done) => {
    /** Hands on a parsed body the input guard takes (`text` as for checkJsonBody). */
    const guarded = (body: unknown, text: string | null) => {
      const problem = checkJsonBody(body, text);
      if (problem) return done(badRequest(`invalid request body: ${problem.path} ${problem.message}`, [problem]));
      done(null, body);
    };
    const pieces = parseLargeArray(raw as Buffer);
    if (pieces !== undefined) return guarded(pieces, null);
    const text = (raw as Buffer).toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    jsonParser(request, text, (err, body) => (err ? done(err) : guarded(body, text)));
  });
  // A NUL in the path or the query (`%00`) is refused before any route or store sees it.
  app.addHook('preValidation', async (request) => {
    if (!request.url.includes('%00') && !request.url.includes('\u0000')) return;
    const problem = checkUrlParts(request.params, request.query);
    if (problem) throw badRequest(`invalid request ${problem.path.split('/')[1]}: ${problem.path} ${problem.message}`, [problem]);
  });

  installErrorHandling(app as unknown as FastifyInstance);
  installQueryParamCheck(app as unknown as FastifyInstance);
  const httpMetrics = new HttpMetrics();
  httpMetrics.install(app as unknown as FastifyInstance);
  installAuth(app as unknown as FastifyInstance, {
    adminToken: deps.adminToken,
    registrationToken: config.registrationToken,
    viewerTokens: config.viewerTokens,
    scrapeToken: config.scrapeToken,
    metadata: deps.metadata,
    clock: deps.clock ?? Date.now,
  });

  installRateLimits(app as unknown as FastifyInstance, { agentPerSecond: config.rateLimitAgentPerSecond, registrationPerSecond: config.rateLimitRegistrationPerSecond });

  // A write into a deleted data dir would be acknowledged and lost on restart: refuse it instead.
  const dataDir = deps.dataDir ?? null;
  if (dataDir) {
    app.addHook('onRequest', async (request) => {
      if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
      try {
        dataDir.assertPresent();
      } catch (err) {
        request.log.error({ err }, 'refused: the data dir is gone');
        throw storeUnavailable((err as Error).message);
      }
    });
  }

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

  const clock = deps.clock ?? Date.now;
  const live = new LiveBus();
  if (deps.broadcaster) {
    const broadcaster = deps.broadcaster;
    let stopListening: (() => Promise<void>) | null = null;
    app.addHook('onReady', async () => {
      stopListening = await live.attach(broadcaster, {
        error: (err) => app.log.error({ err }, 'live fan-out between instances failed; listening again with backoff'),
        reconnected: () => app.log.warn('live fan-out between instances listening again; stream clients are told to resync'),
      });
    });
    app.addHook('onClose', async () => {
      await stopListening?.();
    });
  }
  const prices = new PriceService({
    metadata: deps.metadata,
    filePrices: config.prices,
    clock,
    onError: (err) => app.log.error({ err }, 'prices set through the API could not be re-read; the table in use stays'),
  });
  app.addHook('onReady', async () => {
    await prices.load();
    prices.start();
  });
  app.addHook('onClose', async () => prices.stop());
  const notifier =
    deps.notifier ??
    new Notifier({
      metadata: deps.metadata,
      clock,
      groupWaitMs: config.notifyGroupWaitMs,
      repeatIntervalMs: config.notifyRepeatIntervalMs,
      maxAttempts: config.notifyMaxAttempts,
      retryBaseMs: config.notifyRetryBaseMs,
      allowedTargets: config.notifyAllowedTargets,
      staticTargets: [
        ...config.webhookUrls.map((url) => ({ kind: 'webhook' as const, url })),
        ...config.slackWebhookUrls.map((url) => ({ kind: 'slack' as const, url })),
        ...config.alertmanagerUrls.map((url) => ({ kind: 'alertmanager' as const, url })),
      ],
      log: app.log,
    });
  app.decorate('notifier', notifier);
  const monitor = new Monitor({
    prices: () => prices.current(),
    metadata: deps.metadata,
    series: deps.series,
    clock,
    settings: { offlineFactor: config.offlineFactor, maxFutureMs: config.ingestMaxFutureMs },
    listener: {
      // Alert transitions go to the live stream and to the notifier (which never throws).
      alerts: (transitions) => {
        for (const t of transitions) live.publish('alert', t);
        notifier.alerts(transitions);
      },
      events: (events) => events.forEach((e) => live.publish('system_event', e)),
      states: (changes) => changes.forEach((c) => live.publish('status', c)),
      metrics: (ticks) => ticks.forEach((t) => live.publish('metrics', t)),
    },
  });
  app.decorate('monitor', monitor);
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
  const memory = new MemoryReducer({ idleMs: config.idleCollectMs });
  app.addHook('onReady', async () => memory.start());
  app.addHook('onClose', async () => memory.stop());
  const agents = new AgentService({ metadata: deps.metadata, series: deps.series, monitor, live, clock, offlineFactor: config.offlineFactor });
  const ctx: RouteContext = { config, metadata: deps.metadata, series: deps.series, clock, monitor, live, agents };
  await app.register(probeRoutes, { ctx, dataDir });
  const otlp = new OtlpReceiver({
    metadata: deps.metadata,
    monitor,
    clock,
    onRegistered: (event) => live.publish('system_event', event),
  });
  await app.register(prometheusRoutes, { ctx, version: VERSION, http: httpMetrics, otlp: otlp.stats, memory });
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
      await api.register(usageRoutes, { ctx, prices });
      await api.register(streamRoutes, { ctx, live, adminToken: deps.adminToken });
      await api.register(whoamiRoutes);
      await api.register(dashboardRoutes, { ctx, live, version: VERSION, kind: deps.storageKind ?? 'sqlite' });
    },
    { prefix: '/api/v1' },
  );
  await app.register(webRoutes, { dir: config.dashboardDir });
  return app;
}
