/**
 * Test harness: a built app (inject, no socket) on a fresh store, for each backend the machine has:
 * SQLite always, PostgreSQL when AGENTMON_TEST_DATABASE_URL is set (a schema of its own per app).
 */
import { describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { buildApp, type App } from '../src/app.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../src/config.js';
import { openStores, type Stores } from '../src/storage/index.js';

/** PostgreSQL URL for tests, or undefined when the machine has none configured. */
export const PG_URL = process.env.AGENTMON_TEST_DATABASE_URL;

/** The backends to run a suite against; PostgreSQL is listed with a skip reason when not configured. */
export const BACKENDS: { name: 'sqlite' | 'postgres'; skip: string | false }[] = [
  { name: 'sqlite', skip: false },
  { name: 'postgres', skip: PG_URL ? false : 'AGENTMON_TEST_DATABASE_URL is not set' },
];

/**
 * Declares `fn`'s suite once per backend. A backend without a database still shows up as a skipped
 * test (node 20 does not count a skipped describe), so CI can refuse a run that skipped PostgreSQL.
 */
export function eachBackend(title: string, fn: (backend: 'sqlite' | 'postgres') => void): void {
  for (const backend of BACKENDS) {
    const name = `${title} on ${backend.name}`;
    if (backend.skip) describe(name, () => it('runs against this backend', { skip: backend.skip }, () => undefined));
    else describe(name, () => fn(backend.name));
  }
}

/** An admin token for tests. */
export const ADMIN = 'test-admin-token-0123456789';
/** A registration token for tests. */
export const REGISTRATION = 'test-registration-token-0123456789';

/** A test app and what it runs on. */
export interface TestApp {
  app: App;
  stores: Stores;
  config: ServerConfig;
  /** Fake clock: tests move it. */
  clock: { now: number };
  close(): Promise<void>;
}

/** Fresh stores on `backend` (SQLite in a temp dir, or a fresh PostgreSQL schema). */
export async function freshStores(backend: 'sqlite' | 'postgres'): Promise<{ stores: Stores; dataDir: string; cleanup(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'agentmon-test-'));
  if (backend === 'sqlite') {
    const stores = await openStores({ dataDir, databaseUrl: null });
    return {
      stores,
      dataDir,
      async cleanup() {
        await stores.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const schema = `t_api_${randomBytes(6).toString('hex')}`;
  const stores = await openStores({ dataDir, databaseUrl: PG_URL as string, schema });
  return {
    stores,
    dataDir,
    async cleanup() {
      await stores.close();
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Builds an app on fresh stores; `overrides` change the config. */
export async function testApp(backend: 'sqlite' | 'postgres', overrides: Partial<ServerConfig> = {}): Promise<TestApp> {
  const { stores, dataDir, cleanup } = await freshStores(backend);
  const config: ServerConfig = { ...DEFAULT_CONFIG, dataDir, registrationToken: REGISTRATION, logLevel: 'silent', ...overrides };
  const clock = { now: Date.parse('2026-03-01T12:00:00.000Z') };
  const app = await buildApp(config, {
    metadata: stores.metadata,
    series: stores.series,
    adminToken: ADMIN,
    storageKind: stores.kind,
    broadcaster: stores.broadcaster,
    clock: () => clock.now,
    logger: false,
  });
  await app.ready();
  return {
    app,
    stores,
    config,
    clock,
    async close() {
      await app.close();
      await cleanup();
    },
  };
}

/** Headers carrying a bearer token. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A valid registration body (the seed's AgentInfo), with overrides. */
export function agentBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'support-bot',
    type: 'chatbot',
    version: '1.2.0',
    deployment_type: 'kubernetes',
    host: 'pod-7f9c',
    environment: 'production',
    tags: ['support', 'gpt'],
    ...overrides,
  };
}

/** A valid AgentMetrics payload, with overrides of its top-level fields. */
export function metricsBody(agentId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    agent_id: agentId,
    resource_metrics: { cpu_usage_percent: 42.5, memory_usage_bytes: 512_000_000, memory_usage_percent: 55, disk_usage_bytes: 1_000_000 },
    performance_metrics: { tasks_completed: 10, tasks_failed: 1, error_rate: 0.01, average_response_time_ms: 250 },
    ai_metrics: { tokens_processed: 1200, tokens_per_second: 35.5, model_inference_time_ms: 180 },
    ...overrides,
  };
}

/** Registers an agent through the API; returns its id and api_key. */
export async function register(t: TestApp, overrides: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: bearer(ADMIN), payload: agentBody(overrides) });
  if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  const body = res.json() as { agent_id: string; api_key: string };
  return { id: body.agent_id, key: body.api_key };
}

/** Polls `ok` every `everyMs` until it holds; fails after `deadlineMs` naming `what`. */
export async function until(what: string, ok: () => boolean | Promise<boolean>, deadlineMs: number, everyMs = 20): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The value of the one sample `series` (name and labels exactly as exposed) in a Prometheus exposition, or undefined. */
export function sample(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
