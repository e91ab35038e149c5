/**
 * The agents table: server-side filter, search, sort and paging (never more than one page in the
 * DOM), with rows patched in place from the live stream. Its state lives in the hash's query.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { AgentListQuery, AgentStatus, AgentType, MetricsStreamData, StatusStreamData } from '@agentmon/schema';
import { AGENT_TYPES } from '@agentmon/schema/plain';
import { STATUS_ORDER, liveRows, liveSortKey, type LivePatch } from '../agent-rows.js';
import { useApp } from '../context.js';
import { formatDateTime, formatRelative, humanize } from '../format.js';
import { useAsync, useDebounced, useNow, useRefresh, useThrottled } from '../hooks.js';
import { href, setQuery } from '../router.js';
import { ScoreBar, StatusBadge } from './badges.js';
import { Pager, SearchInput } from './controls.js';
import { Empty, ErrorState, Loading } from './states.js';

/** Every agent status, worst first (the order of the server's sort=status). */
export const STATUSES: readonly AgentStatus[] = STATUS_ORDER;
/** Every agent type. */
export const TYPES: readonly AgentType[] = AGENT_TYPES;

type SortKey = 'name' | 'status' | 'health_score' | 'type' | 'environment' | 'last_seen';

const COLUMNS: { key: SortKey; label: string; cls?: string }[] = [
  { key: 'name', label: 'Agent' },
  { key: 'status', label: 'Status' },
  { key: 'health_score', label: 'Health' },
  { key: 'type', label: 'Type', cls: 'hide-sm' },
  { key: 'environment', label: 'Environment', cls: 'hide-sm' },
  { key: 'last_seen', label: 'Last seen', cls: 'hide-sm' },
];

