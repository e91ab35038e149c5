/** GET /whoami: what the calling token may do, so a client (the dashboard) can hide what it cannot. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WhoAmI } from '@agentmon/schema';
import { errorResponses } from './route-schemas.js';

/** Registers GET /whoami (admin and viewer tokens). */
export const whoamiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/whoami',
    {
      config: { access: 'read' },
      schema: { tags: ['auth'], summary: "The calling token's role: admin (everything) or viewer (read-only)", response: { 200: WhoAmI, ...errorResponses } },
    },
    async (request) => ({ role: request.principal?.kind === 'viewer' ? ('viewer' as const) : ('admin' as const) }),
  );
};
