/** Answers already written as bytes (metrics queries, the Prometheus exposition). */
import type { FastifyReply } from 'fastify';

/** Sends `bytes` as the body with `contentType`: a Buffer over the same memory, which Fastify sends as it is (no serialiser, no copy). */
export function sendBytes(reply: FastifyReply, contentType: string, bytes: Uint8Array): FastifyReply {
  // The route's response schema describes the JSON or text these bytes are; Fastify skips it for a Buffer.
  return reply.type(contentType).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as never);
}
