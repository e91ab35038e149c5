/**
 * Durations and the times a query range may be given as: an ISO 8601 date-time, epoch milliseconds
 * (what Grafana's `${__from}` and `${__to}` give), or a time relative to the server's clock
 * (`now`, `now-1h`), so a dashboard or a shell can ask for "the last hour" without a clock of its own.
 */
import { parseDateTime } from '@agentmon/schema';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Milliseconds of a duration like `10s`, `5m`, `1h`, `1d`; null when it is not one. */
export function parseInterval(text: string): number | null {
  const m = /^([1-9][0-9]{0,8})(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return ms >= 1 ? ms : null;
}

/** Largest time a Date holds (±8.64e15 ms, about 275,000 years either side of 1970). */
const MAX_DATE_MS = 8.64e15;

/** What a bad time is told, naming every accepted form. */
export const TIME_EXPRESSION_FORMS = 'an ISO 8601 date-time (2026-01-31T12:00:00Z), epoch milliseconds (1769860800000), or now, now-<duration>, now+<duration> (now-1h, now-30m)';

/**
 * Milliseconds since the epoch of a time expression, relative ones against `nowMs`; undefined when
 * the text is none of the accepted forms or lands outside a Date's range.
 */
export function parseTimeExpression(text: string, nowMs: number): number | undefined {
  const s = text.trim();
  let ms: number | undefined;
  if (/^[0-9]{1,16}$/.test(s)) ms = Number(s);
  else if (s === 'now') ms = nowMs;
  else {
    const relative = /^now([+-])(.+)$/.exec(s);
    if (relative) {
      const offset = parseInterval(relative[2] as string);
      ms = offset === null ? undefined : relative[1] === '-' ? nowMs - offset : nowMs + offset;
    } else ms = parseDateTime(s)?.getTime();
  }
  return ms !== undefined && Math.abs(ms) <= MAX_DATE_MS ? ms : undefined;
}
