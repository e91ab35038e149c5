/**
 * Tokens: the admin token, the optional registration token, and each agent's own api_key. Keys are
 * stored as sha256 hashes and compared in constant time; no token is ever logged.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from './errors.js';
import type { IngestContext, IngestStore } from './storage/ports.js';

/** Who is calling. */
export type Principal =
  | { kind: 'admin' }
  | { kind: 'registration' }
  | { kind: 'scrape' }
  | { kind: 'agent'; agentId: string; context: IngestContext }
  | { kind: 'stream' }
  /** A read-only viewer token; `id` tells viewer tokens apart (a prefix of its hash, never the token). */
  | { kind: 'viewer'; id: string };

/**
 * What a route lets in: admin only; admin or registration token; admin or the agent named by
 * `:id`; admin or a stream token (the live stream, for EventSource which cannot send headers);
 * any of the admin token, the registration token or an agent's key (OTLP exports, which find or
 * register their agent themselves); admin or a viewer token (`read`: what a viewer may do besides
 * reading); admin or the scrape token (`scrape`: the Prometheus exposition, so Prometheus need not
 * hold the admin token). Viewer tokens may also GET every admin, agent and stream route not marked `secret`.
 */
export type Access = 'admin' | 'register' | 'agent' | 'stream' | 'telemetry' | 'read' | 'scrape' | 'public';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    access?: Access;
    /** A GET route whose answer holds secrets (target URLs): closed to viewer tokens. */
    secret?: boolean;
  }
}

/** sha256 hex of a token: what the stores keep. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** True when `token` hashes to `hash`, in time independent of where they differ. */
export function tokenMatches(token: string, hash: string): boolean {
  return digestMatches(tokenDigest(token), Buffer.from(hash, 'hex'));
}

/** The sha256 of a token as bytes: a request's token is hashed once, then compared with each known hash. */
function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** True when two digests are equal, in time independent of where they differ. */
function digestMatches(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const AGENT_KEY = /^amk\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/;

/** A new api_key for an agent: `amk.<agent id, base64url>.<256 random bits>`, so the id is found without a scan. */
export function newAgentKey(agentId: string): string {
  return `amk.${Buffer.from(agentId, 'utf8').toString('base64url')}.${randomBytes(32).toString('base64url')}`;
}

/** The agent id an api_key names, or null when the token is not shaped like one. */
export function agentIdOfKey(token: string): string | null {
  const m = AGENT_KEY.exec(token);
  return m ? Buffer.from(m[1] as string, 'base64url').toString('utf8') : null;
}

/** A new admin token. */
export function newAdminToken(): string {
  return `ama.${randomBytes(32).toString('base64url')}`;
}

/**
 * The admin token: the configured one, else the one kept in `<dataDir>/admin-token`, else a new one
 * written there (mode 0600). `generated` tells the caller to print it once.
 */
export function resolveAdminToken(configured: string | null, dataDir: string): { token: string; generated: boolean; path: string | null } {
  if (configured) return { token: configured, generated: false, path: null };
  const path = join(dataDir, 'admin-token');
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (token.length >= 16) return { token, generated: false, path };
  }
  mkdirSync(dataDir, { recursive: true });
  const token = newAdminToken();
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return { token, generated: true, path };
}

/** Writes a new admin token to the data dir (for `agentmon token --rotate`). */
export function rotateAdminToken(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  const token = newAdminToken();
  writeFileSync(join(dataDir, 'admin-token'), `${token}\n`, { mode: 0o600 });
  return token;
}

/** How long a stream token lasts. */
export const STREAM_TOKEN_TTL_MS = 10 * 60_000;

/** A stream token: `st.<expiry ms>.<HMAC of the expiry keyed by the admin token>`, good until it expires. */
export function newStreamToken(adminToken: string, nowMs: number, ttlMs = STREAM_TOKEN_TTL_MS): { token: string; expiresAtMs: number } {
  const expiresAtMs = nowMs + ttlMs;
  const mac = createHmac('sha256', adminToken).update(`stream:${expiresAtMs}`).digest('base64url');
  return { token: `st.${expiresAtMs}.${mac}`, expiresAtMs };
}

