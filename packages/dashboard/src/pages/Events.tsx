/** The event history (newest first) with filters; new events arrive from the live stream. */
import { useRef, useState } from 'preact/hooks';
import type { EventListQuery, EventSeverity, EventType, SystemEvent } from '@agentmon/schema';
import { EVENT_SEVERITIES, EVENT_TYPES } from '@agentmon/schema/plain';
import { useApp } from '../context.js';
import { humanize } from '../format.js';
import { useAsync, useNow, useRefresh } from '../hooks.js';
import { setQuery } from '../router.js';
import { AgentPicker } from '../components/AgentPicker.js';
import { EventList } from '../components/EventList.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { SINCE_OPTIONS, sinceIso } from './Alerts.js';

const TYPES: readonly EventType[] = EVENT_TYPES;
/** Worst first, as people scan a filter. */
const SEVERITIES: readonly EventSeverity[] = [...EVENT_SEVERITIES].reverse();
const LIMITS = [50, 100, 250, 500, 1000];

function matches(e: SystemEvent, f: { type: string; severity: string; agentId: string }): boolean {
  return (!f.type || e.type === f.type) && (!f.severity || e.severity === f.severity) && (!f.agentId || e.agent_id === f.agentId);
}

/** The events page. */
export function EventsPage({ query }: { query: URLSearchParams }) {
  const { client } = useApp();
  const now = useNow(15_000);
  const type = query.get('type') ?? '';
  const severity = query.get('severity') ?? '';
  const agentId = query.get('agent_id') ?? '';
  const since = query.get('since') ?? '';
  const limit = Number(query.get('limit') ?? 100) || 100;
  const params: EventListQuery = {
    ...(type ? { type: type as EventType } : {}),
    ...(severity ? { severity: severity as EventSeverity } : {}),
    ...(agentId ? { agent_id: agentId } : {}),
    limit,
  };
  const sinceAt = useRef<{ key: string; iso: string | undefined }>({ key: '', iso: undefined });
  if (sinceAt.current.key !== since) sinceAt.current = { key: since, iso: sinceIso(since) };
  const list = useAsync((s) => client.listEvents({ ...params, ...(sinceAt.current.iso ? { since: sinceAt.current.iso } : {}) }, { signal: s }), [params, since]);
  const [fresh, setFresh] = useState<Set<string>>(new Set());

  useRefresh(list.reload, (batch) => {
    const incoming = batch.events.filter((e) => matches(e, { type, severity, agentId })).reverse();
    if (incoming.length === 0) return;
    setFresh(new Set(incoming.map((e) => e.id)));
    list.setData((p) => {
      if (!p) return p;
      const ids = new Set(p.items.map((e) => e.id));
      return { items: [...incoming.filter((e) => !ids.has(e.id)), ...p.items].slice(0, limit) };
    });
  });
  const filtered = type || severity || agentId || since;

  return (
    <>
      <div class="page-head">
        <div>
          <h1>Events</h1>
          <p>What happened across the fleet: registrations, status changes, threshold breaches, failed health checks.</p>
        </div>
      </div>
      <section class="card flush">
        <div class="toolbar">
          <select aria-label="Event type" value={type} onChange={(e) => setQuery({ type: e.currentTarget.value })}>
            <option value="">All types</option>
            {TYPES.map((t) => (
              <option value={t}>{humanize(t)}</option>
            ))}
          </select>
          <select aria-label="Severity" value={severity} onChange={(e) => setQuery({ severity: e.currentTarget.value })}>
            <option value="">All severities</option>
            {SEVERITIES.map((s) => (
              <option value={s}>{humanize(s)}</option>
            ))}
          </select>
          <select aria-label="Time" value={since} onChange={(e) => setQuery({ since: e.currentTarget.value })}>
            {SINCE_OPTIONS.map((o) => (
              <option value={o.value}>{o.label}</option>
            ))}
          </select>
          <AgentPicker value={agentId} onChange={(id) => setQuery({ agent_id: id })} />
          <select aria-label="How many" value={String(limit)} onChange={(e) => setQuery({ limit: e.currentTarget.value === '100' ? undefined : e.currentTarget.value })}>
            {LIMITS.map((l) => (
              <option value={String(l)}>Latest {l}</option>
            ))}
          </select>
          {filtered ? (
            <button class="btn small" onClick={() => setQuery({ type: undefined, severity: undefined, agent_id: undefined, since: undefined })}>
              Clear filters
            </button>
          ) : null}
        </div>
        {list.error && !list.data ? <ErrorState error={list.error} retry={list.reload} /> : null}
        {!list.data && !list.error ? <Loading label="Loading events…" /> : null}
        {list.data && list.data.items.length === 0 ? <Empty title={filtered ? 'No event matches these filters' : 'No events yet'} /> : null}
        {list.data && list.data.items.length > 0 ? <EventList events={list.data.items} now={now} fresh={fresh} /> : null}
      </section>
    </>
  );
}
