/**
 * Parsers of the Linux /proc and /sys files the Node collector reads. Pure functions of the files'
 * text, so they are tested with sample text on any platform; each returns null when the text is
 * not what it expects.
 */

/** CPU time from /proc/stat's aggregate `cpu` line, in clock ticks. */
export interface CpuTimes {
  /** idle + iowait */
  idle: number;
  /** every state: user nice system idle iowait irq softirq steal */
  total: number;
}

/** The aggregate `cpu` line of /proc/stat. */
export function parseProcStat(text: string): CpuTimes | null {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 4 || fields.some((n) => !Number.isFinite(n))) return null;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  return { idle: idle + iowait, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

/** Busy share of the CPUs between two /proc/stat readings, percent; null when no time passed. */
export function cpuPercentBetween(before: CpuTimes, after: CpuTimes): number | null {
  const total = after.total - before.total;
  if (total <= 0) return null;
  const idle = after.idle - before.idle;
  return Math.min(100, Math.max(0, (100 * (total - idle)) / total));
}

/** Bytes a process read from and wrote to storage (/proc/self/io `read_bytes`, `write_bytes`). */
export interface IoBytes {
  read: number;
  write: number;
}

/** /proc/self/io. */
export function parseProcIo(text: string): IoBytes | null {
  const value = (key: string) => {
    const m = new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };
  const read = value('read_bytes');
  const write = value('write_bytes');
  return read === null || write === null ? null : { read, write };
}

/** Whole disks in /proc/diskstats (partitions, loop, ram and device-mapper devices would count twice). */
const WHOLE_DISK = /^(sd[a-z]+|vd[a-z]+|xvd[a-z]+|hd[a-z]+|nvme\d+n\d+|mmcblk\d+)$/;

/** Bytes read and written by every whole disk since boot (/proc/diskstats counts 512-byte sectors). */
export function parseDiskstats(text: string): IoBytes | null {
  let read = 0;
  let write = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !WHOLE_DISK.test(f[2] ?? '')) continue;
    const r = Number(f[5]);
    const w = Number(f[9]);
    if (!Number.isFinite(r) || !Number.isFinite(w)) continue;
    read += r * 512;
    write += w * 512;
    seen = true;
  }
  return seen ? { read, write } : null;
}

/** Bytes received and sent. */
export interface NetBytes {
  rx: number;
  tx: number;
}

/** /proc/net/dev (of the process's network namespace: the container's, in a container), loopback excluded. */
export function parseNetDev(text: string): NetBytes | null {
  let rx = 0;
  let tx = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === 'lo' || name === '') continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (f.length < 9 || !Number.isFinite(f[0]) || !Number.isFinite(f[8])) continue;
    rx += f[0] as number;
    tx += f[8] as number;
    seen = true;
  }
  return seen ? { rx, tx } : null;
}

/** Memory totals from /proc/meminfo, bytes. */
export interface MemInfo {
  total: number;
  /** MemAvailable: what could be used without swapping (better than free). */
  available: number;
}

/** /proc/meminfo. */
export function parseMeminfo(text: string): MemInfo | null {
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s*(\\d+)\\s*kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : null;
  };
  const total = kb('MemTotal');
  const available = kb('MemAvailable') ?? kb('MemFree');
  return total === null || available === null ? null : { total, available };
}

/**
 * A cgroup memory limit, bytes: cgroup v2 `memory.max` ("max" is none) or v1
 * `memory.limit_in_bytes` (a huge number is none). Null when there is no limit.
 */
export function parseCgroupMemoryLimit(text: string): number | null {
  const value = text.trim();
  if (value === '' || value === 'max') return null;
  const n = Number(value);
  // v1 writes "no limit" as a page-rounded 2^63 - 1.
  if (!Number.isFinite(n) || n <= 0 || n >= 2 ** 60) return null;
  return n;
}

/** One GPU line of `nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits`. */
export interface GpuUse {
  /** Mean utilisation over the GPUs, percent. */
  utilizationPercent: number;
  /** Memory used on all GPUs together, bytes. */
  memoryUsedBytes: number;
  gpus: number;
}

/** nvidia-smi's CSV answer (one line per GPU: `37, 1024` = 37 %, 1024 MiB). */
export function parseNvidiaSmi(text: string): GpuUse | null {
  let util = 0;
  let mem = 0;
  let gpus = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [u, m] = line.split(',').map((s) => Number(s.trim()));
    if (u === undefined || m === undefined || !Number.isFinite(u) || !Number.isFinite(m)) continue;
    util += u;
    mem += m * 1024 * 1024;
    gpus += 1;
  }
  return gpus === 0 ? null : { utilizationPercent: util / gpus, memoryUsedBytes: mem, gpus };
}

/** CPUs a cgroup v2 `cpu.max` quota allows (`"200000 100000"` = 2); null for no quota (`"max 100000"`). */
export function parseCgroupCpuMax(text: string): number | null {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max') return null;
  const q = Number(quota);
  const p = Number(period ?? 100000);
  return Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0 ? q / p : null;
}
