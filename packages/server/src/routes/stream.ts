/** The live stream (Server-Sent Events) and the short-lived tokens EventSource uses for it. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, STREAM_EVENT_KINDS, StreamToken } from '@agentmon/schema';
import type { RouteContext } from '../route-context.js';
import { newStreamToken } from '../auth.js';
import type { Principal } from '../auth.js';
import { AppError } from '../errors.js';
import type { LiveBus } from '../live/bus.js';
import { StreamClient } from '../live/stream-client.js';
import { errorResponses } from './route-schemas.js';

/** How often an idle stream sends a keep-alive comment, ms. */
const KEEP_ALIVE_MS = 15_000;

/** Seconds a client refused for having too many streams open is told to wait. */
const STREAM_RETRY_AFTER_S = 5;

/**
 * Whose streams a request counts against: stream tokens are minted with the admin token, so they
 * count as the admin token's.
 */
function holderOf(principal: Principal | null): string {
  if (principal?.kind === 'viewer') return `viewer:${principal.id}`;
  return principal?.kind === 'stream' ? 'admin' : (principal?.kind ?? 'anonymous');
}

/** Registers POST /events/stream-token and GET /events/stream. */
export const streamRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext; live: LiveBus; adminToken: string }> = async (
  app,
  { ctx, live, adminToken },
) => {
  app.post(
    '/events/stream-token',
    {
      // Viewers follow the stream too (it only reads); the token it gives only opens the stream.
      config: { access: 'read' },
      schema: {
        tags: ['events'],
        summary: 'A short-lived token for GET /events/stream?token= (EventSource cannot send headers)',
        response: { 200: StreamToken, ...errorResponses },
      },
    },
    async () => {
      const { token, expiresAtMs } = newStreamToken(adminToken, ctx.clock());
      return { token, expires_at: new Date(expiresAtMs).toISOString() };
    },
  );

  const maxClients = ctx.config.streamMaxClientsPerToken;
  /** Open streams per token holder. */
  const perHolder = new Map<string, number>();

  // Streams never end by themselves: close them when the server closes, or it would wait forever.
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });

  app.get(
    '/events/stream',
    {
      config: { access: 'stream' },
      schema: {
        tags: ['events'],
        summary: `Live stream (text/event-stream): events ${STREAM_EVENT_KINDS.join(', ')}, and resync (messages may be missing: reload); ids for Last-Event-ID; ": ping" keep-alives`,
        querystring: Type.Object({
          token: Type.Optional(Type.String({ description: 'A stream token, instead of the Authorization header' })),
          last_event_id: Type.Optional(Type.Integer({ minimum: 0, description: 'Resume after this id (as the Last-Event-ID header)' })),
        }),
        response: {
          200: Type.String({ description: 'text/event-stream' }),
          ...errorResponses,
          429: { ...ErrorBody, description: 'TOO_MANY_STREAMS: the token already has streamMaxClientsPerToken streams open; retry after Retry-After seconds' },
        },
      },
    },
    (request, reply) => {
      const header = request.headers['last-event-id'];
      const fromHeader = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : undefined;
      const lastEventId = fromHeader ?? request.query.last_event_id;
      const holder = holderOf(request.principal);
      const count = perHolder.get(holder) ?? 0;
      if (count >= maxClients) {
        throw new AppError(
          'TOO_MANY_STREAMS',
          `this token already has ${count} live streams open (streamMaxClientsPerToken is ${maxClients}); close one or retry later`,
          [{ path: '/headers/authorization', message: `at most ${maxClients} live streams per token` }],
          { 'retry-after': String(STREAM_RETRY_AFTER_S) },
        );
      }
      perHolder.set(holder, count + 1);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 3000\n: connected\n\n');
      const client = new StreamClient(live, res, {
        maxBehindBytes: ctx.config.streamClientMaxBehindBytes,
        lastEventId,
        onDrop: (drop) => request.log.warn({ ...drop, behindBytes: String(drop.behindBytes) }, 'live stream client disconnected: it fell behind; it resumes with Last-Event-ID'),
      });
      const keepAlive = setInterval(() => client.comment('ping'), KEEP_ALIVE_MS);
      keepAlive.unref();
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        clearInterval(keepAlive);
        client.close();
        open.delete(end);
        const left = (perHolder.get(holder) ?? 1) - 1;
        if (left > 0) perHolder.set(holder, left);
        else perHolder.delete(holder);
      };
      const end = () => {
        close();
        res.end();
      };
      open.add(end);
      request.raw.on('close', close);
      res.on('close', close);
      res.on('error', close);
    },
  );
};
