/**
 * The compare mode's output: each system's raw figures as it finishes, and the closing markdown
 * table with agentmon / VictoriaMetrics ratios, the direction that is better said in every ratio.
 */
import type { Verdict } from './answers.js';
import { QUERY_FIGURES } from './compare-queries.js';
import { numEnv } from './env.js';
import { fmt, fmtRate, mib, type Latency } from './stats.js';

/** The quiet spell before the second memory figure (BENCH_IDLE_SECONDS). */
const IDLE_NOTE = `${numEnv('BENCH_IDLE_SECONDS', 10)} s idle`;

/** A part of a data dir and its bytes on disk. */
export interface Part {
  name: string;
  bytes: number;
}

/** What the bench measured of one system. */
export interface SystemFigures {
  name: string;
  /** Where its data lived, and how it was set up. */
  location: string;
  /** Cores other processes kept busy just before its load, and on average during it. */
  backgroundCores: number;
  otherCoresDuringLoad: number;
  ingest: {
    wallS: number;
    /** Payloads in batches the system acknowledged. */
    payloads: number;
    batches: number;
    failures: number;
    firstFailures: string[];
    latency: Latency;
    /** CPU seconds of the system's process during the load, and during the flush and settle after it. */
    serverCpuS: number | null;
    settleCpuS: number | null;
    /** CPU seconds of this process (the sender) during the load. */
    senderCpuS: number;
    flushNote: string;
    settleS: number;
    settled: boolean;
  };
  /** Payloads the system counts over the range (cpu_usage_percent points), or why not. */
  stored: number | string;
  /** The whole data dir, its parts, and the series alone (agentmon without its metadata database). */
  disk: { bytes: number; parts: Part[]; series: number };
  queries: { latency: Latency; verdict: Verdict }[];
  rss: number | null;
  peakRss: number | null;
  /** RSS after a quiet spell following the queries. */
  rssIdle: number | null;
  notes: string;
}

/** The run's context, printed above the table. */
export interface RunInfo {
  date: string;
  machine: string;
  versions: string[];
  dataset: string;
  load: string;
  queries: string;
}

const MIB = 1024 * 1024;
const mibOrDash = (bytes: number | null) => (bytes === null ? '-' : mib(bytes));

/** Prints one system's raw figures as soon as it is done. */
export function printDetails(f: SystemFigures, payloadsSent: number): void {
  const i = f.ingest;
  const indent = '            ';
  console.log(`\n== ${f.name}: ${f.location}`);
  console.log(`  machine   cores busy with other processes: ${fmt(f.backgroundCores, 2)} just before the load, ${fmt(f.otherCoresDuringLoad, 2)} on average during it`);
  console.log(
    `  ingest    ${fmtRate(i.payloads)} of ${fmtRate(payloadsSent)} payloads acknowledged in ${fmtRate(i.batches)} batches: ${fmtRate(i.payloads / i.wallS)} payloads/s (${fmt(i.wallS)} s wall); batch p50 ${fmt(i.latency.p50)} ms, p95 ${fmt(i.latency.p95)} ms, max ${fmt(i.latency.max)} ms`,
  );
  if (i.failures > 0) console.log(`${indent}!!! ${i.failures} BATCH(ES) FAILED; first: ${i.firstFailures.join(' | ')}`);
  console.log(
    `${indent}cpu s: server ${i.serverCpuS === null ? '?' : fmt(i.serverCpuS)} during the load, ${i.settleCpuS === null ? '?' : fmt(i.settleCpuS)} in flush and settle; sender ${fmt(i.senderCpuS)} (${fmt((i.senderCpuS / Math.max(1, i.payloads)) * 1e6, 2)} us/payload)`,
  );
  console.log(`${indent}flush: ${i.flushNote}; disk ${i.settled ? 'settled' : 'STILL CHANGING'} after ${fmt(i.settleS)} s`);
  const stored = typeof f.stored === 'number' ? `${fmtRate(f.stored)} payloads counted over the range${f.stored === payloadsSent ? '' : ` !!! EXPECTED ${fmtRate(payloadsSent)}`}` : f.stored;
  console.log(`${indent}stored: ${stored}`);
  const parts = f.disk.parts.map((p) => `${p.name} ${fmt(p.bytes / MIB)}`).join(', ');
  console.log(`  disk      ${fmt(f.disk.bytes / MIB)} MiB, ${fmt(f.disk.bytes / Math.max(1, payloadsSent), 1)} B/payload (MiB: ${parts})`);
  f.queries.forEach((q, k) => {
    const def = QUERY_FIGURES[k];
    const loud = q.verdict.label === 'WRONG' ? '!!! WRONG ANSWER: ' : '';
    console.log(
      `  ${k === 0 ? 'queries' : '       '}   ${def?.figure}. ${def?.label}: p50 ${fmt(q.latency.p50)} ms, p95 ${fmt(q.latency.p95)} ms, max ${fmt(q.latency.max)} ms (${q.latency.n} ok runs)`,
    );
    console.log(`${indent}   ${loud}answer ${q.verdict.label}: ${q.verdict.detail}`);
  });
  console.log(`  memory    rss ${mibOrDash(f.rss)} MiB after load and queries, ${mibOrDash(f.rssIdle)} MiB after ${IDLE_NOTE}, peak ${mibOrDash(f.peakRss)} MiB`);
  if (f.notes) console.log(`  notes     ${f.notes}`);
}

