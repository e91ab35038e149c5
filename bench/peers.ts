/**
 * The databases the compare mode measures agentmon against, each started here as a private process
 * on free loopback ports with its own temp data dir (never a system service) and stopped, its dir
 * removed, at the end; an exit hook kills it and removes the dir when the bench goes away early
 * (process.exit from a SIGINT handler included).
 *
 * VictoriaMetrics: Debian's /usr/bin/victoria-metrics (or BENCH_VICTORIA_METRICS), single-node.
 * InfluxDB 1.x: the test suite's launcher (packages/server/test/storage/influx-server.ts).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { INFLUX_SKIP, INFLUXD, freePort, influxServer, startDaemon } from '@agentmon/server/testing';
import { influxCell, influxQuery, type InfluxSeriesJson } from './influxql.js';
import { findPid, treeBytes } from './proc.js';

/** The VictoriaMetrics binary the compare mode starts. */
export const VICTORIA_METRICS = process.env.BENCH_VICTORIA_METRICS ?? '/usr/bin/victoria-metrics';

/** A running peer database. */
export interface Peer {
  name: string;
  version: string;
  /** `http://127.0.0.1:<port>` */
  base: string;
  port: number;
  pid: number | null;
  /** Everything the database keeps on disk (its whole temp dir). */
  dataDir: string;
  /** Path (and query) of its line protocol write endpoint. */
  writePath: string;
  /** The database the data goes to (InfluxDB); null where there is none. */
  database: string | null;
  /** The flags or settings the figures depend on, for the report. */
  settings: string;
  /** Makes what was written durable and queryable (VictoriaMetrics' force_flush); says what it did. */
  flush(): Promise<string>;
  /** Background merges or compactions running now; null where the database does not tell. */
  activeMerges(): Promise<number | null>;
  /** Disk use by part, for the details. */
  diskParts(): { name: string; bytes: number }[];
  /** Extra figures read after the load (e.g. influxd's cache), for the details. */
  notes(): Promise<string>;
  stop(): Promise<void>;
}


/** Why VictoriaMetrics cannot run here, or false when it can. */
export const VM_SKIP: string | false = existsSync(VICTORIA_METRICS) ? false : `${VICTORIA_METRICS} is missing (apt-get install -y victoria-metrics)`;

/** Why InfluxDB cannot run here, or false when it can. */
export const INFLUX_PEER_SKIP: string | false = INFLUX_SKIP;

