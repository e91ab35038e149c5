/**
 * Per-token rate limits: a token bucket per caller (each agent key its own; the registration token
 * one for all its holders), refilled at `perSecond` up to a burst of twice that. A request finding
 * its bucket empty is answered 429 RATE_LIMITED with Retry-After, before its body is read. The
 * admin token is never limited (it is the operator's), and a rate of 0 turns a limit off.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from './auth.js';
import { AppError } from './errors.js';

/** Buckets of one limit, by caller. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  private readonly burst: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.burst = Math.max(1, perSecond * 2);
  }

  /** Takes one request for `key`: 0 when allowed, else the seconds until one is. */
  take(key: string): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, atMs: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.atMs) / 1000) * this.perSecond);
    bucket.atMs = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.buckets.set(key, bucket);
      if (this.buckets.size > 10_000) this.prune(now);
      return 0;
    }
    this.buckets.set(key, bucket);
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
  }

  /** Forgets the buckets that have refilled (they would start full anyway), so many callers cost no memory for long. */
  private prune(now: number): void {
    const fullAfterMs = (this.burst / this.perSecond) * 1000;
    for (const [key, b] of this.buckets) if (now - b.atMs >= fullAfterMs) this.buckets.delete(key);
  }
}

/** Requests per second allowed to each kind of token (0: no limit). */
export interface RateLimits {
  agentPerSecond: number;
  registrationPerSecond: number;
}

/** The bucket key of a caller, or null when it is not limited. */
function callerOf(principal: Principal | null, limits: RateLimits): { key: string; kind: 'agent' | 'registration' } | null {
  if (principal?.kind === 'agent' && limits.agentPerSecond > 0) return { key: principal.agentId, kind: 'agent' };
  if (principal?.kind === 'registration' && limits.registrationPerSecond > 0) return { key: 'registration', kind: 'registration' };
  return null;
}

/** Installs the limit after authentication (so the caller is known) and before the body is read. */
export function installRateLimits(app: FastifyInstance, limits: RateLimits): void {
  if (limits.agentPerSecond <= 0 && limits.registrationPerSecond <= 0) return;
  const buckets = { agent: new TokenBuckets(limits.agentPerSecond), registration: new TokenBuckets(limits.registrationPerSecond) };
  const settings = { agent: 'rateLimitAgentPerSecond', registration: 'rateLimitRegistrationPerSecond' } as const;
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const caller = callerOf(request.principal, limits);
    if (!caller) return;
    const waitS = buckets[caller.kind].take(caller.key);
    if (waitS === 0) return;
    const perSecond = caller.kind === 'agent' ? limits.agentPerSecond : limits.registrationPerSecond;
    throw new AppError(
      'RATE_LIMITED',
      `too many requests with this ${caller.kind === 'agent' ? "agent's api_key" : 'registration token'} (${settings[caller.kind]} is ${perSecond} a second); retry after ${waitS} s`,
      [{ path: '/headers/authorization', message: `at most ${perSecond} requests a second` }],
      { 'retry-after': String(waitS) },
    );
  });
}
