/** The web dashboard: the built single-page app served at `/`. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>agentmon</title>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto;line-height:1.5">
<h1>agentmon</h1><p>The server is running, but the web dashboard has not been built.
Run <code>npm run build</code> (or <code>npm start</code>, which builds it) and reload.</p>
<p>The API is at <a href="/docs">/docs</a>.</p></body>`;

/** Serves `dir` at `/` (with index.html for the app's own paths), or a page saying how to build it. */
export const webRoutes: FastifyPluginAsync<{ dir: string }> = async (app, { dir }) => {
  const built = existsSync(join(dir, 'index.html'));
  if (!built) {
    app.get('/', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(NOT_BUILT),
    );
    return;
  }
  await app.register(fastifyStatic, { root: dir, prefix: '/', index: ['index.html'], wildcard: false, maxAge: '1h', immutable: false });
};
