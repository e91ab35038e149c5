/** How numbers, sizes, durations and times read on screen: always with their unit. */

const nf0 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const nf1 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const nf2 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

const DASH = '—';
const ok = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** 1234 -> "1,234"; 1234567 -> "1.23M". */
export function formatNumber(v: number | null | undefined): string {
  if (!ok(v)) return DASH;
  const a = Math.abs(v);
  if (a >= 1e9) return `${nf2.format(v / 1e9)}B`;
  if (a >= 1e6) return `${nf2.format(v / 1e6)}M`;
  if (a >= 1e4) return `${nf1.format(v / 1e3)}k`;
  if (a >= 100) return nf0.format(v);
  if (a >= 10) return nf1.format(v);
  return nf2.format(v);
}

/** Bytes in binary units: "812 MB", "1.5 GB". */
export function formatBytes(v: number | null | undefined): string {
  if (!ok(v)) return DASH;
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let x = Math.abs(v);
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  const digits = x >= 100 || i === 0 ? 0 : x >= 10 ? 1 : 2;
  return `${v < 0 ? '-' : ''}${x.toFixed(digits)} ${units[i]}`;
}

/** Milliseconds: "840 ms", "1.24 s", "2.5 min". */
export function formatMs(v: number | null | undefined): string {
  if (!ok(v)) return DASH;
  if (v < 1) return `${nf2.format(v)} ms`;
  if (v < 1000) return `${nf0.format(v)} ms`;
  if (v < 60_000) return `${nf2.format(v / 1000)} s`;
  return `${nf1.format(v / 60_000)} min`;
}

/** A percentage already in 0..100: "37.5%". */
export function formatPercent(v: number | null | undefined): string {
  if (!ok(v)) return DASH;
  return `${v >= 10 ? nf0.format(v) : nf1.format(v)}%`;
}

/** A ratio in 0..1 as a percentage: 0.017 -> "1.7%". */
export function formatRatio(v: number | null | undefined): string {
  if (!ok(v)) return DASH;
  const p = v * 100;
  if (p === 0) return '0%';
  if (p < 0.1) return '<0.1%';
  return `${p >= 10 ? nf0.format(p) : nf1.format(p)}%`;
}

/** A rate: "61.3/s". */
export function formatRate(v: number | null | undefined, unit = '/s'): string {
  if (!ok(v)) return DASH;
  return `${formatNumber(v)}${unit}`;
}

/** A health score in 0..1 as a whole percentage: "87". */
export function formatScore(v: number | null | undefined): string {
  if (!ok(v)) return DASH;
  return nf0.format(v * 100);
}

/** Seconds as a duration: "3d 4h", "12 min". */
export function formatDuration(seconds: number | null | undefined): string {
  if (!ok(seconds)) return DASH;
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });

/** "5 min ago", "just now"; `now` lets a caller keep a list consistent. */
export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return DASH;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return DASH;
  const d = (t - now) / 1000;
  const a = Math.abs(d);
  if (a < 10) return 'just now';
  if (a < 60) return rtf.format(Math.round(d), 'second');
  if (a < 3600) return rtf.format(Math.round(d / 60), 'minute');
  if (a < 86_400) return rtf.format(Math.round(d / 3600), 'hour');
  return rtf.format(Math.round(d / 86_400), 'day');
}

const dtf = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const tf = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/** A full local date and time, for tooltips. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? DASH : dtf.format(t);
}

/** A short local date and time: "Mar 4, 14:05". */
export function formatShortTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? DASH : tf.format(t);
}

/** snake_case to words: "llm_agent" -> "LLM agent". */
export function humanize(s: string): string {
  const words = s.replace(/_/g, ' ').replace(/\b(llm|ml|api|ai|gpu|cpu|io)\b/gi, (w) => w.toUpperCase());
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A unit a chart or a value uses. */
export type Unit = 'percent' | 'ratio' | 'ms' | 'bytes' | 'byterate' | 'rate' | 'count' | 'score' | 'usd';

const usd2 = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/**
 * An amount in US dollars: under a dollar to a hundredth of a cent ("$0.0123"), then dollars and
 * cents with thousands separators ("$1,234.56"), whole dollars from 100,000; a sum too small for
 * that reads "<$0.0001", never "$0.0000".
 */
export function formatUsd(v: number | null | undefined): string {
  if (!ok(v)) return DASH;
  const a = Math.abs(v);
  const sign = v < 0 ? '-' : '';
  if (a === 0) return '$0.00';
  if (a < 0.00005) return v < 0 ? '>-$0.0001' : '<$0.0001';
  if (a < 0.99995) return `${sign}$${a.toFixed(4)}`;
  if (a < 100_000) return `${sign}$${usd2.format(a)}`;
  return `${sign}$${nf0.format(a)}`;
}

/** Dollars on a chart axis, short: "$0", "$0.005", "$12", "$1.5k". */
export function formatUsdShort(v: number | null | undefined): string {
  if (!ok(v)) return DASH;
  if (v === 0) return '$0';
  const a = Math.abs(v);
  return `${v < 0 ? '-' : ''}$${a < 1 ? String(Number(a.toPrecision(2))) : formatNumber(a)}`;
}

/** Tokens: "980", "1,234", "170k", "1.7M" (whole tokens; thousands separators, then k, M, B). */
export function formatTokens(v: number | null | undefined): string {
  if (!ok(v)) return DASH;
  return formatNumber(Math.round(v));
}

/** Tokens in full, for tooltips: "1,700,000 tokens". */
export function formatTokensExact(v: number | null | undefined): string {
  if (!ok(v)) return DASH;
  return `${nf0.format(Math.round(v))} tokens`;
}

/** Formats a value in `unit`. */
export function formatUnit(v: number | null | undefined, unit: Unit): string {
  switch (unit) {
    case 'percent':
      return formatPercent(v);
    case 'ratio':
      return formatRatio(v);
    case 'ms':
      return formatMs(v);
    case 'bytes':
      return formatBytes(v);
    case 'byterate':
      return ok(v) ? `${formatBytes(v)}/s` : DASH;
    case 'rate':
      return formatRate(v);
    case 'score':
      return ok(v) ? formatScore(v) : DASH;
    case 'usd':
      return formatUsd(v);
    default:
      return formatNumber(v);
  }
}

/** An ISO 8601 UTC timestamp inside a text (as the server writes them in messages). */
const ISO_IN_TEXT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\b/g;

/**
 * A server text with each timestamp in it shown as local time and how long ago, worked out now:
 * the server writes "since <time>", never a duration that would be stale when read.
 */
export function formatTimesIn(text: string, now = Date.now()): string {
  return text.replace(ISO_IN_TEXT, (iso) => `${formatDateTime(iso)} (${formatRelative(iso, now)})`);
}

/** How long something from `fromIso` has lasted: until `toIso`, or until now while it goes on. */
export function formatLasting(fromIso: string, toIso: string | null, now = Date.now()): string {
  const end = toIso === null ? now : Date.parse(toIso);
  return formatDuration((end - Date.parse(fromIso)) / 1000);
}
