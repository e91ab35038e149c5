/**
 * AppError, the one error type routes throw, and the one handler that turns any error into the
 * wire's `{error, message, details}` body. Clients never see a stack trace.
 */
import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorBody, type ErrorCode, type ErrorDetail } from '@agentmon/schema';
import { isStoreUnavailable, StoreBusyError } from './storage/ports.js';
import { diskFault } from './storage/data-dir.js';

/** An error with a stable code, an HTTP status and the bad fields. */
export class AppError extends Error {
  override name = 'AppError';
  /** The status the registry (ERROR_CODES) gives the code. */
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
    /** Extra response headers (Retry-After, WWW-Authenticate). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.statusCode = ERROR_CODES[code];
  }
}

/** 400 for input that passed the schema but breaks a rule the schema cannot state. */
export const badRequest = (message: string, details: ErrorDetail[] = []) =>
  new AppError('VALIDATION_FAILED', message, details);

/** 404 for an agent id nobody registered. */
export const agentNotFound = (id: string) =>
  new AppError('AGENT_NOT_FOUND', `agent ${JSON.stringify(id)} is not registered`, [{ path: '/params/id', message: 'no such agent' }]);

/** 404 for any other missing thing. */
export const notFound = (what: string, path: string) => new AppError('NOT_FOUND', `${what} not found`, [{ path, message: 'not found' }]);

/** Turns ajv's errors for one request part into details, one per bad field, in words a person reads. */
export function describeValidationErrors(errors: readonly ErrorObject[], part: string): ErrorDetail[] {
  const prefix = `/${part}`;
  // A Nullable field (anyOf [schema, null]) that fails reports three errors: its own, "must be null"
  // and "must match a schema in anyOf". Only the first says what is wrong.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const details: ErrorDetail[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'anyOf') continue;
    if (anyOfPaths.has(e.instancePath) && e.keyword === 'type' && (e.params as { type?: string }).type === 'null') continue;
    let path = prefix + e.instancePath;
    let message = e.message ?? 'is invalid';
    const params = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'required':
        path = `${path}/${String(params.missingProperty)}`;
        message = 'is required';
        break;
      case 'additionalProperties':
        path = `${path}/${String(params.additionalProperty)}`;
        message = 'is not a known field';
        break;
      case 'enum':
        message = `must be one of: ${(params.allowedValues as unknown[]).map((v) => String(v)).join(', ')}`;
        break;
      case 'format':
        message = params.format === 'date-time' ? 'must be an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z' : message;
        break;
      case 'pattern':
        message = path.endsWith('/interval') ? 'must be a duration like 10s, 1m, 5m, 1h or 1d' : `must match ${String(params.pattern)}`;
        break;
      case 'minProperties':
        message = 'must name at least one field';
        break;
    }
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    details.push({ path, message });
  }
  return details;
}

function body(code: ErrorCode, message: string, details: ErrorDetail[] = []): ErrorBody {
  return { error: code, message, details };
}

/** Fastify's own error codes mapped to ours. */
const FASTIFY_CODES: Record<string, { code: ErrorCode; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', message: 'request body is larger than the limit' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send JSON (Content-Type: application/json)' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'VALIDATION_FAILED', message: 'the JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'INVALID_JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'VALIDATION_FAILED', message: 'Content-Length does not match the body' },
};

/** Seconds a client is told to wait when a store is unavailable (a restart takes a few). */
const STORE_RETRY_AFTER_S = 5;
/** Seconds a client is told to wait when the disk is full or the data dir unusable (a person must act). */
const DISK_RETRY_AFTER_S = 30;

/** 503 STORE_UNAVAILABLE: a store cannot be used now; nothing of the request was written or acknowledged. */
export const storeUnavailable = (what: string, retryAfterS = DISK_RETRY_AFTER_S) =>
  new AppError('STORE_UNAVAILABLE', `a store is unavailable: ${what}; nothing of this request was acknowledged, retry after ${retryAfterS} s`, [], {
    'retry-after': String(retryAfterS),
  });

/** The answer to a store's failure that says its disk is full (507) or takes no writes (503); null for others. */
export function diskRefusal(err: Error, request: FastifyRequest): AppError | null {
  const disk = diskFault(err);
  if (disk === null) return null;
  if (disk === 'full') {
    request.log.error({ err }, "refused: the data dir's disk is full");
    return new AppError('STORAGE_FULL', `the data dir's disk is full (${err.message}); nothing of this request was acknowledged, retry after ${DISK_RETRY_AFTER_S} s`, [], {
      'retry-after': String(DISK_RETRY_AFTER_S),
    });
  }
  request.log.error({ err }, 'refused: the data dir takes no writes');
  return storeUnavailable(`the data dir takes no writes (${err.message})`);
}

