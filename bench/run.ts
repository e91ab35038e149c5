/**
 * `npm run bench`: ingest rates, query latency and memory of the agentmon server, on SQLite, on
 * PostgreSQL, and with the series in InfluxDB 1.x (metadata in SQLite; a private influxd the bench
 * starts and removes). Figures only, no pass/fail; bench/README.md says what each one means.
 *
 * The server runs in a child process (bench/server.mjs) built with buildApp on fresh stores and
 * listening on 127.0.0.1; this process is the load generator, talking real HTTP over keep-alive
 * sockets, and the receiver of the alert phase's webhook notifications. Both (and PostgreSQL or influxd)
 * share the machine's cores, so CPU use is measured per phase and printed beside every rate.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { arch, cpus, platform, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import pg from 'pg';
import { defaultMonitoringConfig, type AlertDetail, type MetricsResponse, type RegisterResponse } from '@agentmon/schema';
// The test suite's launcher of a private influxd (free loopback ports, config and data in a temp dir).
import { INFLUX_SKIP, INFLUXD, influxServer, type InfluxServer } from '@agentmon/server/testing';
import { intEnv } from './env.js';
import { BenchClient, closedLoop, type HttpResult, type LoadResult } from './http.js';
import { influxCell, influxQuery } from './influxql.js';
import { makeFleet, metricsPayload, prng, registration } from './payloads.js';
import { cpuOf, findPid, rssOf, treeBytes } from './proc.js';
import type { ServerSpec } from './protocol.js';
import { ServerChild } from './server-child.js';
import { backgroundLoad, cpuSeconds, fmt, fmtRate, latency, machineCpu, mib, type Latency, type MachineCpu } from './stats.js';

// ---------------------------------------------------------------- knobs

const AGENTS = intEnv('BENCH_AGENTS', 1000, 1);
const STEP_S = intEnv('BENCH_STEP_SECONDS', 120, 1);
const SINGLE_REQUESTS = intEnv('BENCH_SINGLE_REQUESTS', 10_000, 1);
const CONCURRENCY = intEnv('BENCH_CONCURRENCY', 32, 1);
const BATCH_SIZE = intEnv('BENCH_BATCH_SIZE', 500, 1);
// Two batches in flight keep the server busy while one is on the wire; with batches that hold one
// time step of the fleet in order, two in flight never carry the same agent (no state races).
const BATCH_CONCURRENCY = intEnv('BENCH_BATCH_CONCURRENCY', 2, 1);
const QUERY_RUNS = intEnv('BENCH_QUERY_RUNS', 20, 1);
const ALERT_RUNS = intEnv('BENCH_ALERT_RUNS', 20, 1);
// influx joins the default when an influxd binary is there (INFLUX_SKIP says why not otherwise).
const DEFAULT_BACKENDS = INFLUX_SKIP ? 'sqlite,postgres' : 'sqlite,postgres,influx';
const BACKENDS = (process.env.BENCH_BACKENDS ?? DEFAULT_BACKENDS)
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '');
const PG_URL = process.env.AGENTMON_BENCH_DATABASE_URL ?? process.env.AGENTMON_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const DAY_MS = 86_400_000;
const STEPS = Math.floor(DAY_MS / 1000 / STEP_S);
const ADMIN = randomBytes(24).toString('hex');

// ---------------------------------------------------------------- phases

/** CPU spent during a phase, seconds, and the wall time it took. */
interface CpuShare {
  wallS: number;
  serverS: number;
  clientS: number;
  /** Everything else on the machine: PostgreSQL's backends or influxd, mostly. */
  otherS: number;
  /** Of otherS, the database server process's own (influxd, read from /proc); null where not read. */
  dbS: number | null;
}

/** What one phase measured. */
interface Phase {
  requests: number;
  payloads: number;
  failures: number;
  latency: Latency;
  cpu: CpuShare;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  /** The database server's own memory after the phase, where the bench can read it (influxd). */
  db?: DbMemory | null;
}

/** Memory of a database server process (influxd): RSS from /proc when readable, and its Go heap in use. */
interface DbMemory {
  name: string;
  rss: number | null;
  heapInUse: number;
}

/** Counters read before a phase. */
interface Mark {
  machine: MachineCpu;
  client: NodeJS.CpuUsage;
  server: NodeJS.CpuUsage;
  /** The database server process's CPU seconds so far, where read. */
  db: number | null;
  at: number;
}

/** Reads the database server process's CPU seconds so far (influxd), or null. */
type DbCpu = (() => number | null) | undefined;

async function mark(server: ServerChild, dbCpu: DbCpu): Promise<Mark> {
  const s = await server.stats();
  return { machine: machineCpu(), client: process.cpuUsage(), server: s.cpu, db: dbCpu?.() ?? null, at: performance.now() };
}

