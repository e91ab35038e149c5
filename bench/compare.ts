/**
 * `npm run bench -- compare` (or BENCH_MODE=compare npm run bench): one generated dataset loaded
 * into agentmon, VictoriaMetrics and InfluxDB 1.x in one run, the same queries asked of each over
 * HTTP with their answers checked against the data, and a table of figures with agentmon /
 * VictoriaMetrics ratios. bench/README.md says what each figure means and how fairness is kept.
 *
 * The systems run one after another, never together, so none takes cores from another; each gets
 * the same batches (in its encoding), the same batch size and the same number in flight.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { arch, cpus, platform, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RegisterResponse } from '@agentmon/schema';
import { verdictOf, type Check } from './answers.js';
import { agentmonCount, agentmonQueries, influxCount, influxQueries, vmCount, vmQueries, type CountDef, type QueryDef } from './compare-queries.js';
import { printDetails, printTable, type Part, type RunInfo, type SystemFigures } from './compare-report.js';
import { BUCKET_MS, buildDataset, type BatchFile, type Dataset } from './dataset.js';
import { intEnv, numEnv } from './env.js';
import { BenchClient, closedLoop } from './http.js';
import { makeFleet, registration } from './payloads.js';
import { INFLUX_PEER_SKIP, startInfluxDB, startVictoriaMetrics, VM_SKIP, type Peer } from './peers.js';
import { cpuOf, peakRssOf, rssOf, rssPartsOf, treeBytes } from './proc.js';
import { ServerChild } from './server-child.js';
import { backgroundLoad, fmt, fmtRate, latency, machineCpu } from './stats.js';

// ---------------------------------------------------------------- knobs

const AGENTS = intEnv('BENCH_AGENTS', 1000, 1);
const STEP_S = intEnv('BENCH_STEP_SECONDS', 10, 1);
const HOURS = numEnv('BENCH_HOURS', 2);
const BATCH_SIZE = intEnv('BENCH_BATCH_SIZE', 1000, 1);
const BATCH_CONCURRENCY = intEnv('BENCH_BATCH_CONCURRENCY', 2, 1);
const QUERY_RUNS = intEnv('BENCH_QUERY_RUNS', 20, 1);
/**
 * Unmeasured runs of each query first (other agents than the measured runs'), so the JIT and the
 * connection pools are warm, as they are in a server that answers dashboards all day.
 */
const WARMUPS = intEnv('BENCH_QUERY_WARMUPS', 20, 0);
const PEERS = (process.env.BENCH_PEERS ?? 'vm,influx')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '');
/** Registrations in flight (setup, not measured). */
const REGISTER_CONCURRENCY = 32;
/** The data dir counts as settled once its size and the merges have not changed for this many 1-s polls... */
const SETTLE_STABLE_POLLS = 3;
/** ...or after this long, said in the report. */
const SETTLE_MAX_S = 60;
const ADMIN = randomBytes(24).toString('hex');

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- cleanup

/** Synchronous clean-ups (kill a child, remove a dir) run once: at the end, after a failure, or at exit (SIGINT included). */
class Cleanup {
  private readonly steps: (() => void)[] = [];

  /** Adds a step; returns a function that runs it now (and never again). */
  add(step: () => void): () => void {
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      try {
        step();
      } catch (err) {
        console.error(`clean-up: ${(err as Error).message}`);
      }
    };
    this.steps.push(once);
    return once;
  }

  /** Runs every step not yet run, newest first. */
  runAll = (): void => {
    for (const step of this.steps.reverse()) step();
    this.steps.length = 0;
  };
}

// ---------------------------------------------------------------- one system

/** A system under test as the measuring code sees it: where to send, what to ask, what to read. */
interface System {
  name: string;
  location: string;
  pid: () => number | null;
  dataDir: string;
  client: BenchClient;
  writePath: string;
  writeStatus: number;
  bodies: BatchFile;
  flush: () => Promise<string>;
  activeMerges: () => Promise<number | null>;
  diskParts: () => Part[];
  /** Bytes on disk of the series alone: agentmon's series dir; a peer's whole data dir (it keeps nothing else). */
  seriesBytes: () => number;
  notes: () => Promise<string>;
  count: CountDef;
  queries: QueryDef[];
  /** agentmon must answer exactly (within 1e-9); a peer may round. */
  exactOnly: boolean;
}