/** The table; `environments` fills the environment filter. */
export function AgentsTable({ query, environments }: { query: URLSearchParams; environments: string[] }) {
  const { client, config } = useApp();
  const now = useNow(15_000);
  const [search, setSearch] = useState(query.get('q') ?? '');
  const q = useDebounced(search.trim(), 250);
  const status = query.get('status') ?? '';
  const type = query.get('type') ?? '';
  const environment = query.get('env') ?? '';
  const tag = query.get('tag') ?? '';
  const sort = query.get('sort') ?? 'health_score';
  const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
  const pageSize = Math.min(200, Math.max(1, Number(query.get('size') ?? config.max_agents_per_page) || config.max_agents_per_page));
  const [patches, setPatches] = useState<Map<string, LivePatch>>(new Map());

  useEffect(() => {
    if ((query.get('q') ?? '') !== q) setQuery({ q, page: undefined });
  }, [q]);

  const params: AgentListQuery = {
    ...(status ? { status: status as AgentStatus } : {}),
    ...(type ? { type: type as AgentType } : {}),
    ...(environment ? { environment } : {}),
    ...(tag ? { tag } : {}),
    ...(q ? { q } : {}),
    sort: sort as AgentListQuery['sort'],
    page,
    page_size: pageSize,
  };
  const list = useAsync((signal) => client.listAgents(params, { signal: signal }), [params]);
  useEffect(() => setPatches(new Map()), [list.data]);

  const reloadSoon = useThrottled(list.reload, 5000);
  const visible = useMemo(() => new Set((list.data?.items ?? []).map((a) => a.id)), [list.data]);
  useRefresh(list.reload, (batch) => {
    if (visible.size === 0) return;
    const next = new Map<string, LivePatch>();
    const put = (id: string, p: LivePatch) => visible.has(id) && next.set(id, p);
    batch.metrics.forEach((m: MetricsStreamData) => put(m.agent_id, { status: m.status, health_score: m.health_score, last_seen: m.timestamp }));
    batch.status.forEach((s: StatusStreamData) => put(s.agent_id, { status: s.status, health_score: s.health_score, ...(s.last_seen ? { last_seen: s.last_seen } : {}) }));
    if (next.size > 0) setPatches((prev) => new Map([...prev, ...next]));
    // A change can move rows between pages or out of a filter: the page is re-sorted and filtered
    // at once (liveRows), and fetched again now and then for what lies beyond it.
    const moves = batch.status.length > 0 || (next.size > 0 && liveSortKey(sort));
    if (moves || batch.events.some((e) => e.type === 'agent_registered' || e.type === 'agent_deregistered')) reloadSoon();
  });

  const sortKey = sort.replace(/^-/, '') as SortKey;
  const descending = sort.startsWith('-');
  const toggleSort = (key: SortKey) => setQuery({ sort: sortKey === key ? (descending ? key : `-${key}`) : key, page: undefined });
  const filtered = Boolean(status || type || environment || tag || q);

  return (
    <section class="card flush" data-testid="agents-table">
      <div class="toolbar">
        <SearchInput value={search} onInput={setSearch} placeholder="Search agents by name" label="Search agents" />
        <select aria-label="Status" value={status} onChange={(e) => setQuery({ status: e.currentTarget.value, page: undefined })}>
          <option value="">All statuses</option>
          {STATUSES.map((s) => (
            <option value={s}>{humanize(s)}</option>
          ))}
        </select>
        <select aria-label="Type" value={type} onChange={(e) => setQuery({ type: e.currentTarget.value, page: undefined })}>
          <option value="">All types</option>
          {TYPES.map((t) => (
            <option value={t}>{humanize(t)}</option>
          ))}
        </select>
        <select aria-label="Environment" value={environment} onChange={(e) => setQuery({ env: e.currentTarget.value, page: undefined })}>
          <option value="">All environments</option>
          {[...new Set([...environments, ...(environment ? [environment] : [])])].sort().map((env) => (
            <option value={env}>{env}</option>
          ))}
        </select>
        <input
          aria-label="Tag"
          placeholder="Tag"
          size={10}
          value={tag}
          onChange={(e) => setQuery({ tag: e.currentTarget.value.trim(), page: undefined })}
        />
        {filtered ? (
          <button
            class="btn small"
            onClick={() => {
              setSearch('');
              setQuery({ status: undefined, type: undefined, env: undefined, tag: undefined, q: undefined, page: undefined });
            }}
          >
            Clear filters
          </button>
        ) : null}
      </div>
      {list.error && !list.data ? (
        <ErrorState error={list.error} retry={list.reload} />
      ) : list.loading && !list.data ? (
        <Loading label="Loading agents…" />
      ) : list.data && list.data.items.length === 0 ? (
        filtered ? (
          <Empty title="No agent matches these filters">Change or clear the filters.</Empty>
        ) : (
          <Empty title="No agents yet">Agents appear here once they register with POST /api/v1/agents (or the SDK).</Empty>
        )
      ) : list.data ? (
        <>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  {COLUMNS.map((c) => (
                    <th class={c.cls} aria-sort={sortKey === c.key ? (descending ? 'descending' : 'ascending') : 'none'}>
                      <button onClick={() => toggleSort(c.key)}>
                        {c.label}
                        <span class="arrow">{sortKey === c.key ? (descending ? '▼' : '▲') : ''}</span>
                      </button>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {liveRows(list.data.items, patches, { sort, status }).map((a) => (
                    <tr key={a.id} data-testid="agent-row" data-agent-id={a.id} data-status={a.status} data-score={a.health_score}>
                      <td class="name-cell">
                        <a href={href(`/agents/${encodeURIComponent(a.id)}`)}>{a.name}</a>
                        <span class="sub hide-lg">
                          {humanize(a.type)} · {a.environment} · {formatRelative(a.last_seen, now)}
                        </span>
                      </td>
                      <td>
                        <StatusBadge status={a.status} />
                      </td>
                      <td>
                        <ScoreBar score={a.health_score} status={a.status} />
                      </td>
                      <td class="hide-sm">{humanize(a.type)}</td>
                      <td class="hide-sm">{a.environment}</td>
                      <td title={formatDateTime(a.last_seen)} class="num hide-sm">
                        {formatRelative(a.last_seen, now)}
                      </td>
                    </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            page={list.data.page}
            pageSize={list.data.page_size}
            total={list.data.total}
            onPage={(p) => setQuery({ page: p === 1 ? undefined : p })}
            onPageSize={(s) => setQuery({ size: s, page: undefined })}
            sizes={[...new Set([25, 50, 100, 200, config.max_agents_per_page])].sort((x, y) => x - y)}
          />
        </>
      ) : null}
    </section>
  );
}
