/**
 * What the CLI's exit codes mean, and how a failure becomes one. Scripts branch on them:
 * 0 ok, 1 failure at run time (server unreachable, server error), 2 bad usage or configuration,
 * 3 not found (an unknown agent or alert), 4 unauthorized (token missing, wrong or not allowed).
 */
import { isAgentmonError } from '@agentmon/sdk';

/** Exit codes. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, NOT_FOUND: 3, UNAUTHORIZED: 4 } as const;
/** An exit code. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI reports with a message and a chosen exit code. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

/** The exit code and message for any error a command threw. */
export function describeFailure(err: unknown, url?: string): { code: ExitCode; message: string } {
  if (err instanceof CliError) return { code: err.exitCode, message: err.message };
  if (isAgentmonError(err)) {
    if (err.status === 0) {
      return { code: EXIT.FAILURE, message: `cannot reach agentmon${url ? ` at ${url}` : ''}: ${err.message}` };
    }
    const detail = err.details.length > 0 ? `\n${err.details.map((d) => `  ${d.path}: ${d.message}`).join('\n')}` : '';
    const message = `${err.message} (${err.status} ${err.code})${detail}`;
    if (err.status === 401 || err.status === 403) return { code: EXIT.UNAUTHORIZED, message };
    if (err.status === 404) return { code: EXIT.NOT_FOUND, message };
    if (err.status === 400 || err.status === 409 || err.status === 413 || err.status === 415) return { code: EXIT.USAGE, message };
    return { code: EXIT.FAILURE, message };
  }
  return { code: EXIT.FAILURE, message: err instanceof Error ? err.message : String(err) };
}
