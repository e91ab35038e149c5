/** How the CLI prints: aligned tables and key/value blocks for people, JSON for scripts. */

/** Where output goes (process.stdout/stderr; tests may capture). */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** The process's own streams. */
export const stdio: Output = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/** Pretty JSON and a newline. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Columns padded to their widest cell, a header row first; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

/** `key   value` lines with the keys aligned. */
export function keyValues(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return `${pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}

/** "5s ago", "3m ago", "2h ago", "4d ago" (or "in 5s"); "never" for null. */
export function ago(iso: string | null | undefined, nowMs: number = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const seconds = Math.round((nowMs - t) / 1000);
  const abs = Math.abs(seconds);
  const text =
    abs < 60 ? `${abs}s` : abs < 3600 ? `${Math.floor(abs / 60)}m` : abs < 86_400 ? `${Math.floor(abs / 3600)}h` : `${Math.floor(abs / 86_400)}d`;
  return seconds >= 0 ? `${text} ago` : `in ${text}`;
}

/** 0.934 -> "93%". */
export function percent(fraction: number | null | undefined): string {
  return typeof fraction === 'number' ? `${Math.round(fraction * 100)}%` : '-';
}

/** A number with at most `digits` decimals, or "-". */
export function num(value: number | null | undefined, digits = 2): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '-';
  return String(Math.round(value * 10 ** digits) / 10 ** digits);
}
