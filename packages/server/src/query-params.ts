/**
 * Unknown query parameters are refused. A misspelt or unsupported filter (`?environment=production`
 * on a route that has no such filter) would otherwise be ignored, and the answer would look like a
 * filtered one while holding everything. Every route in the API document takes exactly the query
 * parameters its schema names; routes hidden from the document (the dashboard's files, /docs) take
 * any, as browsers add their own.
 */
import type { FastifyInstance, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import { badRequest } from './errors.js';

/** The query parameter names a route's querystring schema declares. */
function declaredNames(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties ? Object.keys(properties) : [];
}

/** An onRequest hook refusing any query parameter not in `known`, before the body is read. */
export function refuseUnknownQuery(known: readonly string[]): onRequestHookHandler {
  const allowed = new Set(known);
  const takes = known.length > 0 ? `it takes ${known.join(', ')}` : 'it takes no query parameters';
  return async (request: FastifyRequest) => {
    const given = Object.keys((request.query as Record<string, unknown> | undefined) ?? {});
    const unknown = given.filter((name) => !allowed.has(name));
    if (unknown.length === 0) return;
    const route = `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
    throw badRequest(
      `unknown query parameter${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: ${route} does not have ${unknown.length > 1 ? 'them' : 'it'} (${takes})`,
      unknown.map((name) => ({ path: `/query/${name}`, message: `is not a query parameter of this route (${takes})` })),
    );
  };
}

/** Adds the check to every documented route registered after this call. */
export function installQueryParamCheck(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as { hide?: boolean; querystring?: unknown } | undefined;
    if (schema?.hide) return;
    const hook = refuseUnknownQuery(declaredNames(schema?.querystring));
    const existing = route.onRequest;
    route.onRequest = existing === undefined ? [hook] : [...(Array.isArray(existing) ? existing : [existing]), hook];
  });
}
