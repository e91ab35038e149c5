/**
 * What the logs may say of a request. EventSource cannot send headers, so the live stream takes its
 * token in `?token=`, and people paste tokens into URLs: the request line would carry them into
 * every log line (Fastify logs `req.url` as it came). Secret query parameters are cut out of the URL
 * before it is logged; headers are redacted by path (app.ts).
 */
import type { FastifyRequest } from 'fastify';

/** Query parameters that carry a secret. */
const SECRET_PARAM = /([?&](?:token|api_key|apikey|key|access_token|stream_token|password|secret)=)[^&#]*/gi;

/** `url` with the values of secret query parameters replaced. */
export function scrubUrl(url: string): string {
  return url.replace(SECRET_PARAM, '$1[redacted]');
}

/** The request as a log line shows it: Fastify's fields, the URL scrubbed. */
export function requestForLog(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: scrubUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
