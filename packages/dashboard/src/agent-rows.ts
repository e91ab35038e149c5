/**
 * The agents table's rows as the live stream leaves them. The server sorts and filters a page; the
 * stream then changes rows' status, score and last_seen in place. Shown as they came, the rows
 * would sit out of the order the header claims and under a status filter they no longer match, so
 * the page is filtered and sorted again here, the way the server does, until it is fetched anew.
 */
import type { AgentStatus, AgentSummary } from '@agentmon/schema';
import { AGENT_STATUS_ORDER } from '@agentmon/schema/plain';

/** Every agent status, worst first: the server's `sort=status` order. */
export const STATUS_ORDER = AGENT_STATUS_ORDER;

/** What the live stream changes in a row. */
export type LivePatch = Pick<AgentSummary, 'status' | 'health_score'> & { last_seen?: string };

const RANK: ReadonlyMap<AgentStatus, number> = new Map(STATUS_ORDER.map((s, i) => [s, i]));

/** A status's place in the server's `sort=status` order: error first, online last. */
export function statusRank(status: AgentStatus): number {
  return RANK.get(status) ?? STATUS_ORDER.length;
}

/** The sort keys the stream can change, as the server compares them. */
const LIVE_KEYS: Partial<Record<string, (a: AgentSummary) => number | string>> = {
  status: (a) => statusRank(a.status),
  health_score: (a) => a.health_score,
  last_seen: (a) => a.last_seen,
};

/** True when the stream can move a row under `sort` (a `-` prefix sorts descending). */
export function liveSortKey(sort: string): boolean {
  return LIVE_KEYS[sort.replace(/^-/, '')] !== undefined;
}

/**
 * The page's rows with the patches applied, without the rows that left the status filter, in the
 * order of `sort`. Rows equal under the sort keep the server's order (its tie-break is by id).
 */
export function liveRows(items: readonly AgentSummary[], patches: ReadonlyMap<string, LivePatch>, view: { sort: string; status: string }): AgentSummary[] {
  let rows = items.map((a) => {
    const p = patches.get(a.id);
    return p ? { ...a, ...p } : a;
  });
  if (view.status) rows = rows.filter((r) => r.status === view.status);
  const value = LIVE_KEYS[view.sort.replace(/^-/, '')];
  if (value === undefined || patches.size === 0) return rows;
  const sign = view.sort.startsWith('-') ? -1 : 1;
  const keyed = rows.map((row, i) => ({ row, i, v: value(row) }));
  keyed.sort((x, y) => (x.v < y.v ? -sign : x.v > y.v ? sign : x.i - y.i));
  return keyed.map((k) => k.row);
}