/** Waits until the data dir's size (and the merges, where told) stop changing, at most SETTLE_MAX_S. */
async function settle(s: System): Promise<{ seconds: number; settled: boolean }> {
  const t0 = performance.now();
  let last = -1;
  let stable = 0;
  while ((performance.now() - t0) / 1000 < SETTLE_MAX_S) {
    await sleep(1000);
    const bytes = treeBytes(s.dataDir);
    const merges = await s.activeMerges();
    stable = bytes === last && !merges ? stable + 1 : 0;
    last = bytes;
    if (stable >= SETTLE_STABLE_POLLS) return { seconds: (performance.now() - t0) / 1000, settled: true };
  }
  return { seconds: (performance.now() - t0) / 1000, settled: false };
}

/** Loads the dataset into one system, flushes and settles it, reads its disk, asks the queries, reads its memory. */
async function measure(s: System, d: Dataset): Promise<SystemFigures> {
  console.log(`\n-- ${s.name}: loading ${fmtRate(d.payloads)} payloads in ${fmtRate(d.batches)} batches, ${BATCH_CONCURRENCY} in flight`);
  const backgroundCores = await backgroundLoad(2000);
  const batchPayloads = (i: number) => Math.min(d.batchSize, d.payloads - i * d.batchSize);
  let acknowledged = 0;
  const cpu0 = cpuOf(s.pid());
  const send0 = process.cpuUsage();
  const machine0 = machineCpu();
  const load = await closedLoop(d.batches, BATCH_CONCURRENCY, s.writeStatus, async (i) => {
    const res = await s.client.request('POST', s.writePath, s.bodies.read(i));
    if (res.status === s.writeStatus) acknowledged += batchPayloads(i);
    return res;
  });
  const send1 = process.cpuUsage();
  const cpu1 = cpuOf(s.pid());
  const machine1 = machineCpu();
  const flushNote = await s.flush();
  const settled = await settle(s);
  const cpu2 = cpuOf(s.pid());
  const disk = { bytes: treeBytes(s.dataDir), parts: s.diskParts(), series: s.seriesBytes() };

  let stored: number | string;
  const counted = await s.client.request('GET', s.count.path);
  try {
    if (counted.status !== 200) throw new Error(`HTTP ${counted.status} ${counted.body.slice(0, 200)}`);
    stored = s.count.parse(counted.body);
  } catch (err) {
    stored = `count query failed: ${(err as Error).message}`;
  }

  const queries: SystemFigures['queries'] = [];
  for (const [k, q] of s.queries.entries()) {
    console.log(`-- ${s.name}: query ${k + 2}`);
    const checks: Check[] = [];
    const ask = async (i: number) => {
      const res = await s.client.request('GET', q.path(i));
      // Checked after the clock stopped (res.ms), so checking costs no system any time.
      checks.push(res.status === 200 ? q.check(res.body, i) : { compared: 0, maxRelErr: 0, problemCount: 1, problems: [`HTTP ${res.status} ${res.body.slice(0, 200)}`] });
      return res;
    };
    await closedLoop(WARMUPS, 1, 200, (i) => ask(QUERY_RUNS + i));
    const runs = await closedLoop(QUERY_RUNS, 1, 200, ask);
    queries.push({ latency: latency(runs.latencies), verdict: verdictOf(checks, s.exactOnly) });
  }

  const pid = s.pid();
  const serverCpuS = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
  const senderCpuS = (send1.user - send0.user + send1.system - send0.system) / 1e6;
  // The machine's busy time during the load less the server's and the sender's: other programs
  // (the machine is shared), the kernel's network and disk work.
  const otherS = (machine1.busyMs - machine0.busyMs) / 1000 - (serverCpuS ?? 0) - senderCpuS;
  return {
    name: s.name,
    location: s.location,
    backgroundCores,
    otherCoresDuringLoad: Math.max(0, otherS) / (load.wallMs / 1000),
    ingest: {
      wallS: load.wallMs / 1000,
      payloads: acknowledged,
      batches: d.batches,
      failures: load.failures,
      firstFailures: load.firstFailures,
      latency: latency(load.latencies),
      serverCpuS,
      settleCpuS: cpu1 === null || cpu2 === null ? null : cpu2 - cpu1,
      senderCpuS,
      flushNote,
      settleS: settled.seconds,
      settled: settled.settled,
    },
    stored,
    disk,
    queries,
    rss: rssOf(pid),
    peakRss: peakRssOf(pid),
    rssIdle: await idleRss(pid),
    notes: await s.notes(),
  };
}

