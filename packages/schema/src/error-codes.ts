/**
 * Every `error` code the API answers with, and its HTTP status: defined once, here, for the server
 * that raises them and for every client that tells them apart (TypeBox-free, so a browser bundle
 * takes it as it is).
 */
export const ERROR_CODES = {
  /** A field breaks its schema or a rule the schema cannot state; `details` name each. */
  VALIDATION_FAILED: 400,
  /** The body is not JSON. */
  INVALID_JSON: 400,
  /** The request is not valid HTTP, or a framework refusal without a code of its own. */
  BAD_REQUEST: 400,
  /** The path is not valid percent-encoded UTF-8. */
  BAD_URL: 400,
  /** An OTLP body that does not decode. */
  INVALID_OTLP: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  AGENT_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  REQUEST_TIMEOUT: 408,
  /** An agent reference (name or id prefix) names several agents. */
  AGENT_AMBIGUOUS: 409,
  /** A registration's id belongs to another name+environment+host. */
  AGENT_EXISTS: 409,
  /** A registration's name+environment+host belong to another id. */
  AGENT_CONFLICT: 409,
  /**
   * The registration token asked to re-register an agent that is reporting (re-registering revokes
   * its key): show its current key in X-Agent-Key, retry after `Retry-After`, or use the admin token.
   */
  AGENT_IN_USE: 409,
  NOTIFICATION_TARGET_READ_ONLY: 409,
  TOO_MANY_BUDGETS: 409,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  TOO_MANY_STREAMS: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  /** A store cannot be used now; retry after `Retry-After`. */
  STORE_UNAVAILABLE: 503,
  /** The series store is behind; retry after `Retry-After`. */
  STORE_BUSY: 503,
  /** The data dir's disk is full. */
  STORAGE_FULL: 507,
} as const;

/** An error code of the API. */
export type ErrorCode = keyof typeof ERROR_CODES;
