/**
 * Every alert, filtered by state, severity, agent and time; most severe first (or newest first);
 * grouped by agent or rule if asked; paged; acknowledge and resolve.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AlertDetail, AlertListQuery, AlertSeverity, AlertSortKey } from '@agentmon/schema';
import { ALERT_SEVERITIES } from '@agentmon/schema/plain';
import { useApp } from '../context.js';
import { useAsync, useNow, useRefresh, useThrottled } from '../hooks.js';
import { setQuery } from '../router.js';
import { AgentPicker } from '../components/AgentPicker.js';
import { AlertList, type AlertGrouping } from '../components/AlertList.js';
import { Pager, Segmented } from '../components/controls.js';
import { Empty, ErrorState, Loading } from '../components/states.js';

const SEVERITIES: readonly AlertSeverity[] = ALERT_SEVERITIES;
/** Time windows the alert and event filters offer. */
export const SINCE_OPTIONS = [
  { value: '', label: 'Any time' },
  { value: '1h', label: 'Last hour' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
] as const;

/** "24h" -> an ISO time that long ago. */
export function sinceIso(since: string): string | undefined {
  const m = /^(\d+)([hd])$/.exec(since);
  if (!m) return undefined;
  const ms = Number(m[1]) * (m[2] === 'h' ? 3_600_000 : 86_400_000);
  return new Date(Date.now() - ms).toISOString();
}

type StateFilter = 'active' | 'resolved' | 'all';
const STATE_OPTIONS: { value: StateFilter; label: string }[] = [
  { value: 'active', label: 'Active' },
  { value: 'resolved', label: 'Resolved' },
  { value: 'all', label: 'All' },
];

type Order = 'severity' | 'newest';
const ORDER_OPTIONS: { value: Order; label: string }[] = [
  { value: 'severity', label: 'Most severe' },
  { value: 'newest', label: 'Newest' },
];
const ORDER_SORT: Record<Order, AlertSortKey> = { severity: 'severity', newest: '-created_at' };

/** The alerts page. */
export function AlertsPage({ query }: { query: URLSearchParams }) {
  const { client } = useApp();
  const now = useNow(15_000);
  const state = (query.get('state') as StateFilter | null) ?? 'active';
  const severity = query.get('severity') ?? '';
  const agentId = query.get('agent_id') ?? '';
  const since = query.get('since') ?? '';
  const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
  // Most severe first unless asked otherwise: the order people triage in.
  const order: Order = query.get('order') === 'newest' ? 'newest' : 'severity';
  const groupParam = query.get('group');
  const groupBy: AlertGrouping = groupParam === 'agent' || groupParam === 'rule' ? groupParam : null;
  const pageSize = 50;
  const params: AlertListQuery = {
    ...(state !== 'all' ? { active: state === 'active' } : {}),
    ...(severity ? { severity: severity as AlertSeverity } : {}),
    ...(agentId ? { agent_id: agentId } : {}),
    sort: ORDER_SORT[order],
    page,
    page_size: pageSize,
  };
  // `since` is resolved when the filter changes, not at every render.
  const sinceAt = useRef<{ key: string; iso: string | undefined }>({ key: '', iso: undefined });
  if (sinceAt.current.key !== since) sinceAt.current = { key: since, iso: sinceIso(since) };
  const list = useAsync((s) => client.listAlerts({ ...params, ...(sinceAt.current.iso ? { since: sinceAt.current.iso } : {}) }, { signal: s }), [params, since]);
  const reloadSoon = useThrottled(list.reload, 1000);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const known = useRef<Set<string> | null>(null);

  useRefresh(list.reload, (batch) => {
    if (batch.alerts.length > 0) reloadSoon();
  });

  useEffect(() => {
    if (!list.data) return;
    const ids = new Set(list.data.items.map((a) => a.id));
    if (known.current) setFresh(new Set([...ids].filter((id) => !known.current?.has(id))));
    known.current = ids;
  }, [list.data]);

  const onChange = (updated: AlertDetail) => {
    list.setData((p) => p && { ...p, items: p.items.map((a) => (a.id === updated.id ? updated : a)) });
    reloadSoon();
  };
  const filtered = severity || agentId || since;

  return (
    <>
      <div class="page-head">
        <div>
          <h1>Alerts</h1>
          <p>Raised when an agent crosses a threshold in its monitoring configuration or a health check fails.</p>
        </div>
      </div>
      <section class="card flush">
        <div class="toolbar">
          <Segmented label="State" value={state} options={STATE_OPTIONS} onChange={(v) => setQuery({ state: v === 'active' ? undefined : v, page: undefined })} />
          <select aria-label="Severity" value={severity} onChange={(e) => setQuery({ severity: e.currentTarget.value, page: undefined })}>
            <option value="">All severities</option>
            {SEVERITIES.map((s) => (
              <option value={s}>{s[0]?.toUpperCase() + s.slice(1)}</option>
            ))}
          </select>
          <Segmented label="Order" value={order} options={ORDER_OPTIONS} onChange={(v) => setQuery({ order: v === 'severity' ? undefined : v, page: undefined })} />
          <select aria-label="Group by" value={groupBy ?? ''} onChange={(e) => setQuery({ group: e.currentTarget.value || undefined })}>
            <option value="">No grouping</option>
            <option value="agent">Group by agent</option>
            <option value="rule">Group by rule</option>
          </select>
          <select aria-label="Time" value={since} onChange={(e) => setQuery({ since: e.currentTarget.value, page: undefined })}>
            {SINCE_OPTIONS.map((o) => (
              <option value={o.value}>{o.label}</option>
            ))}
          </select>
          <AgentPicker value={agentId} onChange={(id) => setQuery({ agent_id: id, page: undefined })} />
          {filtered ? (
            <button class="btn small" onClick={() => setQuery({ severity: undefined, agent_id: undefined, since: undefined, page: undefined })}>
              Clear filters
            </button>
          ) : null}
        </div>
        {list.error && !list.data ? <ErrorState error={list.error} retry={list.reload} /> : null}
        {!list.data && !list.error ? <Loading label="Loading alerts…" /> : null}
        {list.data && list.data.items.length === 0 ? (
          state === 'active' && !filtered ? (
            <Empty title="No active alerts">Every agent is within its thresholds.</Empty>
          ) : (
            <Empty title="No alert matches these filters" />
          )
        ) : null}
        {list.data && list.data.items.length > 0 ? (
          <>
            <AlertList alerts={list.data.items} onChange={onChange} now={now} fresh={fresh} groupBy={groupBy} />
            <Pager page={list.data.page} pageSize={list.data.page_size} total={list.data.total} onPage={(p) => setQuery({ page: p === 1 ? undefined : p })} />
          </>
        ) : null}
      </section>
    </>
  );
}