/** A ratio a / b with the direction that is better, or "-" when either is missing. */
function ratio(a: number | null, b: number | null, higherIsBetter: boolean): string {
  if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '-';
  const r = a / b;
  const text = r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
  return `${text} (${higherIsBetter ? '> 1' : '< 1'} is better)`;
}

const ANSWER_MARK = { exact: 'ok', rounded: 'ok, rounded', WRONG: 'WRONG' } as const;

/** A row of the table: its label, a cell per system, the number the ratio is taken of, and which way is better. */
interface RowDef {
  label: string;
  cell: (f: SystemFigures) => string;
  value: ((f: SystemFigures) => number | null) | null;
  higherIsBetter: boolean;
}

function rows(payloadsSent: number): RowDef[] {
  const cpuTotal = (f: SystemFigures) => (f.ingest.serverCpuS === null ? null : f.ingest.serverCpuS + (f.ingest.settleCpuS ?? 0));
  const out: RowDef[] = [
    {
      label: 'cores busy elsewhere: before / during the load',
      cell: (f) => `${fmt(f.backgroundCores, 2)} / ${fmt(f.otherCoresDuringLoad, 2)}`,
      value: null,
      higherIsBetter: false,
    },
    { label: '1. batch ingest, payloads/s', cell: (f) => fmtRate(f.ingest.payloads / f.ingest.wallS), value: (f) => f.ingest.payloads / f.ingest.wallS, higherIsBetter: true },
    {
      label: '1. server CPU s, load + flush/settle',
      cell: (f) => (f.ingest.serverCpuS === null ? '-' : `${fmt(f.ingest.serverCpuS)} + ${fmt(f.ingest.settleCpuS ?? Number.NaN)}`),
      value: cpuTotal,
      higherIsBetter: false,
    },
    { label: '1. sender CPU s (bench process)', cell: (f) => fmt(f.ingest.senderCpuS), value: null, higherIsBetter: false },
  ];
  QUERY_FIGURES.forEach((def, k) => {
    out.push({
      label: `${def.figure}. ${def.label}: p50 ms`,
      cell: (f) => {
        const q = f.queries[k];
        return q ? `${fmt(q.latency.p50)} ${ANSWER_MARK[q.verdict.label]}` : '-';
      },
      value: (f) => f.queries[k]?.latency.p50 ?? null,
      higherIsBetter: false,
    });
  });
  out.push(
    { label: '7. disk bytes per payload', cell: (f) => fmt(f.disk.bytes / payloadsSent, 1), value: (f) => f.disk.bytes / payloadsSent, higherIsBetter: false },
    { label: '7b. disk bytes per payload, series alone', cell: (f) => fmt(f.disk.series / payloadsSent, 1), value: (f) => f.disk.series / payloadsSent, higherIsBetter: false },
    { label: '8. server RSS MiB after load and queries', cell: (f) => mibOrDash(f.rss), value: (f) => f.rss, higherIsBetter: false },
    { label: `8b. server RSS MiB after ${IDLE_NOTE}`, cell: (f) => mibOrDash(f.rssIdle), value: (f) => f.rssIdle, higherIsBetter: false },
  );
  return out;
}

