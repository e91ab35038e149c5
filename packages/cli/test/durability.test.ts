/**
 * What the README promises about acknowledged payloads, held against real server processes:
 * `agentmon serve` killed with SIGKILL during sustained ingest loses no payload it answered 202 for
 * (and keeps no half batch), and with two instances on one PostgreSQL the one left standing keeps
 * serving, holds every acknowledged payload of both, and takes over the sweeping.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const bin = join(root, 'packages', 'cli', 'src', 'bin.ts');
const ADMIN = `durability-admin-${randomBytes(8).toString('hex')}`;
const PG_URL = process.env.AGENTMON_TEST_DATABASE_URL;
const dirs: string[] = [];
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs `agentmon serve` on a free port with `env`; resolves once it listens. */
function serve(dataDir: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['AGENTMON_DATABASE_URL', 'AGENTMON_INFLUX_URL', 'AGENTMON_REGISTRATION_TOKEN', 'HOST', 'PORT', 'AGENTMON_DATA_DIR']) delete base[k];
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', bin, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'error'], {
    cwd: root,
    env: { ...base, AGENTMON_ADMIN_TOKEN: ADMIN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stderr?.on('data', (c) => (out += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 60_000);
    child.stdout?.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] as string });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code}: ${out}`));
    });
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function api(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null };
}

async function registerAgents(url: string, n: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await api(url, 'POST', '/api/v1/agents', { name: `${tag}-${i}`, type: 'llm_agent', version: '1', deployment_type: 'local', host: 'h', environment: 'prod' });
    assert.equal(res.status, 201, JSON.stringify(res.json));
    ids.push((res.json as { agent_id: string }).agent_id);
  }
  return ids;
}

const BASE = Date.now() - 3_600_000;
const PER_BATCH = 20;

/** Batch `n`: PER_BATCH payloads spread over the agents, each with custom.batch = n and a ts of its own. */
function batch(ids: readonly string[], n: number): unknown[] {
  return Array.from({ length: PER_BATCH }, (_, i) => ({
    agent_id: ids[i % ids.length],
    timestamp: new Date(BASE + n * PER_BATCH + i).toISOString(),
    resource_metrics: { cpu_usage_percent: 10, memory_usage_bytes: 1, memory_usage_percent: 10, disk_usage_bytes: 1 },
    performance_metrics: { tasks_completed: 1 },
    custom_metrics: { batch: n },
  }));
}

/** Sends batches from `senders` loops to the urls in turn until `stop()`; records the acknowledged ones. */
interface Load {
  acked: Set<number>;
  /** The last refusal or failure of each url, for a message when acknowledgements stop coming. */
  lastProblem: string;
  stop: () => Promise<void>;
}

function sendUntil(urls: readonly string[], ids: readonly string[], first: number, senders: number): Load {
  const acked = new Set<number>();
  const problems = new Map<string, string>();
  let next = first;
  let running = true;
  const loops = Array.from({ length: senders }, async (_, s) => {
    // Each sender goes round the urls itself, as a client behind a load balancer would: picking by
    // batch number could leave every sender in step on a dead instance once failures pace them alike.
    let turn = s;
    while (running) {
      const n = next++;
      const url = urls[turn++ % urls.length] as string;
      try {
        const res = await api(url, 'POST', '/api/v1/metrics', batch(ids, n));
        if (res.status === 202) acked.add(n);
        else {
          problems.set(url, `${res.status} ${JSON.stringify(res.json).slice(0, 300)}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } catch (err) {
        // The server went away mid-request: not acknowledged.
        problems.set(url, String(err));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  });
  return {
    acked,
    get lastProblem() {
      return problems.size === 0 ? 'none' : [...problems].map(([url, problem]) => `${url}: ${problem}`).join('; ');
    },
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

/**
 * Waits until `count` batches are acknowledged; after two minutes without, stops the load (so
 * the test file ends) and fails, naming the last problem.
 */
async function acknowledged(load: Load, count: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (load.acked.size < count) {
    if (Date.now() > deadline) {
      await load.stop();
      assert.fail(`only ${load.acked.size} of ${count} batches acknowledged in two minutes; last problem: ${load.lastProblem}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Payloads found per batch number, read through `url`. */
async function batchesFound(url: string): Promise<Map<number, number>> {
  const q = `start_time=${new Date(BASE - 1000).toISOString()}&end_time=${new Date(BASE + 10_000_000).toISOString()}&metric_names=custom.batch`;
  const res = await api(url, 'GET', `/api/v1/metrics/query?${q}`);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  const found = new Map<number, number>();
  for (const row of (res.json as { data: { 'custom.batch': number | null }[] }).data) {
    const n = row['custom.batch'];
    if (n !== null) found.set(n, (found.get(n) ?? 0) + 1);
  }
  return found;
}

function assertWhole(found: Map<number, number>, acked: Iterable<number>, what: string): void {
  let count = 0;
  for (const n of acked) {
    assert.equal(found.get(n) ?? 0, PER_BATCH, `${what}: acknowledged batch ${n} has ${found.get(n) ?? 0} of ${PER_BATCH} payloads`);
    count++;
  }
  for (const [n, k] of found) assert.equal(k, PER_BATCH, `${what}: batch ${n} is half there (${k})`);
  assert.ok(count > 0, `${what}: some batches were acknowledged`);
}

describe('durability of acknowledged payloads (real server processes)', () => {
  it('agentmon serve killed with SIGKILL during ingest keeps every acknowledged payload', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'agentmon-kill-'));
    dirs.push(dataDir);
    let server = await serve(dataDir, {});
    const ids = await registerAgents(server.url, 4, 'kill');
    const all = new Set<number>();
    for (let round = 0; round < 2; round++) {
      const load = sendUntil([server.url], ids, round * 100_000, 4);
      await acknowledged(load, 40);
      await killed(server.child);
      await load.stop();
      for (const n of load.acked) all.add(n);
      server = await serve(dataDir, {});
      assertWhole(await batchesFound(server.url), all, `after kill ${round + 1}`);
    }
    await killed(server.child);
  });

  it('two instances on one PostgreSQL: one killed mid-ingest, the other serves every acknowledged payload and takes over sweeping', { skip: PG_URL ? false : 'AGENTMON_TEST_DATABASE_URL is not set' }, async () => {
    const database = `agentmon_scale_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    try {
      const url = new URL(PG_URL as string);
      url.pathname = `/${database}`;
      const env = { AGENTMON_DATABASE_URL: url.toString(), AGENTMON_SWEEP_INTERVAL_MS: '300' };
      const dirA = mkdtempSync(join(tmpdir(), 'agentmon-a-'));
      const dirB = mkdtempSync(join(tmpdir(), 'agentmon-b-'));
      dirs.push(dirA, dirB);
      const a = await serve(dirA, env);
      const b = await serve(dirB, env);
      const ids = await registerAgents(a.url, 4, 'pair');
      // An agent that reports once and then goes silent: only a sweeper can mark it offline.
      const [silent] = await registerAgents(a.url, 1, 'silent');
      const cfg = await api(a.url, 'PATCH', `/api/v1/agents/${silent}/config`, { metrics_interval_seconds: 1, health_check_interval_seconds: 5 });
      assert.equal(cfg.status, 200, JSON.stringify(cfg.json));
      const load = sendUntil([a.url, b.url], ids, 0, 4);
      await acknowledged(load, 40);
      await killed(a.child);
      // B goes on taking payloads alone.
      await acknowledged(load, load.acked.size + 20);
      await load.stop();
      assertWhole(await batchesFound(b.url), load.acked, 'through the surviving instance');
      const heartbeat = await api(b.url, 'POST', `/api/v1/agents/${silent}/heartbeat`);
      assert.equal(heartbeat.status, 204);
      let status = '';
      for (let i = 0; i < 400 && status !== 'offline'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = ((await api(b.url, 'GET', `/api/v1/agents/${silent}`)).json as { status: string }).status;
      }
      assert.equal(status, 'offline', 'the surviving instance sweeps: a silent agent goes offline');
      await killed(b.child);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  });
});