async function finish(server: ServerChild, dbCpu: DbCpu, before: Mark, load: LoadResult, requests: number, payloadsPerRequest: number): Promise<Phase> {
  const client = process.cpuUsage();
  const machine = machineCpu();
  const db = dbCpu?.() ?? null;
  const s = await server.stats();
  const serverS = cpuSeconds(before.server, s.cpu);
  const clientS = cpuSeconds(before.client, client);
  const busyS = (machine.busyMs - before.machine.busyMs) / 1000;
  if (load.failures > 0) {
    console.log(`    ${load.failures} request(s) failed; first: \n      ${load.firstFailures.join('\n      ')}`);
  }
  return {
    requests,
    payloads: (requests - load.failures) * payloadsPerRequest,
    failures: load.failures,
    latency: latency(load.latencies),
    cpu: { wallS: load.wallMs / 1000, serverS, clientS, otherS: Math.max(0, busyS - serverS - clientS), dbS: db === null || before.db === null ? null : db - before.db },
    rss: s.memory.rss,
    heapUsed: s.memory.heapUsed,
    heapTotal: s.memory.heapTotal,
  };
}

function cpuLine(c: CpuShare): string {
  const cores = cpus().length;
  const db = c.dbS === null ? '' : ` (influxd ${fmt(c.dbS)})`;
  return `cpu s: server ${fmt(c.serverS)}, client ${fmt(c.clientS)}, other ${fmt(c.otherS)}${db} of ${fmt(c.wallS * cores)} (${cores} cores x ${fmt(c.wallS)} s wall)`;
}

function memLine(p: Phase): string {
  const db = p.db ? `; ${p.db.name} rss ${p.db.rss === null ? '?' : mib(p.db.rss)} MiB, Go heap in use ${mib(p.db.heapInUse)} MiB` : '';
  return `server rss ${mib(p.rss)} MiB, heap ${mib(p.heapUsed)}/${mib(p.heapTotal)} MiB${db}`;
}

/** Figures of one backend, for the table. */
interface BackendFigures {
  location: string;
  register: Phase;
  batch: Phase;
  single: Phase;
  queryOne: Phase;
  queryFleet: Phase;
  pointsOne: number;
  pointsFleet: number;
  alerts: AlertFigures;
  storage: Storage | null;
  /** Cores other processes kept busy just before the backend's run. */
  backgroundCores: number;
}

/** Bytes on disk: the total, and the largest files or relations. */
interface Storage {
  bytes: number;
  parts: { name: string; bytes: number }[];
}

/** How a backend's own resources are read: storage on disk after the run, and the database server's memory after phases. */
interface Probes {
  storage: () => Promise<Storage | null>;
  dbMemory?: () => Promise<DbMemory | null>;
  /** The database server process's CPU seconds so far (read before and after each phase). */
  dbCpuS?: () => number | null;
  /** Said after the storage figure. */
  storageNote?: string;
}

