/** Readings of other processes and of the disk from Linux /proc and stat: pids, RSS, CPU, blocks. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Bytes allocated on disk to the files under `dir`, recursively (0 when it is not there): blocks,
 * not apparent sizes, as InfluxDB preallocates its series file sparsely (8 segments of 4 MiB that
 * hold a few KiB each while the fleet is small).
 */
export function treeBytes(dir: string): number {
  let bytes = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) bytes += treeBytes(path);
    else if (e.isFile()) bytes += statSync(path).blocks * 512;
  }
  return bytes;
}

/** The pid of the process whose command line has `arg` as one of its arguments (Linux /proc), or null. */
export function findPid(arg: string): number | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (args.includes(arg)) return Number(name);
    } catch {
      // gone, or not ours to read
    }
  }
  return null;
}

/** A `kB` line of /proc/<pid>/status (VmRSS, VmHWM, ...) in bytes, or null when /proc cannot tell. */
function statusBytes(pid: number | null, field: string): number | null {
  if (pid === null) return null;
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Resident set size of `pid` in bytes, or null when /proc cannot tell. */
export function rssOf(pid: number | null): number | null {
  return statusBytes(pid, 'VmRSS');
}

/** Resident memory of `pid` split as Linux counts it: anonymous (heaps, buffers), file-backed (code, mapped files), shared. */
export function rssPartsOf(pid: number | null): { anon: number | null; file: number | null; shmem: number | null } {
  return { anon: statusBytes(pid, 'RssAnon'), file: statusBytes(pid, 'RssFile'), shmem: statusBytes(pid, 'RssShmem') };
}

/** The highest resident set size `pid` has had (VmHWM) in bytes, or null when /proc cannot tell. */
export function peakRssOf(pid: number | null): number | null {
  return statusBytes(pid, 'VmHWM');
}

/** CPU seconds (user + system) `pid` has used so far, from /proc/<pid>/stat, or null. */
export function cpuOf(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime 14 and stime 15, in clock ticks (100 per s on Linux).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