/** The closing report: context, the markdown table, what each figure means, and the wrong answers again. */
export function printTable(info: RunInfo, results: Map<string, SystemFigures | string>, payloadsSent: number): void {
  const columns = ['agentmon', 'VictoriaMetrics', 'InfluxDB'];
  const get = (name: string) => {
    const r = results.get(name);
    return typeof r === 'object' ? r : null;
  };
  const am = get('agentmon');
  const vm = get('VictoriaMetrics');
  const lines: string[] = [];
  lines.push(`date: ${info.date}`);
  lines.push(`machine: ${info.machine}`);
  for (const v of info.versions) lines.push(`version: ${v}`);
  lines.push(`dataset: ${info.dataset}`);
  lines.push(`load: ${info.load}`);
  lines.push(`queries: ${info.queries}`);
  lines.push('');
  lines.push('| figure | agentmon | VictoriaMetrics | InfluxDB | agentmon / VM |');
  lines.push('|---|--:|--:|--:|---|');
  for (const row of rows(payloadsSent)) {
    const cells = columns.map((c) => {
      const f = get(c);
      return f ? row.cell(f) : '-';
    });
    const r = row.value && am && vm ? ratio(row.value(am), row.value(vm), row.higherIsBetter) : '-';
    lines.push(`| ${row.label} | ${cells.join(' | ')} | ${r} |`);
  }
  for (const c of columns) {
    const r = results.get(c);
    if (typeof r === 'string') lines.push(`\n${c}: not measured: ${r}`);
    else if (r === undefined) lines.push(`\n${c}: not measured (not in BENCH_PEERS)`);
  }
  lines.push('');
  lines.push('What the figures are (every query: over HTTP, one at a time, median of the measured runs after the warm-ups):');
  lines.push('cores busy elsewhere: cores other processes kept busy in the 2 s before the system\'s load, and on average during it (the');
  lines.push('   machine\'s busy CPU less the server\'s and the sender\'s; 0 on a quiet machine: figures taken well above 0 are not comparable).');
  lines.push('1. batch ingest: payloads acknowledged / wall time from the first request to the last response (peers: line protocol on /write;');
  lines.push('   agentmon: JSON on POST /api/v1/metrics); server CPU from /proc during the load, then during the flush (VictoriaMetrics) and the');
  lines.push('   wait until the data dir stops changing; sender CPU = this process while it sent (bodies pre-built, read from a file).');
  lines.push('2. one agent (a different one each run), average cpu_usage_percent per 5 min over the range.');
  lines.push('3. every agent merged, average cpu_usage_percent per 5 min over the range (sum of values / count of values per bucket).');
  lines.push('4. the latest cpu_usage_percent of each agent over the whole range.');
  lines.push('5. the same over the last 5 min of the range.');
  lines.push('6. the latest value of every metric of each agent over the last 5 min (agentmon: its 26 built-in metrics and health_score;');
  lines.push('   the peers: every field, the 2 numeric custom metrics included).');
  lines.push('7. bytes allocated on disk (du) by the whole data dir after the load, flush and settle, per payload sent; 7b. the same');
  lines.push('   for the series alone: agentmon\'s series dir, without its SQLite database of agents and of the events and alerts the');
  lines.push('   engine raised (the peers keep only series: their whole dir).');
  lines.push('8. resident set size of the server process (/proc VmRSS) after the load and the queries; 8b. the same after a quiet');
  lines.push(`   spell (${IDLE_NOTE}, BENCH_IDLE_SECONDS) with no request, when Go's scavenger and agentmon's idle collection give memory back.`);
  lines.push('Cells of 2-6: "ok" = every value of every answer matched the data within 1e-9 relative; "ok, rounded" = within 1e-6');
  lines.push('(allowed for the peers, not for agentmon); WRONG = a value off, missing or extra (see the details above).');
  lines.push('agentmon / VM: agentmon\'s figure divided by VictoriaMetrics\'; each cell says which side of 1 favours agentmon.');
  console.log(`\n== summary\n\n${lines.join('\n')}`);

  const wrong: string[] = [];
  for (const [name, r] of results) {
    if (typeof r !== 'object') continue;
    r.queries.forEach((q, k) => {
      if (q.verdict.label === 'WRONG') wrong.push(`${name}, figure ${QUERY_FIGURES[k]?.figure}: ${q.verdict.detail}`);
    });
    if (r.ingest.failures > 0) wrong.push(`${name}: ${r.ingest.failures} batch(es) failed`);
    if (typeof r.stored === 'number' && r.stored !== payloadsSent) wrong.push(`${name}: counts ${r.stored} payloads, ${payloadsSent} were sent`);
  }
  if (wrong.length > 0) {
    console.log('\n!!!!!!!! WRONG ANSWERS !!!!!!!!');
    for (const w of wrong) console.log(`!!! ${w}`);
  }
}
