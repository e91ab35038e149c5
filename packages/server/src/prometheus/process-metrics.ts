/**
 * agentmon's own process figures under the names every Prometheus client library uses
 * (`process_cpu_seconds_total`, `process_resident_memory_bytes`, ...), so the usual dashboards and
 * alert rules for a process work on agentmon unchanged.
 */
import { readdirSync } from 'node:fs';
import type { Exposition } from './exposition.js';

/** Start of this process, seconds since the epoch (wall clock, not the app's clock: it is the process's). */
const START_TIME_SECONDS = Math.round(Date.now() / 1000 - process.uptime());

/** Open file descriptors of this process, or null where /proc is not there. */
function openFds(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

/** Writes the process families into `out`. */
export function writeProcessMetrics(out: Exposition): void {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  out.family('process_cpu_user_seconds_total', 'counter', 'User CPU time spent by the process, seconds')(cpu.user / 1e6);
  out.family('process_cpu_system_seconds_total', 'counter', 'System CPU time spent by the process, seconds')(cpu.system / 1e6);
  out.family('process_cpu_seconds_total', 'counter', 'User and system CPU time spent by the process, seconds')((cpu.user + cpu.system) / 1e6);
  out.family('process_start_time_seconds', 'gauge', 'Start time of the process since the Unix epoch, seconds')(START_TIME_SECONDS);
  out.family('process_resident_memory_bytes', 'gauge', 'Resident memory size of the process, bytes')(memory.rss);
  const fds = openFds();
  if (fds !== null) out.family('process_open_fds', 'gauge', 'Open file descriptors of the process')(fds);
  out.family('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap size, bytes')(memory.heapTotal);
  out.family('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap in use, bytes')(memory.heapUsed);
  out.family('nodejs_external_memory_bytes', 'gauge', 'Memory of C++ objects bound to JavaScript objects, bytes')(memory.external);
}
