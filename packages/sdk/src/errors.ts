/** The one error the REST client throws: the server's `{error, message, details}` body, or why no answer came. */
import type { ErrorDetail } from '@agentmon/schema';

/** Codes the client gives errors that never reached a server answer. */
export type ClientErrorCode = 'NETWORK_ERROR' | 'TIMEOUT' | 'BAD_RESPONSE';

/**
 * A failed API call. `status` is the HTTP status (0 when no answer came), `code` the server's
 * stable error code (VALIDATION_FAILED, AGENT_NOT_FOUND, UNAUTHORIZED, ...) or a ClientErrorCode.
 */
export class AgentmonError extends Error {
  override name = 'AgentmonError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details: readonly ErrorDetail[] = [],
    /** From a Retry-After header (429, 503), milliseconds. */
    readonly retryAfterMs: number | null = null,
    options: { cause?: unknown; body?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.body = options.body ?? null;
  }

  /** The parsed JSON body of the error answer, when it had one. */
  readonly body: Record<string, unknown> | null;

  /**
   * The messages by body field, for a form: `cpu_threshold` gathers the details at
   * `/body/cpu_threshold` and below (several joined by "; "); details of the body as a whole are under "".
   */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const d of this.details) {
      const field = d.path.replace(/^\/body\/?/, '').split('/')[0] ?? '';
      out[field] = out[field] ? `${out[field]}; ${d.message}` : d.message;
    }
    return out;
  }

  /** True when trying again later may succeed: no answer, a timeout, 408, 429 or a 5xx. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/** True for an AgentmonError (also across copies of this module). */
export function isAgentmonError(err: unknown): err is AgentmonError {
  return err instanceof AgentmonError || (err instanceof Error && err.name === 'AgentmonError' && 'status' in err && 'code' in err);
}