/** The Debian package version of a binary's package, or null (the Debian build of VictoriaMetrics reports no version itself). */
function debianVersion(pkg: string): string | null {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

/** The sum of every sample of `name` in a Prometheus text exposition. */
function promSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * Starts a single-node VictoriaMetrics on a free port with its storage in a fresh temp dir. Its
 * response cache is off (-search.disableCache): the figures are medians of the same query repeated,
 * which the cache would answer from memory after the first run, while agentmon and InfluxDB compute
 * each one. Everything else is at its defaults (values kept lossless: -precisionBits=64).
 */
export async function startVictoriaMetrics(): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'agentmon-vm-'));
  const port = await freePort();
  const flags = [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${join(dir, 'data')}`, '-loggerLevel=ERROR', '-search.disableCache'];
  const base = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon({ name: 'victoria-metrics', command: VICTORIA_METRICS, args: flags, dir, probeUrl: `${base}/health`, readyStatus: 200, stopGraceMs: 10_000 });
  const metrics = async (): Promise<string> => (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const reported = /vm_app_version\{version="([^"]*)"/.exec(await metrics())?.[1];
  const version = reported || `${debianVersion('victoria-metrics') ?? 'unknown'} (Debian package)`;

  return {
    name: 'VictoriaMetrics',
    version,
    base,
    port,
    pid: daemon.child.pid ?? null,
    dataDir: dir,
    writePath: '/write?precision=ms',
    database: null,
    settings: flags.filter((f) => !f.startsWith('-httpListenAddr') && !f.startsWith('-storageDataPath')).join(' ') + ' (others default: -precisionBits=64, -dedup.minScrapeInterval=0, -memory.allowedPercent=60)',
    async flush() {
      // /write answers once rows are buffered in memory; force_flush makes them searchable and
      // writes them as parts on disk.
      const t0 = performance.now();
      const res = await fetch(`${base}/internal/force_flush`, { signal: AbortSignal.timeout(60_000) });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`force_flush: HTTP ${res.status}`);
      const flushMs = performance.now() - t0;
      const m = await metrics();
      return `force_flush ${flushMs.toFixed(0)} ms; then pending rows ${promSum(m, 'vm_pending_rows')}, active merges ${promSum(m, 'vm_active_merges')}`;
    },
    async activeMerges() {
      return promSum(await metrics(), 'vm_active_merges');
    },
    diskParts() {
      return [
        { name: 'data (parts)', bytes: treeBytes(join(dir, 'data', 'data')) },
        { name: 'indexdb', bytes: treeBytes(join(dir, 'data', 'indexdb')) },
        { name: 'other', bytes: treeBytes(dir) - treeBytes(join(dir, 'data', 'data')) - treeBytes(join(dir, 'data', 'indexdb')) },
      ];
    },
    async notes() {
      const m = await metrics();
      return `rows ${promSum(m, 'vm_rows{type="storage/big"}') + promSum(m, 'vm_rows{type="storage/small"}')} (vm_rows), parts big/small ${promSum(m, 'vm_parts{type="storage/big"}')}/${promSum(m, 'vm_parts{type="storage/small"}')}, active merges ${promSum(m, 'vm_active_merges')}`;
    },
    stop: () => daemon.stop(),
  };
}

/** The sum of `column` over the series called `name` (SHOW STATS has one series per shard or engine). */
function statSum(series: InfluxSeriesJson[], name: string, column: string): number {
  let sum = 0;
  for (const s of series.filter((x) => x.name === name)) {
    const i = s.columns.indexOf(column);
    if (i >= 0) sum += Number(s.values[0]?.[i] ?? 0);
  }
  return sum;
}

/**
 * Starts a private influxd with the test suite's launcher (its config as is: WAL fsync on every
 * write, cache snapshot to TSM at 25 MiB or after 10 min cold) and creates one fresh database.
 */
export async function startInfluxDB(): Promise<Peer> {
  const influx = await influxServer();
  const base = influx.base;
  const diagnostics = await influxQuery(base, 'SHOW DIAGNOSTICS');
  const tsmDir = String(influxCell(diagnostics, 'config-data', 'dir'));
  const walDir = String(influxCell(diagnostics, 'config-data', 'wal-dir'));
  const dir = dirname(tsmDir);
  const database = `compare_${randomBytes(6).toString('hex')}`;
  const create = await fetch(`${base}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE "${database}"` }) });
  if (create.status !== 200) throw new Error(`influxd: CREATE DATABASE: HTTP ${create.status} ${(await create.text()).slice(0, 300)}`);
  await create.arrayBuffer();
  const keys = ['cache-max-memory-size', 'cache-snapshot-memory-size', 'cache-snapshot-write-cold-duration', 'compact-full-write-cold-duration', 'wal-fsync-delay'];
  const settings = keys.map((k) => `${k}=${String(influxCell(diagnostics, 'config-data', k))}`).join(', ');
  return {
    name: 'InfluxDB',
    version: `${String(influxCell(diagnostics, 'build', 'Version'))} (${INFLUXD})`,
    base,
    port: Number(new URL(base).port),
    pid: findPid(join(dir, 'influxdb.conf')),
    dataDir: dir,
    writePath: `/write?db=${database}&precision=ms`,
    database,
    settings,
    async flush() {
      // InfluxDB 1.x has no flush to call: /write returns once the points are in its WAL (fsynced)
      // and in-memory cache, queryable at once; the cache goes to TSM files at 25 MiB or after
      // 10 min without writes, so the last points stay in the WAL here.
      return 'nothing to flush (points are queryable once /write answers; WAL fsynced per write)';
    },
    async activeMerges() {
      // Cache snapshots and TSM compactions in progress, summed over the shards.
      const stats = await influxQuery(base, 'SHOW STATS');
      const active = ['cacheCompactionsActive', 'tsmLevel1CompactionsActive', 'tsmLevel2CompactionsActive', 'tsmLevel3CompactionsActive', 'tsmFullCompactionsActive', 'tsmOptimizeCompactionsActive'];
      return active.reduce((n, column) => n + statSum(stats, 'tsm1_engine', column), 0);
    },
    diskParts() {
      const data = treeBytes(join(tsmDir, database));
      const series = treeBytes(join(tsmDir, database, '_series'));
      const wal = treeBytes(join(walDir, database));
      return [
        { name: 'TSM shards', bytes: data - series },
        { name: 'series file', bytes: series },
        { name: 'WAL', bytes: wal },
        { name: 'other (meta)', bytes: treeBytes(dir) - data - wal },
      ];
    },
    async notes() {
      const stats = await influxQuery(base, 'SHOW STATS');
      const engine = (column: string) => statSum(stats, 'tsm1_engine', column);
      const levels = [1, 2, 3].map((l) => engine(`tsmLevel${l}Compactions`)).join('/');
      return (
        `cache ${(statSum(stats, 'tsm1_cache', 'memBytes') / 1024 / 1024).toFixed(1)} MiB in memory (its points are in the WAL on disk); ` +
        `${engine('cacheCompactions')} cache snapshot(s) to TSM, ${statSum(stats, 'tsm1_filestore', 'numFiles')} TSM file(s), ` +
        `level 1/2/3 compactions ${levels}, full ${engine('tsmFullCompactions')}`
      );
    },
    async stop() {
      // The launcher stops influxd (SIGTERM, SIGKILL after 5 s) and removes its temp dir.
      await influx.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