/**
 * Errors of the router, before any route runs (a path that is not valid percent-encoding, `%ff`):
 * the documented shape, not Fastify's own.
 */
export function routerError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?')[0] ?? '';
  const message = err.code === 'FST_ERR_BAD_URL' ? `the path ${JSON.stringify(path.slice(0, 200))} is not valid percent-encoded UTF-8` : err.message;
  void reply.status(err.statusCode && err.statusCode < 500 ? err.statusCode : 400).send(body('BAD_URL', message, [{ path: '/url', message }]));
}

/** What Node's HTTP parser refuses, before Fastify sees a request: status, code and message. */
const PARSER_ERRORS: Record<string, [ErrorCode, string]> = {
  HPE_HEADER_OVERFLOW: ['HEADERS_TOO_LARGE', 'the request headers are larger than the server takes (16 KB)'],
  HPE_URI_TOO_LONG: ['URI_TOO_LONG', 'the request URL is longer than the server takes'],
  ERR_HTTP_REQUEST_TIMEOUT: ['REQUEST_TIMEOUT', 'the request did not arrive in time'],
};

/**
 * Answers a request Node's HTTP parser refused (headers over 16 KB, bad chunked encoding, a broken
 * request line) in the documented shape, then closes the connection: the parser cannot go on.
 */
export function clientError(err: Error & { code?: string }, socket: import('node:net').Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const [code, message] = PARSER_ERRORS[err.code ?? ''] ?? ['BAD_REQUEST', `the request is not valid HTTP/1.1 (${err.code ?? err.message})`];
  const status = ERROR_CODES[code];
  const text = JSON.stringify(body(code, message, [{ path: '/request', message }]));
  const reasons: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 414: 'URI Too Long', 431: 'Request Header Fields Too Large' };
  const reason = reasons[status] ?? 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

/** Installs the one error handler and the 404 handler. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((raw: FastifyError | AppError | StoreBusyError, request: FastifyRequest, reply: FastifyReply) => {
    const err = diskRefusal(raw, request) ?? raw;
    if (err instanceof AppError) {
      for (const [name, value] of Object.entries(err.headers)) void reply.header(name, value);
      return reply.status(err.statusCode).send(body(err.code, err.message, err.details));
    }
    if (err instanceof StoreBusyError) {
      request.log.warn({ err: err.message }, 'refused: storage is behind');
      void reply.header('retry-after', String(err.retryAfterSeconds));
      return reply.status(ERROR_CODES.STORE_BUSY).send(body('STORE_BUSY', `${err.message}; nothing was written, retry after ${err.retryAfterSeconds} s`));
    }
    if (isStoreUnavailable(err)) {
      request.log.warn({ err: err.message }, 'refused: a store is unavailable');
      void reply.header('retry-after', String(STORE_RETRY_AFTER_S));
      return reply.status(ERROR_CODES.STORE_UNAVAILABLE).send(body('STORE_UNAVAILABLE', `a store is unavailable (${err.message}); retry after ${STORE_RETRY_AFTER_S} s`));
    }
    if (err.validation) {
      const context = err.validationContext ?? 'body';
      const part = context === 'querystring' ? 'query' : context;
      const details = describeValidationErrors(err.validation as ErrorObject[], part);
      const fields = details.map((d) => d.path).join(', ');
      return reply.status(ERROR_CODES.VALIDATION_FAILED).send(body('VALIDATION_FAILED', `invalid request ${part}: ${fields}`, details));
    }
    const known = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (known) {
      const message = known.message ?? (err.message || 'bad request');
      return reply.status(ERROR_CODES[known.code]).send(body(known.code, message, [{ path: '/body', message }]));
    }
    if (err instanceof SyntaxError || (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500)) {
      // A framework refusal without a code of ours: its status, and BAD_REQUEST (its own code is
      // Fastify's, not one a client can look up).
      return reply.status(err.statusCode ?? 400).send(body('BAD_REQUEST', err.message));
    }
    request.log.error({ err }, 'request failed');
    return reply.status(ERROR_CODES.INTERNAL).send(body('INTERNAL', 'internal server error; the server log has the details'));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(ERROR_CODES.ROUTE_NOT_FOUND)
      .send(body('ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`, []));
  });
}