async function runBackend(backend: 'sqlite' | 'postgres' | 'influx', spec: ServerSpec, probes: Probes): Promise<BackendFigures> {
  const dbMemory = async (p: Phase): Promise<void> => {
    if (probes.dbMemory) p.db = await probes.dbMemory();
  };
  // Other work on the machine takes cores from the server and the database; measured, not guessed.
  const backgroundCores = await backgroundLoad(2000);
  const { server, port, location, notifyGroupWaitMs } = await ServerChild.start(spec);
  const client = new BenchClient(port, ADMIN, Math.max(CONCURRENCY, BATCH_CONCURRENCY));
  try {
    console.log(`\n== ${backend}: ${location}`);
    console.log(`  machine   ${fmt(backgroundCores, 2)} of ${cpus().length} cores busy with other processes just before this run`);
    const fleet = makeFleet(AGENTS);
    const ids: string[] = new Array<string>(AGENTS);

    // Registration: not asked for, but it is the setup every other phase needs and costs little.
    let m = await mark(server, probes.dbCpuS);
    let load = await closedLoop(AGENTS, CONCURRENCY, 201, async (i) => {
      const r = await client.request('POST', '/api/v1/agents', JSON.stringify(registration(fleet[i] as (typeof fleet)[number])));
      if (r.status === 201) ids[i] = (JSON.parse(r.body) as RegisterResponse).agent_id;
      return r;
    });
    const register = await finish(server, probes.dbCpuS, m, load, AGENTS, 1);
    await dbMemory(register);
    if (register.failures > 0) throw new Error('registration failed; the other phases need every agent');
    console.log(`  register  ${AGENTS} agents: ${fmtRate(AGENTS / register.cpu.wallS)} agents/s, p50 ${fmt(register.latency.p50)} ms, p95 ${fmt(register.latency.p95)} ms`);
    console.log(`            ${memLine(register)}`);

    // History first (a backfill of the last 24 h), then live single payloads at "now": sent the
    // other way round, every history payload would be older than the agent's latest and take the
    // engine's late-data path, which real agents rarely do.
    const total = AGENTS * STEPS;
    const batches = Math.ceil(total / BATCH_SIZE);
    const start = Date.now() - DAY_MS;
    const stepMs = STEP_S * 1000;
    const r = prng(7);
    let stored = 0;
    m = await mark(server, probes.dbCpuS);
    load = await closedLoop(batches, BATCH_CONCURRENCY, 202, async (b) => {
      // Time-major: a batch holds consecutive agents at one time step, as a collector relaying for
      // the fleet would send; each agent's reports are spread over its step so times differ.
      const body: string[] = [];
      for (let k = b * BATCH_SIZE; k < Math.min(total, (b + 1) * BATCH_SIZE); k++) {
        const step = Math.floor(k / AGENTS);
        const a = k % AGENTS;
        const ts = start + step * stepMs + Math.floor((a * stepMs) / AGENTS);
        body.push(JSON.stringify(metricsPayload(fleet[a] as (typeof fleet)[number], ids[a] as string, ts, STEP_S, r)));
      }
      const res = await client.request('POST', '/api/v1/metrics', `[${body.join(',')}]`);
      if (res.status === 202) stored += body.length;
      return res;
    });
    const batch = await finish(server, probes.dbCpuS, m, load, batches, BATCH_SIZE);
    // The last batch may be short: count what was stored.
    batch.payloads = stored;
    await dbMemory(batch);
    console.log(
      `  batch     ${fmtRate(total)} payloads (${AGENTS} agents x ${STEPS} steps of ${STEP_S} s = 24 h) in ${fmtRate(batches)} batches of ${BATCH_SIZE}, ${BATCH_CONCURRENCY} in flight:`,
    );
    console.log(`            ${fmtRate(batch.payloads / batch.cpu.wallS)} payloads/s, batch p50 ${fmt(batch.latency.p50)} ms, p95 ${fmt(batch.latency.p95)} ms, max ${fmt(batch.latency.max)} ms`);
    console.log(`            ${cpuLine(batch.cpu)}`);
    console.log(`            ${memLine(batch)}`);

    // Live single payloads, bodies built before the clock starts so the measured client does
    // little more than write them; a short unmeasured warm-up first so JIT and pools settle.
    const warmup = CONCURRENCY * 10;
    const now = Date.now();
    const singles = Array.from({ length: warmup + SINGLE_REQUESTS }, (_, i) => {
      const a = i % AGENTS;
      const id = ids[a] as string;
      const body = JSON.stringify(metricsPayload(fleet[a] as (typeof fleet)[number], id, now + i, STEP_S, r));
      return { path: `/api/v1/agents/${encodeURIComponent(id)}/metrics`, body: Buffer.from(body) };
    });
    const sendOne = (i: number): Promise<HttpResult> => {
      const one = singles[i] as (typeof singles)[number];
      return client.request('POST', one.path, one.body);
    };
    await closedLoop(warmup, CONCURRENCY, 202, sendOne);
    m = await mark(server, probes.dbCpuS);
    load = await closedLoop(SINGLE_REQUESTS, CONCURRENCY, 202, (i) => sendOne(i + warmup));
    const single = await finish(server, probes.dbCpuS, m, load, SINGLE_REQUESTS, 1);
    await dbMemory(single);
    console.log(`  single    ${fmtRate(SINGLE_REQUESTS)} requests, ${CONCURRENCY} in flight, agents round-robin:`);
    console.log(`            ${fmtRate(single.payloads / single.cpu.wallS)} payloads/s, p50 ${fmt(single.latency.p50)} ms, p95 ${fmt(single.latency.p95)} ms, max ${fmt(single.latency.max)} ms`);
    console.log(`            ${cpuLine(single.cpu)}`);
    console.log(`            ${memLine(single)}`);

    // Queries, one at a time: latency, not throughput.
    const end = Date.now();
    const range = `start_time=${new Date(end - DAY_MS).toISOString()}&end_time=${new Date(end).toISOString()}`;
    const common = `${range}&interval=5m&aggregation=avg&metric_names=cpu_usage_percent,tokens_per_second`;
    const points = { one: 0, fleet: 0 };
    const query = async (path: string, key: 'one' | 'fleet'): Promise<HttpResult> => {
      const res = await client.request('GET', path);
      if (res.status === 200) points[key] = (JSON.parse(res.body) as MetricsResponse).total_points;
      return res;
    };
    const onePath = (i: number) => `/api/v1/metrics/query?${common}&agent_ids=${encodeURIComponent(ids[(i * 37) % AGENTS] as string)}`;
    const fleetPath = `/api/v1/metrics/query?${common}&group_by=none`;
    await closedLoop(2, 1, 200, (i) => query(onePath(i + QUERY_RUNS), 'one'));
    m = await mark(server, probes.dbCpuS);
    load = await closedLoop(QUERY_RUNS, 1, 200, (i) => query(onePath(i), 'one'));
    const queryOne = await finish(server, probes.dbCpuS, m, load, QUERY_RUNS, 0);
    console.log(`  query 1   agent, 5m avg over 24 h of 2 metrics: p50 ${fmt(queryOne.latency.p50)} ms, p95 ${fmt(queryOne.latency.p95)} ms (${points.one} points, ${QUERY_RUNS} runs)`);
    await closedLoop(2, 1, 200, () => query(fleetPath, 'fleet'));
    m = await mark(server, probes.dbCpuS);
    load = await closedLoop(QUERY_RUNS, 1, 200, () => query(fleetPath, 'fleet'));
    const queryFleet = await finish(server, probes.dbCpuS, m, load, QUERY_RUNS, 0);
    await dbMemory(queryFleet);
    console.log(`  query all ${AGENTS} agents merged (group_by=none): p50 ${fmt(queryFleet.latency.p50)} ms, p95 ${fmt(queryFleet.latency.p95)} ms (${points.fleet} points, ${QUERY_RUNS} runs)`);
    console.log(`            ${cpuLine(queryFleet.cpu)}`);
    console.log(`            ${memLine(queryFleet)}`);

    // Alert latency, one run at a time: the server's default group wait is in the webhook figure.
    const alerts = await alertPhase(client, notifyGroupWaitMs);
    const missed = alerts.apiMissed + alerts.webhookMissed > 0 ? `; MISSED: ${alerts.apiMissed} in the API, ${alerts.webhookMissed} webhooks` : '';
    console.log(`  alerts    ${alerts.runs} runs, one breaching payload (cpu ${BREACH_CPU} %) to a fresh agent each, timed from its 202${missed}:`);
    console.log(
      `            in GET /alerts p50 ${fmt(alerts.api.p50)} ms, p95 ${fmt(alerts.api.p95)} ms, max ${fmt(alerts.api.max)} ms (one GET at a time, ${POLL_MS} ms apart: there at the first GET in ${alerts.firstPollHits} of ${alerts.api.n} runs, at most ${alerts.maxPolls} GET(s) in one run)`,
    );
    console.log(
      `            webhook        p50 ${fmt(alerts.webhook.p50)} ms, p95 ${fmt(alerts.webhook.p95)} ms, max ${fmt(alerts.webhook.max)} ms (includes the notifier's group wait of ${alerts.groupWaitMs} ms, the default, by design${alerts.stray > 0 ? `; ${alerts.stray} message(s) with no run's alert ignored` : ''})`,
    );

    const storage = await probes.storage();
    if (storage !== null) {
      // MiB; one decimal below 10 MiB, so small parts do not read 0.
      const parts = storage.parts.map((p) => `${p.name} ${p.bytes < 10 * 1024 * 1024 ? fmt(p.bytes / 1024 / 1024) : mib(p.bytes)}`).join(', ');
      const payloads = batch.payloads + single.payloads + alerts.runs;
      console.log(`  storage   ${mib(storage.bytes)} MiB on disk, ${fmt(storage.bytes / Math.max(1, payloads), 0)} B/payload (${parts})`);
      if (probes.storageNote) console.log(`            ${probes.storageNote}`);
    }

    return { location, register, batch, single, queryOne, queryFleet, pointsOne: points.one, pointsFleet: points.fleet, alerts, storage, backgroundCores };
  } catch (err) {
    server.kill();
    throw err;
  } finally {
    client.close();
    await server.stop().catch(() => server.kill());
  }
}

