/**
 * The Node resource collector: process and host CPU, memory, disk usage, disk and network I/O
 * (from /proc where present), GPU use through nvidia-smi where installed. Every source is optional
 * and read asynchronously; one that fails leaves its figures out and never stops the others.
 */
import { execFile } from 'node:child_process';
import { readFile, statfs } from 'node:fs/promises';
import { availableParallelism, cpus, freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { ResourceMetrics } from '@agentmon/schema';
import type { CollectedResources, ResourceCollector } from '../reporter.js';
import {
  cpuPercentBetween,
  parseCgroupCpuMax,
  parseCgroupMemoryLimit,
  parseDiskstats,
  parseMeminfo,
  parseNetDev,
  parseNvidiaSmi,
  parseProcIo,
  parseProcStat,
  type CpuTimes,
  type GpuUse,
  type IoBytes,
  type NetBytes,
} from './proc.js';

/** Options of the Node collector. */
export interface NodeCollectorOptions {
  /**
   * Whose figures fill the seed's resource fields: `process` (default: this process's CPU share,
   * RSS, its own disk I/O) or `host` (the machine's). The other side goes to custom metrics
   * (`custom.host.*`, `custom.process.*`) either way.
   */
  scope?: 'process' | 'host';
  /** A path on the filesystem whose used bytes are disk_usage_bytes (default: the working directory). */
  diskPath?: string;
  /** Ask nvidia-smi for GPU use when it is installed (default true). */
  gpu?: boolean;
  /** Time limit of one nvidia-smi run, ms (default 2,000). */
  gpuTimeoutMs?: number;
  /** Where procfs and sysfs are mounted (tests). */
  procRoot?: string;
  sysRoot?: string;
}

/** Sampling period of the event-loop delay histogram, ms. */
const LOOP_RESOLUTION_MS = 20;
const round3 = (n: number) => Math.round(n * 1000) / 1000;
const delta = (after: number, before: number) => Math.max(0, after - before);

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** Host CPU times without /proc (macOS, Windows): the sum over os.cpus(), in ms. */
function osCpuTimes(): CpuTimes | null {
  try {
    let idle = 0;
    let total = 0;
    for (const cpu of cpus()) {
      const t = cpu.times;
      idle += t.idle;
      total += t.user + t.nice + t.sys + t.idle + t.irq;
    }
    return total > 0 ? { idle, total } : null;
  } catch {
    return null;
  }
}

function runNvidiaSmi(timeoutMs: number): Promise<{ ok: true; text: string } | { ok: false; absent: boolean }> {
  return new Promise((resolve) => {
    try {
      execFile(
        'nvidia-smi',
        ['--query-gpu=utilization.gpu,memory.used', '--format=csv,noheader,nounits'],
        { timeout: timeoutMs, windowsHide: true, maxBuffer: 64 * 1024 },
        (err, stdout) => {
          if (err) resolve({ ok: false, absent: (err as NodeJS.ErrnoException).code === 'ENOENT' });
          else resolve({ ok: true, text: String(stdout) });
        },
      );
    } catch {
      resolve({ ok: false, absent: true });
    }
  });
}

/** Counters read last time, to turn cumulative counts into per-interval ones. */
interface Previous {
  wallNs: bigint;
  processCpu: NodeJS.CpuUsage;
  hostCpu: CpuTimes | null;
  processIo: IoBytes | null;
  diskIo: IoBytes | null;
  net: NetBytes | null;
}

class NodeCollector implements ResourceCollector {
  private readonly scope: 'process' | 'host';
  private readonly proc: string;
  private readonly sys: string;
  private previous: Previous | null = null;
  private readonly baseline: Promise<void>;
  private gpu: 'unknown' | 'present' | 'absent';
  private gpuFailures = 0;
  private readonly loopDelay: IntervalHistogram | null;

  constructor(private readonly options: NodeCollectorOptions) {
    this.scope = options.scope ?? 'process';
    this.proc = options.procRoot ?? '/proc';
    this.sys = options.sysRoot ?? '/sys';
    this.gpu = options.gpu === false ? 'absent' : 'unknown';
    let histogram: IntervalHistogram | null = null;
    try {
      histogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
      histogram.enable();
    } catch {
      histogram = null;
    }
    this.loopDelay = histogram;
    // Counters read now, so the first payload's rates cover construction to first collection.
    this.baseline = this.readCounters().then(
      (c) => {
        this.previous = c;
      },
      () => undefined,
    );
  }

  close(): void {
    this.loopDelay?.disable();
  }

  async collect(): Promise<CollectedResources> {
    await this.baseline;
    this.loopDelay?.enable(); // again after close(), when a stopped monitor starts again
    const [counters, meminfo, memLimit, cpuMax, disk, gpu] = await Promise.all([
      this.readCounters(),
      readText(join(this.proc, 'meminfo')).then((t) => (t ? parseMeminfo(t) : null)),
      this.memoryLimit(),
      readText(join(this.sys, 'fs/cgroup/cpu.max')).then((t) => (t ? parseCgroupCpuMax(t) : null)),
      this.diskUsed(),
      this.gpuUse(),
    ]);
    const prev = this.previous;
    this.previous = counters;

    const wallSeconds = prev ? Number(counters.wallNs - prev.wallNs) / 1e9 : 0;
    let cores = 1;
    try {
      cores = availableParallelism();
    } catch {
      cores = Math.max(1, cpus().length);
    }
    if (cpuMax !== null) cores = Math.min(cores, cpuMax);
    const processCpu =
      prev && wallSeconds > 0
        ? Math.min(
            100,
            (100 * (delta(counters.processCpu.user, prev.processCpu.user) + delta(counters.processCpu.system, prev.processCpu.system))) /
              1e6 /
              wallSeconds /
              cores,
          )
        : null;
    const hostCpu = prev?.hostCpu && counters.hostCpu ? cpuPercentBetween(prev.hostCpu, counters.hostCpu) : null;

    const rss = process.memoryUsage.rss();
    const hostTotal = meminfo?.total ?? totalmem();
    const hostAvailable = meminfo?.available ?? freemem();
    const hostUsed = Math.max(0, hostTotal - hostAvailable);
    const processLimit = memLimit !== null ? Math.min(memLimit, hostTotal) : hostTotal;

    const ioDelta = (a: IoBytes | null, b: IoBytes | null | undefined) =>
      a && b ? { read: delta(a.read, b.read), write: delta(a.write, b.write) } : null;
    const processIo = ioDelta(counters.processIo, prev?.processIo);
    const diskIo = ioDelta(counters.diskIo, prev?.diskIo);
    const net = counters.net && prev?.net ? { rx: delta(counters.net.rx, prev.net.rx), tx: delta(counters.net.tx, prev.net.tx) } : null;

    const host = this.scope === 'host';
    const cpu = host ? hostCpu : processCpu;
    const io = host ? diskIo : (processIo ?? diskIo);
    const resources: Partial<ResourceMetrics> = {
      ...(cpu !== null ? { cpu_usage_percent: round3(cpu) } : {}),
      memory_usage_bytes: host ? hostUsed : rss,
      memory_usage_percent: round3(host ? (100 * hostUsed) / hostTotal : (100 * rss) / processLimit),
      ...(disk !== null ? { disk_usage_bytes: disk } : {}),
      ...(io ? { disk_io_read_bytes: io.read, disk_io_write_bytes: io.write } : {}),
      ...(net ? { network_io_rx_bytes: net.rx, network_io_tx_bytes: net.tx } : {}),
      ...(gpu ? { gpu_usage_percent: round3(gpu.utilizationPercent), gpu_memory_usage_bytes: gpu.memoryUsedBytes } : {}),
    };

    const custom: Record<string, unknown> = {
      process: {
        ...(processCpu !== null ? { cpu_percent: round3(processCpu) } : {}),
        memory_rss_bytes: rss,
        heap_used_bytes: process.memoryUsage().heapUsed,
        ...this.eventLoopDelay(),
      },
      host: {
        ...(hostCpu !== null ? { cpu_percent: round3(hostCpu) } : {}),
        memory_used_bytes: hostUsed,
        memory_percent: round3((100 * hostUsed) / hostTotal),
        load_1m: round3(loadavg()[0] ?? 0),
        cpus: round3(cores),
      },
      ...(gpu ? { gpu: { count: gpu.gpus } } : {}),
    };
    return { resources, custom };
  }

  private async readCounters(): Promise<Previous> {
    const [stat, io, diskstats, netdev] = await Promise.all([
      readText(join(this.proc, 'stat')),
      readText(join(this.proc, 'self/io')),
      readText(join(this.proc, 'diskstats')),
      readText(join(this.proc, 'net/dev')),
    ]);
    return {
      wallNs: process.hrtime.bigint(),
      processCpu: process.cpuUsage(),
      hostCpu: (stat ? parseProcStat(stat) : null) ?? osCpuTimes(),
      processIo: io ? parseProcIo(io) : null,
      diskIo: diskstats ? parseDiskstats(diskstats) : null,
      net: netdev ? parseNetDev(netdev) : null,
    };
  }

  private async memoryLimit(): Promise<number | null> {
    const v2 = await readText(join(this.sys, 'fs/cgroup/memory.max'));
    if (v2 !== null) return parseCgroupMemoryLimit(v2);
    const v1 = await readText(join(this.sys, 'fs/cgroup/memory/memory.limit_in_bytes'));
    return v1 !== null ? parseCgroupMemoryLimit(v1) : null;
  }

  private async diskUsed(): Promise<number | null> {
    try {
      const s = await statfs(this.options.diskPath ?? process.cwd());
      return Math.max(0, (s.blocks - s.bfree) * s.bsize);
    } catch {
      return null;
    }
  }

  private async gpuUse(): Promise<GpuUse | null> {
    if (this.gpu === 'absent') return null;
    const answer = await runNvidiaSmi(this.options.gpuTimeoutMs ?? 2000);
    if (answer.ok) {
      const parsed = parseNvidiaSmi(answer.text);
      if (parsed) {
        this.gpu = 'present';
        this.gpuFailures = 0;
        return parsed;
      }
    }
    // Not installed, or failing again and again (no driver): stop spawning it every interval.
    if ((!answer.ok && answer.absent) || ++this.gpuFailures >= 3) this.gpu = 'absent';
    return null;
  }

  private eventLoopDelay(): Record<string, number> {
    const h = this.loopDelay;
    if (!h || h.count === 0) return {};
    // The histogram times the sampling timer itself, so each value includes the resolution.
    const lag = (ns: number) => round3(Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS));
    const out = { event_loop_delay_mean_ms: lag(h.mean), event_loop_delay_p99_ms: lag(h.percentile(99)) };
    h.reset();
    return out;
  }
}

/** A ResourceCollector for Node: /proc and /sys where present, os figures elsewhere, nvidia-smi for GPUs. */
export function createNodeCollector(options: NodeCollectorOptions = {}): ResourceCollector {
  return new NodeCollector(options);
}
