/**
 * The host's health checks: registered by name, run together, each timed and bounded by a timeout,
 * a throw or a timeout counted as failing with its message. The reporter sends what they give and
 * puts the latest results in each payload's health_checks.
 */
import type { HealthCheckInput } from '@agentmon/schema';
import { monotonic, now, toError, withTimeout } from './timing.js';

/** What a health check gives: passing or not, and optionally why. */
export type HealthCheckResult = boolean | { status: boolean; message?: string | null };
/** A health check: synchronous or not. */
export type HealthCheckFn = () => HealthCheckResult | Promise<HealthCheckResult>;

/** The registered checks and their latest results. */
export class HealthChecks {
  private readonly checks = new Map<string, HealthCheckFn>();
  private last: Record<string, boolean> = {};

  /**
   * @param timeoutMs how long one check may take before it counts as failing
   * @param onError hears a check that threw or timed out (it is reported failing either way)
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly onError: (err: unknown, name: string) => void,
  ) {}

  /** Adds (or replaces) a check; throws TypeError on a bad name or a non-function. */
  add(name: string, check: HealthCheckFn): void {
    if (typeof name !== 'string' || name === '' || name.length > 255) throw new TypeError(`invalid health check name ${JSON.stringify(name)}`);
    if (typeof check !== 'function') throw new TypeError(`health check ${name} must be a function`);
    this.checks.set(name, check);
  }

  /** Removes a check and its latest result. */
  remove(name: string): void {
    this.checks.delete(name);
    delete this.last[name];
  }

  /** How many checks are registered. */
  get size(): number {
    return this.checks.size;
  }

  /** The latest result of each check (a copy). */
  latest(): Record<string, boolean> {
    return { ...this.last };
  }

  /** Runs every check now, together; never rejects. */
  async run(): Promise<HealthCheckInput[]> {
    const results = await Promise.all(
      [...this.checks.entries()].map(async ([name, fn]): Promise<HealthCheckInput> => {
        const started = monotonic();
        let status = false;
        let message: string | null = null;
        try {
          const answer = await withTimeout(Promise.resolve().then(fn), this.timeoutMs, `health check ${name}`);
          if (typeof answer === 'boolean') status = answer;
          else if (answer && typeof answer === 'object') {
            status = answer.status === true;
            message = typeof answer.message === 'string' ? answer.message : null;
          }
        } catch (err) {
          message = toError(err).message;
          this.onError(err, name);
        }
        const execution = Math.max(0, Math.round((monotonic() - started) * 1000) / 1000);
        return { name, status, message, timestamp: new Date(now()).toISOString(), execution_time_ms: execution };
      }),
    );
    this.last = Object.fromEntries(results.map((r) => [r.name, r.status]));
    return results;
  }
}