// ---------------------------------------------------------------- alert latency

/** What the alert phase measured: from the 202 of a breaching payload to the alert being seen. */
interface AlertFigures {
  runs: number;
  /** To the alert showing in GET /api/v1/alerts?active=true&agent_id=..., ms. */
  api: Latency;
  /** To the webhook message arriving at the receiver (whole body read), ms; includes the group wait. */
  webhook: Latency;
  /** The server's notifier group wait in effect, ms. */
  groupWaitMs: number;
  /** Runs whose alert did not show in the API, or whose webhook did not arrive, before the deadline. */
  apiMissed: number;
  webhookMissed: number;
  /** Runs where the alert was already there on the first GET after the 202, and the most GETs one run took. */
  firstPollHits: number;
  maxPolls: number;
  /** Webhook messages that carried none of the runs' alerts (e.g. a group left open by the ingest phases). */
  stray: number;
}

/** CPU value of the breaching payload: well above the default cpu_threshold (80), critical (above 90) too. */
const BREACH_CPU = 95;
/** The metric whose alert each run waits for. */
const ALERT_METRIC = 'cpu_usage_percent';
/** Pause between tight polls of the alert list, ms. */
const POLL_MS = 2;
/** How long a run waits for the alert in the API, ms; the webhook gets the group wait on top. */
const ALERT_DEADLINE_MS = 10_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * An HTTP server on 127.0.0.1 that takes agentmon's generic webhook messages (version 1) and tells
 * who waits for an agent's CPU alert when its `fired` message arrived.
 */
