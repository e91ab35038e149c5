/**
 * OTLP/HTTP: POST /v1/metrics and /v1/traces on the server's port, where an OpenTelemetry exporter
 * with OTEL_EXPORTER_OTLP_ENDPOINT=<agentmon> sends. Protobuf or JSON, gzip or not; the answer is
 * the Export*ServiceResponse in the request's encoding, errors a google.rpc.Status in protobuf or
 * agentmon's error body (with the rpc code) in JSON.
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode, type ErrorDetail } from '@agentmon/schema';
import type { RouteContext } from '../route-context.js';
import { AppError, diskRefusal } from '../errors.js';
import { StoreBusyError } from '../storage/ports.js';
import { OtlpDecodeError, readMetricsRequest, readTraceRequest } from '../otlp/decode.js';
import type { OtlpCaller, OtlpReceiver } from '../otlp/receiver.js';
import {
  MEDIA_TYPE,
  RPC_CODE,
  decompress,
  encodeResponse,
  encodeStatus,
  parseBody,
  type OtlpEncoding,
  type OtlpSignal,
} from '../otlp/wire.js';

/** The encoding of a request by its Content-Type; JSON unless it says protobuf. */
function encodingOf(request: FastifyRequest): OtlpEncoding {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/x-protobuf' || type === 'application/protobuf' ? 'protobuf' : 'json';
}

/** An error as status, code and message. */
interface Refusal {
  status: number;
  code: ErrorCode;
  rpc: number;
  message: string;
  details: ErrorDetail[];
  headers: Record<string, string>;
}

function refusalOf(err: FastifyError | AppError | StoreBusyError | OtlpDecodeError, request: FastifyRequest): Refusal {
  if (err instanceof OtlpDecodeError) {
    const where = err.path === '' ? '/body' : err.path.startsWith('/headers') ? err.path : `/body${err.path}`;
    return {
      status: ERROR_CODES.INVALID_OTLP,
      code: 'INVALID_OTLP',
      rpc: RPC_CODE.invalidArgument,
      message: `invalid OTLP export: ${where}: ${err.problem}`,
      details: [{ path: where, message: err.problem }],
      headers: {},
    };
  }
  if (err instanceof AppError) {
    const rpc =
      err.statusCode === 401 ? RPC_CODE.unauthenticated
      : err.statusCode === 403 ? RPC_CODE.permissionDenied
      : err.statusCode === 429 || err.statusCode === 507 ? RPC_CODE.resourceExhausted
      : err.statusCode === 503 ? RPC_CODE.unavailable
      : RPC_CODE.invalidArgument;
    return { status: err.statusCode, code: err.code, rpc, message: err.message, details: err.details, headers: err.headers };
  }
  if (err instanceof StoreBusyError) {
    return {
      status: ERROR_CODES.STORE_BUSY,
      code: 'STORE_BUSY',
      rpc: RPC_CODE.unavailable,
      message: `${err.message}; nothing was written, retry after ${err.retryAfterSeconds} s`,
      details: [],
      headers: { 'retry-after': String(err.retryAfterSeconds) },
    };
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const message = 'send OTLP as application/x-protobuf or application/json';
    return { status: ERROR_CODES.UNSUPPORTED_MEDIA_TYPE, code: 'UNSUPPORTED_MEDIA_TYPE', rpc: RPC_CODE.invalidArgument, message, details: [{ path: '/headers/content-type', message }], headers: {} };
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const message = 'request body is larger than the limit (AGENTMON_BODY_LIMIT_BYTES); export smaller batches';
    return { status: ERROR_CODES.PAYLOAD_TOO_LARGE, code: 'PAYLOAD_TOO_LARGE', rpc: RPC_CODE.resourceExhausted, message, details: [{ path: '/body', message }], headers: {} };
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: err.statusCode, code: 'BAD_REQUEST', rpc: RPC_CODE.invalidArgument, message: err.message, details: [], headers: {} };
  }
  request.log.error({ err }, 'OTLP export failed');
  return { status: ERROR_CODES.INTERNAL, code: 'INTERNAL', rpc: RPC_CODE.internal, message: 'internal server error; the server log has the details', details: [], headers: {} };
}

/** Options of the OTLP routes. */
export interface OtlpRouteOptions {
  ctx: RouteContext;
  receiver: OtlpReceiver;
}

/** Registers POST /v1/metrics and POST /v1/traces. */
export const otlpRoutes: FastifyPluginAsync<OtlpRouteOptions> = async (app, { ctx, receiver }) => {
  // Bodies arrive as bytes in this plugin: gzip and protobuf are undone in the handler.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/x-protobuf', 'application/protobuf', 'application/json'], { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );

  app.setErrorHandler((err: FastifyError | AppError | StoreBusyError | OtlpDecodeError, request: FastifyRequest, reply: FastifyReply) => {
    const r = refusalOf(diskRefusal(err, request) ?? err, request);
    for (const [name, value] of Object.entries(r.headers)) void reply.header(name, value);
    if (encodingOf(request) === 'protobuf') return reply.status(r.status).type(MEDIA_TYPE.protobuf).send(encodeStatus(r.rpc, r.message));
    return reply.status(r.status).type(MEDIA_TYPE.json).send(JSON.stringify({ error: r.code, code: r.rpc, message: r.message, details: r.details }));
  });

  function callerOf(request: FastifyRequest): OtlpCaller {
    const p = request.principal;
    return p?.kind === 'agent' ? { kind: 'agent', agentId: p.agentId, context: p.context } : { kind: 'trusted' };
  }

  async function handle(signal: OtlpSignal, request: FastifyRequest, reply: FastifyReply) {
    const encoding = encodingOf(request);
    if (!Buffer.isBuffer(request.body)) throw new OtlpDecodeError('', 'the body is empty');
    const raw = decompress(request.body, request.headers['content-encoding'] as string | undefined, ctx.config.bodyLimitBytes);
    const parsed = parseBody(signal, encoding, raw);
    const caller = callerOf(request);
    const partial =
      signal === 'metrics'
        ? await receiver.exportMetrics(readMetricsRequest(parsed), caller)
        : await receiver.exportTraces(readTraceRequest(parsed), caller);
    if (partial.rejected > 0 || partial.errorMessage !== '') request.log.warn({ signal, ...partial }, 'OTLP export partly refused');
    return reply.status(200).type(MEDIA_TYPE[encoding]).send(encodeResponse(signal, encoding, partial));
  }

  const doc = (signal: OtlpSignal) => ({
    tags: ['opentelemetry'],
    summary: `OTLP/HTTP ${signal} export (ExportMetricsServiceRequest / ExportTraceServiceRequest)`,
    description:
      'Body: an OTLP export request as application/x-protobuf or application/json, optionally with Content-Encoding: gzip. ' +
      'Takes the admin token, the registration token or an agent api_key. Answers 200 with the Export*ServiceResponse ' +
      '(partial_success names what was refused) in the request\'s encoding.',
  });
  app.post('/v1/metrics', { config: { access: 'telemetry' }, schema: doc('metrics') }, (request, reply) => handle('metrics', request, reply));
  app.post('/v1/traces', { config: { access: 'telemetry' }, schema: doc('traces') }, (request, reply) => handle('traces', request, reply));
};