/** True for a stream token made with this admin token that has not expired. */
export function streamTokenValid(token: string, adminToken: string, nowMs: number): boolean {
  const m = /^st\.(\d{13,16})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return false;
  const expiresAtMs = Number(m[1]);
  if (expiresAtMs < nowMs) return false;
  const expected = createHmac('sha256', adminToken).update(`stream:${expiresAtMs}`).digest();
  const given = Buffer.from(m[2] as string, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const unauthorized = (message: string) =>
  new AppError('UNAUTHORIZED', message, [{ path: '/headers/authorization', message }], { 'www-authenticate': 'Bearer' });

const forbidden = (message: string) => new AppError('FORBIDDEN', message, [{ path: '/headers/authorization', message }]);

/** Options of the auth hook. */
export interface AuthOptions {
  adminToken: string;
  registrationToken: string | null;
  /** Read-only tokens: GET routes (but secret ones) and the live stream. */
  viewerTokens?: readonly string[];
  /** Read-only token for GET /metrics. */
  scrapeToken: string | null;
  /** Where an agent's key is checked: its ingest context holds the key's hash. */
  metadata: IngestStore;
  clock: () => number;
}

/**
 * Installs the hook that authenticates every request before its body is read and enforces the
 * route's `config.access` (default: admin under /api/, public elsewhere).
 */
export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  const adminHash = tokenDigest(options.adminToken);
  const registrationHash = options.registrationToken ? tokenDigest(options.registrationToken) : null;
  const viewerHashes = (options.viewerTokens ?? []).map(tokenDigest);
  const scrapeHash = options.scrapeToken ? tokenDigest(options.scrapeToken) : null;
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    // /api/v1 routes are admin-only unless they say otherwise; the docs, probes and web app are public.
    const access: Access = request.routeOptions.config?.access ?? (request.routeOptions.url?.startsWith('/api/') ? 'admin' : 'public');
    if (access === 'public') return;
    const header = request.headers.authorization;
    const queryToken = access === 'stream' ? (request.query as { token?: unknown } | undefined)?.token : undefined;
    if (!header && typeof queryToken === 'string') {
      if (!streamTokenValid(queryToken, options.adminToken, options.clock())) throw unauthorized('invalid or expired stream token');
      request.principal = { kind: 'stream' };
      return;
    }
    if (!header) throw unauthorized('missing Authorization: Bearer <token>');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw unauthorized('Authorization must be "Bearer <token>"');
    const token = m[1] as string;
    request.principal = await identify(token);
    if (!request.principal) throw unauthorized('invalid token');
    const principal = request.principal;
    if (principal.kind === 'admin') return;
    if (principal.kind === 'viewer') {
      const reading = (request.method === 'GET' || request.method === 'HEAD') && (access === 'admin' || access === 'stream' || access === 'agent') && !request.routeOptions.config?.secret;
      if (access === 'read' || reading) return;
      throw forbidden(
        request.routeOptions.config?.secret
          ? 'a viewer token may not read this: it holds secrets'
          : 'a viewer token is read-only: it may GET and follow the live stream, not change anything',
      );
    }
    if (access === 'register' && principal.kind === 'registration') return;
    if (access === 'scrape' && principal.kind === 'scrape') return;
    if (access === 'telemetry' && (principal.kind === 'registration' || principal.kind === 'agent')) return;
    if (access === 'agent' && principal.kind === 'agent') {
      const id = (request.params as { id?: string } | undefined)?.id;
      // Routes without :id (the batch route) check each item's agent themselves.
      if (id === undefined || id === principal.agentId) return;
      throw forbidden(`this api_key belongs to agent ${JSON.stringify(principal.agentId)}, not ${JSON.stringify(id)}`);
    }
    throw forbidden(
      principal.kind === 'agent'
        ? "an agent's api_key only works for its own metrics, heartbeat and health routes"
        : principal.kind === 'scrape'
          ? 'the scrape token only works for GET /metrics'
          : 'the registration token only works for POST /api/v1/agents',
    );
  });

  async function identify(token: string): Promise<Principal | null> {
    const digest = tokenDigest(token);
    if (digestMatches(digest, adminHash)) return { kind: 'admin' };
    if (registrationHash && digestMatches(digest, registrationHash)) return { kind: 'registration' };
    for (const hash of viewerHashes) if (digestMatches(digest, hash)) return { kind: 'viewer', id: hash.toString('hex').slice(0, 12) };
    if (scrapeHash && digestMatches(digest, scrapeHash)) return { kind: 'scrape' };
    const agentId = agentIdOfKey(token);
    if (agentId === null) return null;
    const context = (await options.metadata.getIngestContexts([agentId])).get(agentId);
    if (!context?.keyHash || !digestMatches(digest, Buffer.from(context.keyHash, 'hex'))) return null;
    return { kind: 'agent', agentId, context };
  }
}