class WebhookReceiver {
  /** Messages that carried no awaited alert. */
  stray = 0;
  private readonly waiting = new Map<string, (at: number) => void>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | null = null;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        // Arrival: the whole message is in.
        const at = performance.now();
        res.writeHead(204).end();
        receiver?.take(Buffer.concat(chunks).toString('utf8'), at);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${port}/agentmon-bench`);
    return receiver;
  }

  /** When the fired CPU alert of `agentId` arrives (performance.now()), or null after `timeoutMs`. */
  expect(agentId: string, timeoutMs: number): Promise<number | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(agentId);
        resolve(null);
      }, timeoutMs);
      this.waiting.set(agentId, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }

  private take(body: string, at: number): void {
    let alerts: unknown = null;
    try {
      const message: unknown = JSON.parse(body);
      if (typeof message === 'object' && message !== null) alerts = (message as { alerts?: unknown }).alerts;
    } catch {
      // Not JSON: counted as stray below.
    }
    let matched = false;
    for (const a of Array.isArray(alerts) ? (alerts as unknown[]) : []) {
      if (typeof a !== 'object' || a === null) continue;
      const { kind, agent_id: agentId, metric_name: metric } = a as { kind?: unknown; agent_id?: unknown; metric_name?: unknown };
      if (kind !== 'fired' || metric !== ALERT_METRIC || typeof agentId !== 'string') continue;
      const resolve = this.waiting.get(agentId);
      if (!resolve) continue;
      this.waiting.delete(agentId);
      resolve(at);
      matched = true;
    }
    if (!matched) this.stray += 1;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * BENCH_ALERT_RUNS runs, one after another: register a fresh agent (default MonitoringConfig: no
 * pending period), send it one payload with CPU at BREACH_CPU, and from the 202 time (a) the alert
 * showing in GET /alerts, polled one request at a time every POLL_MS, and (b) the webhook arriving.
 */
async function alertPhase(client: BenchClient, groupWaitMs: number): Promise<AlertFigures> {
  const receiver = await WebhookReceiver.start();
  try {
    const target = await client.request('POST', '/api/v1/notifications', JSON.stringify({ name: 'bench receiver', kind: 'webhook', url: receiver.url }));
    if (target.status !== 201) throw new Error(`cannot create the webhook target: HTTP ${target.status} ${target.body.slice(0, 300)}`);
    // A group opened by the ingest phases' alerts (the notifier batches for groupWaitMs) would now
    // go to the receiver, and a run's alert joining it would go out early: let it flush first.
    await sleep(groupWaitMs + 250);

    // Fresh agents, each with names of their own; their payloads breach CPU only (no noise, no
    // spike, a low error rate, healthy checks), so each run's alert is the only one of its group.
    const profiles = makeFleet(ALERT_RUNS, 4242).map((p) => ({ ...p, index: AGENTS + p.index, errorRate: 0.005 }));
    const api: number[] = [];
    const webhook: number[] = [];
    let apiMissed = 0;
    let webhookMissed = 0;
    let firstPollHits = 0;
    let maxPolls = 0;
    for (const profile of profiles) {
      const reg = await client.request('POST', '/api/v1/agents', JSON.stringify(registration(profile)));
      if (reg.status !== 201) throw new Error(`cannot register an alert-phase agent: HTTP ${reg.status} ${reg.body.slice(0, 300)}`);
      const { agent_id: id, config: served } = JSON.parse(reg.body) as RegisterResponse;
      // Fields left out take the seed's defaults, as the engine reads them.
      const config = { ...defaultMonitoringConfig(id), ...served };
      if (config.alert_pending_seconds !== 0 || config.cpu_threshold >= BREACH_CPU || config.custom_thresholds[ALERT_METRIC] !== undefined) {
        throw new Error(
          `a fresh agent's config would not fire at once (alert_pending_seconds ${config.alert_pending_seconds}, cpu_threshold ${config.cpu_threshold}); the alert phase needs the defaults`,
        );
      }
      const base = metricsPayload(profile, id, Date.now(), STEP_S, () => 0.5);
      const payload = { ...base, resource_metrics: { ...base.resource_metrics, cpu_usage_percent: BREACH_CPU } };
      const body = Buffer.from(JSON.stringify(payload));
      const alertsPath = `/api/v1/alerts?active=true&agent_id=${encodeURIComponent(id)}`;
      // Listening before sending: nothing that arrives can be missed.
      const arrival = receiver.expect(id, ALERT_DEADLINE_MS + groupWaitMs);

      const res = await client.request('POST', `/api/v1/agents/${encodeURIComponent(id)}/metrics`, body);
      const t0 = performance.now();
      if (res.status !== 202) throw new Error(`breaching payload refused: HTTP ${res.status} ${res.body.slice(0, 300)}`);

      let seenAt: number | null = null;
      let polls = 0;
      while (performance.now() - t0 < ALERT_DEADLINE_MS) {
        polls += 1;
        const q = await client.request('GET', alertsPath);
        const at = performance.now();
        if (q.status !== 200) throw new Error(`GET ${alertsPath}: HTTP ${q.status} ${q.body.slice(0, 300)}`);
        const { items } = JSON.parse(q.body) as { items: AlertDetail[] };
        if (items.some((a) => a.metric_name === ALERT_METRIC && a.is_active)) {
          seenAt = at;
          break;
        }
        await sleep(POLL_MS);
      }
      if (seenAt === null) apiMissed += 1;
      else {
        api.push(seenAt - t0);
        if (polls === 1) firstPollHits += 1;
      }
      maxPolls = Math.max(maxPolls, polls);

      const arrivedAt = await arrival;
      if (arrivedAt === null) webhookMissed += 1;
      else webhook.push(arrivedAt - t0);
      // After a delivery the notifier stamps last_notified_at on the alert: let it finish before the
      // next run's clock starts.
      await sleep(50);
    }
    return {
      runs: ALERT_RUNS,
      api: latency(api),
      webhook: latency(webhook),
      groupWaitMs,
      apiMissed,
      webhookMissed,
      firstPollHits,
      maxPolls,
      stray: receiver.stray,
    };
  } finally {
    await receiver.close();
  }
}

