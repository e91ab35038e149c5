/** The live stream (Server-Sent Events) and the short-lived tokens EventSource uses for it. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { STREAM_EVENT_KINDS, StreamToken } from '@agentmon/schema';
import type { RouteContext } from '../app.js';
import { newStreamToken } from '../auth.js';
import type { LiveBus, LiveMessage } from '../live/bus.js';
import { errorResponses } from './route-schemas.js';

/** How often an idle stream sends a keep-alive comment, ms. */
const KEEP_ALIVE_MS = 15_000;

/** Registers POST /events/stream-token and GET /events/stream. */
export const streamRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext; live: LiveBus; adminToken: string }> = async (
  app,
  { ctx, live, adminToken },
) => {
  app.post(
    '/events/stream-token',
    {
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
        summary: `Live stream (text/event-stream): events ${STREAM_EVENT_KINDS.join(', ')}; ids for Last-Event-ID; ": ping" keep-alives`,
        querystring: Type.Object({
          token: Type.Optional(Type.String({ description: 'A stream token, instead of the Authorization header' })),
          last_event_id: Type.Optional(Type.Integer({ minimum: 0, description: 'Resume after this id (as the Last-Event-ID header)' })),
        }),
        response: { 200: Type.String({ description: 'text/event-stream' }), ...errorResponses },
      },
    },
    (request, reply) => {
      const header = request.headers['last-event-id'];
      const fromHeader = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : undefined;
      const lastEventId = fromHeader ?? request.query.last_event_id;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 3000\n: connected\n\n');
      const send = (m: LiveMessage) => {
        res.write(`id: ${m.id}\nevent: ${m.kind}\ndata: ${JSON.stringify(m.data)}\n\n`);
      };
      const unsubscribe = live.subscribe(send, lastEventId);
      const keepAlive = setInterval(() => res.write(': ping\n\n'), KEEP_ALIVE_MS);
      keepAlive.unref();
      const close = () => {
        clearInterval(keepAlive);
        unsubscribe();
        open.delete(end);
      };
      const end = () => {
        close();
        res.end();
      };
      open.add(end);
      request.raw.on('close', close);
      res.on('error', close);
    },
  );
};