/** Seconds of quiet after the queries before the second memory figure (Go's scavenger and agentmon's idle collection act on quiet). */
const IDLE_S = numEnv('BENCH_IDLE_SECONDS', 10);

/** Resident set size after IDLE_S seconds with no request. */
async function idleRss(pid: number | null): Promise<number | null> {
  await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1000));
  return rssOf(pid);
}

// ---------------------------------------------------------------- agentmon

/** The top-level entries of a dir with their bytes on disk (agentmon's files, whatever its store keeps). */
function dirParts(dir: string): Part[] {
  return readdirSync(dir, { withFileTypes: true })
    .map((e) => ({ name: e.name, bytes: e.isDirectory() ? treeBytes(join(dir, e.name)) : statSync(join(dir, e.name)).blocks * 512 }))
    .filter((p) => p.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}

/** The server child on a fresh temp data dir, as the default bench starts it, with its registered fleet's ids. */
async function startAgentmon(cleanup: Cleanup): Promise<{ server: ServerChild; client: BenchClient; dataDir: string; location: string; ids: string[]; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'agentmon-bench-'));
  // BENCH_KEEP_DATA=1 leaves agentmon's data dir behind, to look at what it wrote.
  const removeDir = cleanup.add(() => (process.env.BENCH_KEEP_DATA === '1' ? console.log(`-- agentmon: data dir kept: ${dataDir}`) : rmSync(dataDir, { recursive: true, force: true })));
  // No database URL and no InfluxDB URL: the storage openStores picks for a bare data dir.
  const { server, port, location } = await ServerChild.start({ dataDir, databaseUrl: null, schema: null, influxUrl: null, adminToken: ADMIN });
  const kill = cleanup.add(() => server.kill());
  const client = new BenchClient(port, ADMIN, Math.max(REGISTER_CONCURRENCY, BATCH_CONCURRENCY));
  const stop = async () => {
    client.close();
    await server.stop().catch(() => undefined);
    kill();
    removeDir();
  };
  try {
    const fleet = makeFleet(AGENTS);
    const ids = new Array<string>(AGENTS);
    const reg = await closedLoop(AGENTS, REGISTER_CONCURRENCY, 201, async (i) => {
      const r = await client.request('POST', '/api/v1/agents', JSON.stringify(registration(fleet[i] as (typeof fleet)[number])));
      if (r.status === 201) ids[i] = (JSON.parse(r.body) as RegisterResponse).agent_id;
      return r;
    });
    if (reg.failures > 0) throw new Error(`registration failed: ${reg.firstFailures.join('; ')}`);
    console.log(`-- agentmon: ${AGENTS} agents registered in ${fmt(reg.wallMs / 1000)} s (${location})`);
    return { server, client, dataDir, location, ids, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

// ---------------------------------------------------------------- report context

function agentmonVersion(): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  let version = '?';
  try {
    version = (JSON.parse(readFileSync(join(root, 'packages/server/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // left as ?
  }
  let commit = 'unknown commit';
  try {
    const git = (args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    commit = `commit ${git(['rev-parse', '--short', 'HEAD'])}${git(['status', '--porcelain', '--untracked-files=no']) === '' ? '' : ' with local changes'}`;
  } catch {
    // not a git checkout
  }
  return `agentmon ${version} (${commit}), node ${process.version}`;
}

function machine(): string {
  const cpu = cpus();
  return `${cpu.length} cores, ${cpu[0]?.model.trim() ?? 'unknown cpu'}, ${Math.round(totalmem() / 1024 ** 3)} GiB RAM, ${platform()} ${arch()}`;
}

// ---------------------------------------------------------------- main

/** Runs the comparison and prints the table; every child is stopped and every temp dir removed, whatever happens. */
export async function runCompare(): Promise<void> {
  const cleanup = new Cleanup();
  // process.exit runs the exit hooks (ours, the peers', the influxd launcher's); a signal's default action would not.
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: stopping the servers and removing temp dirs`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', cleanup.runAll);
  const results = new Map<string, SystemFigures | string>();
  try {
    const date = new Date().toISOString();
    console.log('agentmon bench: compare mode');
    console.log(`machine: ${machine()}`);
    console.log(
      `dataset: ${AGENTS} agents (BENCH_AGENTS), one payload each every ${STEP_S} s (BENCH_STEP_SECONDS) over ${HOURS} h (BENCH_HOURS); batches of ${BATCH_SIZE} (BENCH_BATCH_SIZE), ${BATCH_CONCURRENCY} in flight (BENCH_BATCH_CONCURRENCY); ${QUERY_RUNS} runs per query (BENCH_QUERY_RUNS) after ${WARMUPS} warm-ups (BENCH_QUERY_WARMUPS)`,
    );
    console.log(`systems: agentmon, then ${PEERS.join(', ')} (BENCH_PEERS), one at a time`);

    const agentmon = await startAgentmon(cleanup);
    let dataset: Dataset;
    try {
      dataset = await buildDataset({
        fleet: makeFleet(AGENTS),
        ids: agentmon.ids,
        stepS: STEP_S,
        hours: HOURS,
        batchSize: BATCH_SIZE,
        onTempDir: (dir) => cleanup.add(() => rmSync(dir, { recursive: true, force: true })),
      });
    } catch (err) {
      await agentmon.stop();
      throw err;
    }
    const d = dataset;
    cleanup.add(() => d.remove());
    const datasetLine =
      `${fmtRate(d.payloads)} payloads = ${AGENTS} agents x ${d.steps} steps of ${STEP_S} s, ${new Date(d.startMs).toISOString()} to ${new Date(d.endMs).toISOString()}; ` +
      `${fmtRate(d.values)} numeric values (up to ${d.maxFieldsPerPayload} per payload, nulls left out); bodies: JSON ${fmt(d.json.bytes / 1024 ** 2)} MiB, line protocol ${fmt(d.lines.bytes / 1024 ** 2)} MiB`;
    console.log(`-- dataset: ${datasetLine}; built in ${fmt(d.buildS)} s (${fmt(d.buildCpuS)} CPU s, in no figure)`);
    if (d.expected.onBoundary > 0) {
      console.log(`   note: ${d.expected.onBoundary} payloads sit on a 5-min boundary (BENCH_STEP_SECONDS does not divide 300): VictoriaMetrics puts them in the earlier bucket, so its figure 2/3 answers will differ there`);
    }

    try {
      results.set(
        'agentmon',
        await measure(
          {
            name: 'agentmon',
            location: agentmon.location,
            pid: () => agentmon.server.pid,
            dataDir: agentmon.dataDir,
            client: agentmon.client,
            writePath: '/api/v1/metrics',
            writeStatus: 202,
            bodies: d.json,
            // The 202 comes after the store's write: nothing is left to flush.
            flush: async () => 'no flush (each 202 answers after the store has written the batch)',
            // Fresh blocks its merge has yet to compress (GET /metrics), waited for as VictoriaMetrics' merges are.
            activeMerges: async () => {
              const res = await agentmon.client.request('GET', '/metrics');
              const m = /^agentmon_series_unmerged_blocks (\d+)$/m.exec(res.body);
              return m ? Number(m[1]) : null;
            },
            diskParts: () => dirParts(agentmon.dataDir),
            seriesBytes: () => treeBytes(join(agentmon.dataDir, 'series')),
            notes: async () => {
              // Where the resident memory is: V8's heap (used of allocated), memory outside it (buffers, typed arrays).
              const { memory } = await agentmon.server.stats();
              const mib = (n: number) => fmt(n / 1024 ** 2);
              const rss = rssPartsOf(agentmon.server.pid);
              const part = (n: number | null) => (n === null ? '?' : mib(n));
              return (
                `memory: V8 heap ${mib(memory.heapUsed)} used of ${mib(memory.heapTotal)} MiB, external ${mib(memory.external)} MiB (array buffers ${mib(memory.arrayBuffers)}); ` +
                `resident ${part(rss.anon)} MiB anonymous, ${part(rss.file)} MiB file-backed, ${part(rss.shmem)} MiB shared`
              );
            },
            count: agentmonCount(d),
            queries: agentmonQueries(d),
            exactOnly: true,
          },
          d,
        ),
      );
    } catch (err) {
      results.set('agentmon', `failed: ${(err as Error).message}`);
      console.log(`\n!!! agentmon failed: ${(err as Error).stack ?? String(err)}`);
    } finally {
      await agentmon.stop();
    }
    const am = results.get('agentmon');
    if (typeof am === 'object') printDetails(am, d.payloads);

    const versions = [agentmonVersion()];
    for (const key of PEERS) {
      const which = key === 'vm' ? { name: 'VictoriaMetrics', skip: VM_SKIP, start: startVictoriaMetrics } : key === 'influx' ? { name: 'InfluxDB', skip: INFLUX_PEER_SKIP, start: startInfluxDB } : null;
      if (!which) {
        console.log(`\nunknown peer ${JSON.stringify(key)} in BENCH_PEERS (vm, influx); ignored`);
        continue;
      }
      if (which.skip) {
        results.set(which.name, which.skip);
        continue;
      }
      let peer: Peer;
      try {
        peer = await which.start();
      } catch (err) {
        results.set(which.name, `did not start: ${(err as Error).message.split('\n')[0]}`);
        continue;
      }
      const p = peer;
      versions.push(`${p.name} ${p.version}; ${p.settings}`);
      const client = new BenchClient(p.port, null, BATCH_CONCURRENCY, 'text/plain; charset=utf-8');
      try {
        results.set(
          p.name,
          await measure(
            {
              name: p.name,
              location: `${p.base}, pid ${p.pid ?? '?'}, data in ${p.dataDir}`,
              pid: () => p.pid,
              dataDir: p.dataDir,
              client,
              writePath: p.writePath,
              writeStatus: 204,
              bodies: d.lines,
              flush: () => p.flush(),
              activeMerges: () => p.activeMerges(),
              diskParts: () => p.diskParts(),
              seriesBytes: () => treeBytes(p.dataDir),
              notes: () => p.notes(),
              count: p.database === null ? vmCount(d) : influxCount(d, p.database),
              queries: p.database === null ? vmQueries(d) : influxQueries(d, p.database),
              exactOnly: false,
            },
            d,
          ),
        );
      } catch (err) {
        results.set(p.name, `failed: ${(err as Error).message}`);
        console.log(`\n!!! ${p.name} failed: ${(err as Error).stack ?? String(err)}`);
      } finally {
        client.close();
        await p.stop().catch((err: unknown) => console.error(`could not stop ${p.name}: ${(err as Error).message}`));
      }
      const r = results.get(p.name);
      if (typeof r === 'object') printDetails(r, d.payloads);
    }

    const info: RunInfo = {
      date,
      machine: machine(),
      versions,
      dataset: datasetLine,
      load: `time-major batches of ${BATCH_SIZE} payloads (one time step of the fleet per batch at the defaults), ${BATCH_CONCURRENCY} in flight, keep-alive node:http; agentmon JSON, the peers line protocol (measurement agent, tags agent_id and environment, one float field per value), ms timestamps`,
      queries: `${QUERY_RUNS} measured runs each after ${WARMUPS} warm-ups, one at a time; buckets of ${BUCKET_MS / 60_000} min`,
    };
    printTable(info, results, d.payloads);
    const agentmonWrong = typeof am !== 'object' || am.queries.some((q) => q.verdict.label === 'WRONG') || am.ingest.failures > 0;
    if (agentmonWrong) process.exitCode = 1;
  } finally {
    cleanup.runAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', cleanup.runAll);
  }
}