// ---------------------------------------------------------------- backends

/** Sizes of what the data dir holds: the SQLite metadata database with its -wal file, the series engine's directory. */
function dirStorage(dir: string): Storage {
  const parts = readdirSync(dir, { withFileTypes: true })
    .map((e) => ({ name: e.isDirectory() ? `${e.name}/` : e.name, bytes: e.isDirectory() ? treeBytes(join(dir, e.name)) : statSync(join(dir, e.name)).blocks * 512 }))
    .sort((a, b) => b.bytes - a.bytes);
  return { bytes: parts.reduce((n, p) => n + p.bytes, 0), parts: parts.filter((p) => p.bytes >= 1024 * 1024) };
}

async function runSqlite(): Promise<BackendFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'agentmon-bench-'));
  try {
    return await runBackend('sqlite', { dataDir, databaseUrl: null, schema: null, influxUrl: null, adminToken: ADMIN }, { storage: async () => dirStorage(dataDir) });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Null when PostgreSQL answers; else why not. */
async function postgresUnreachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return (err as Error).message || String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function withPg<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function runPostgres(): Promise<BackendFigures | string> {
  const why = await postgresUnreachable();
  if (why) return `PostgreSQL unreachable at ${redact(PG_URL)} (${why}); skipped`;
  // These settings move the figures (autovacuum off lets updated rows pile up), so they are shown.
  const settings = await withPg(async (c) => {
    const res = await c.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings WHERE name IN ('server_version', 'autovacuum', 'fsync', 'synchronous_commit', 'shared_buffers', 'work_mem') ORDER BY name`,
    );
    return res.rows.map((r) => `${r.name}=${r.setting}${r.unit && r.unit !== '' ? ` x ${r.unit}` : ''}`).join(', ');
  });
  console.log(`\n== postgres settings: ${settings}`);
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'agentmon-bench-'));
  try {
    return await runBackend('postgres', { dataDir, databaseUrl: PG_URL, schema, influxUrl: null, adminToken: ADMIN }, {
      storage: () =>
        withPg(async (c) => {
          // Each table with its indexes and TOAST: what the schema holds on disk.
          const res = await c.query<{ name: string; bytes: string }>(
            `SELECT cl.relname AS name, pg_total_relation_size(cl.oid)::text AS bytes FROM pg_class cl
             JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE n.nspname = $1 AND cl.relkind IN ('r', 'm') ORDER BY 2 DESC`,
            [schema],
          );
          const parts = res.rows.map((r) => ({ name: r.name, bytes: Number(r.bytes) })).sort((a, b) => b.bytes - a.bytes);
          return { bytes: parts.reduce((n, p) => n + p.bytes, 0), parts: parts.filter((p) => p.bytes >= 1024 * 1024) };
        }),
    });
  } finally {
    await withPg((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)).catch((err: unknown) =>
      console.error(`could not drop schema ${schema}: ${(err as Error).message}`),
    );
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- InfluxDB

/** influxd's settings that move the figures, as SHOW DIAGNOSTICS reports them. */
const INFLUX_SETTINGS = [
  'cache-max-memory-size',
  'cache-snapshot-memory-size',
  'cache-snapshot-write-cold-duration',
  'compact-full-write-cold-duration',
  'max-concurrent-compactions',
  'wal-fsync-delay',
];

/**
 * Metadata in SQLite (a temp dir), series in InfluxDB: a private influxd started here with the test
 * suite's launcher (its own config, data and WAL in a temp dir, free loopback ports), one fresh
 * database; influxd is stopped and its temp dir removed at the end, also after a failure (and on
 * SIGINT/SIGTERM, or any exit, through the launcher's exit hook).
 */
async function runInflux(): Promise<BackendFigures | string> {
  if (INFLUX_SKIP) return `${INFLUX_SKIP}; skipped`;
  // process.exit runs the launcher's exit hook, which kills influxd and removes its temp dir; the
  // default signal action would skip it.
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: stopping influxd`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let influx: InfluxServer | null = null;
  let influxDir: string | null = null;
  const dataDir = mkdtempSync(join(tmpdir(), 'agentmon-bench-'));
  try {
    try {
      influx = await influxServer();
    } catch (err) {
      return `${INFLUXD} did not start (${((err as Error).message || String(err)).split('\n')[0]}); skipped`;
    }
    const base = influx.base;
    const diagnostics = await influxQuery(base, 'SHOW DIAGNOSTICS');
    const tsmDir = String(influxCell(diagnostics, 'config-data', 'dir'));
    const walDir = String(influxCell(diagnostics, 'config-data', 'wal-dir'));
    influxDir = dirname(tsmDir);
    const pid = findPid(join(influxDir, 'influxdb.conf'));
    const settings = INFLUX_SETTINGS.map((k) => `${k}=${String(influxCell(diagnostics, 'config-data', k))}`).join(', ');
    console.log(`\n== influx: InfluxDB ${String(influxCell(diagnostics, 'build', 'Version'))} (${INFLUXD}, pid ${pid ?? '?'}) at ${base}, data in ${influxDir}`);
    console.log(`   settings: ${settings}`);

    const url = influx.freshUrl('bench');
    const database = new URL(url).pathname.slice(1);
    return await runBackend('influx', { dataDir, databaseUrl: null, schema: null, influxUrl: url, adminToken: ADMIN }, {
      dbCpuS: () => cpuOf(pid),
      async dbMemory() {
        const runtime = await influxQuery(base, "SHOW STATS FOR 'runtime'");
        return { name: 'influxd', rss: rssOf(pid), heapInUse: Number(influxCell(runtime, 'runtime', 'HeapInUse')) };
      },
      async storage() {
        // The metadata (SQLite) and the database's TSM files and WAL, as left right after the run.
        const metadata = dirStorage(dataDir).bytes;
        const seriesFile = treeBytes(join(tsmDir, database, '_series'));
        const shards = treeBytes(join(tsmDir, database)) - seriesFile;
        const wal = treeBytes(join(walDir, database));
        const parts = [
          { name: 'SQLite metadata', bytes: metadata },
          { name: 'influx shards (TSM, fields)', bytes: shards },
          { name: 'influx series file', bytes: seriesFile },
          { name: 'influx WAL', bytes: wal },
        ];
        return { bytes: metadata + shards + seriesFile + wal, parts };
      },
      storageNote:
        'InfluxDB: blocks allocated, as left right after the run: points still in its cache are in the WAL, and TSM files are fully compacted only after 4 h without writes (compact-full-write-cold-duration)',
    });
  } finally {
    if (influx) {
      await influx.stop().catch((err: unknown) => console.error(`could not stop influxd: ${(err as Error).message}`));
    }
    // stop() removes the temp dir unless influxd had already died; then it is removed here.
    if (influxDir !== null && basename(influxDir).startsWith('agentmon-influxd-')) rmSync(influxDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

// ---------------------------------------------------------------- report

function table(results: Map<string, BackendFigures | string>): string {
  const names = [...results.keys()];
  const done = names.filter((n) => typeof results.get(n) !== 'string');
  const get = (n: string) => results.get(n) as BackendFigures;
  const lat = (l: Latency) => `${fmt(l.p50)} / ${fmt(l.p95)}`;
  const mem = (p: Phase) => `${mib(p.rss)} / ${mib(p.heapUsed)}`;
  const cpuCell = (c: CpuShare) => `${fmt(c.serverS)} / ${fmt(c.clientS)} / ${fmt(c.otherS)}${c.dbS === null ? '' : ` (${fmt(c.dbS)})`}`;
  const dbMem = (p: Phase) => (p.db ? `${p.db.rss === null ? '?' : mib(p.db.rss)} / ${mib(p.db.heapInUse)}` : '-');
  const rows: [string, (f: BackendFigures) => string][] = [
    ['cores busy elsewhere before the run', (f) => fmt(f.backgroundCores, 2)],
    ['register: agents/s', (f) => fmtRate(AGENTS / f.register.cpu.wallS)],
    [`1. single ingest: payloads/s (${CONCURRENCY} in flight)`, (f) => fmtRate(f.single.payloads / f.single.cpu.wallS)],
    ['   request latency p50 / p95 ms', (f) => lat(f.single.latency)],
    ['   cpu s server / client / other (influxd)', (f) => cpuCell(f.single.cpu)],
    [`2. batch ingest: payloads/s (${BATCH_SIZE}/batch, ${BATCH_CONCURRENCY} in flight)`, (f) => fmtRate(f.batch.payloads / f.batch.cpu.wallS)],
    ['   batch latency p50 / p95 ms', (f) => lat(f.batch.latency)],
    ['   cpu s server / client / other (influxd)', (f) => cpuCell(f.batch.cpu)],
    ['3. query 1 agent 24h 5m avg p50 / p95 ms', (f) => lat(f.queryOne.latency)],
    [`   query fleet (${AGENTS}) group_by=none p50 / p95 ms`, (f) => lat(f.queryFleet.latency)],
    ['   points returned (1 agent / fleet)', (f) => `${f.pointsOne} / ${f.pointsFleet}`],
    ['4. server rss / heap MiB after register', (f) => mem(f.register)],
    ['   after batch (24 h history)', (f) => mem(f.batch)],
    ['   after single', (f) => mem(f.single)],
    ['   after queries', (f) => mem(f.queryFleet)],
    ['   influxd rss / Go heap in use MiB after batch', (f) => dbMem(f.batch)],
    ['   after queries', (f) => dbMem(f.queryFleet)],
    [`5. alert in GET /alerts after the 202 p50 / p95 ms (${ALERT_RUNS} runs)`, (f) => lat(f.alerts.api)],
    ['   webhook arrival after the 202 p50 / p95 ms', (f) => lat(f.alerts.webhook)],
    ['   of which notifier group wait ms (default)', (f) => `${f.alerts.groupWaitMs}`],
    ['storage on disk MiB', (f) => (f.storage === null ? '-' : mib(f.storage.bytes))],
  ];
  const header = ['figure', ...done];
  // Rows no backend that ran has a figure for (influxd's, without influx) are left out.
  const body = rows.map(([label, cell]) => [label, ...done.map((n) => cell(get(n)))]).filter((row) => row.slice(1).some((c) => c !== '-'));
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  const out = done.length === 0 ? ['no backend ran'] : [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  for (const n of names) {
    const r = results.get(n);
    if (typeof r === 'string') out.push(`${n}: ${r}`);
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const cpu = cpus();
  const machine = `${cpu.length} x ${cpu[0]?.model.trim() ?? 'unknown cpu'}, node ${process.version}, ${platform()} ${arch()}`;
  console.log('agentmon bench');
  console.log(`machine: ${machine}`);
  console.log(
    `fleet ${AGENTS} agents; history 24 h at one payload per agent every ${STEP_S} s (BENCH_STEP_SECONDS; real agents report every 60 s by default) = ${fmtRate(AGENTS * STEPS)} payloads`,
  );
  console.log(
    `single: ${SINGLE_REQUESTS} requests, ${CONCURRENCY} in flight; batch: ${BATCH_SIZE} payloads, ${BATCH_CONCURRENCY} in flight; queries: ${QUERY_RUNS} runs each, one at a time`,
  );
  console.log(
    `server: child process, buildApp on fresh stores, logger off, no sweeper, notifier at its defaults (no target before the alert phase); admin token for every request`,
  );
  console.log(`alerts: ${ALERT_RUNS} runs, one at a time (BENCH_ALERT_RUNS)`);
  console.log(`note: the load generator, the server and PostgreSQL or influxd share these ${cpu.length} cores; each phase prints the CPU each used`);
  console.log(`backends: ${BACKENDS.join(', ')}${process.env.BENCH_BACKENDS === undefined ? ' (BENCH_BACKENDS unset: the default)' : ''}`);
  if (process.env.BENCH_BACKENDS === undefined && INFLUX_SKIP) console.log(`note: influx left out of the default backends: ${INFLUX_SKIP}`);

  const results = new Map<string, BackendFigures | string>();
  for (const backend of BACKENDS) {
    if (backend === 'sqlite') results.set('sqlite', await runSqlite());
    else if (backend === 'postgres') {
      const r = await runPostgres();
      if (typeof r === 'string') console.log(`\n== postgres: ${r}`);
      results.set('postgres', r);
    } else if (backend === 'influx') {
      const r = await runInflux();
      if (typeof r === 'string') console.log(`\n== influx: ${r}`);
      results.set('influx', r);
    } else console.log(`\nunknown backend ${JSON.stringify(backend)} in BENCH_BACKENDS (sqlite, postgres, influx); ignored`);
  }

  console.log(`\n== summary (${machine})\n`);
  console.log(table(results));
}

// `npm run bench -- compare` (or BENCH_MODE=compare): agentmon against VictoriaMetrics and InfluxDB on
// one dataset (bench/compare.ts, its own knobs); no argument: the backends bench above.
const MODE = process.argv[2] ?? process.env.BENCH_MODE ?? 'default';
if (MODE !== 'default' && MODE !== 'compare') {
  console.error(`unknown bench mode ${JSON.stringify(MODE)}: use no argument (the backends bench) or "compare"`);
  process.exit(2);
}
(MODE === 'compare' ? import('./compare.js').then((m) => m.runCompare()) : main()).catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
