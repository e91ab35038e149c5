/**
 * A list of alerts with their figures, how long each has fired, and on the active ones Acknowledge
 * (the primary action: it asks who and why) and Resolve; optionally grouped by agent or by rule.
 */
import { useState } from 'preact/hooks';
import type { AlertDetail } from '@agentmon/schema';
import { useApp } from '../context.js';
import { formatDateTime, formatLasting, formatRelative, formatTimesIn, formatUnit } from '../format.js';
import { metricInfo } from '../metrics.js';
import { href } from '../router.js';
import { SeverityBadge } from './badges.js';

/** How a list of alerts may be grouped: by agent, by rule (the metric or check it is about), or not. */
export type AlertGrouping = 'agent' | 'rule' | null;

/** AlertList props; `onChange` gets the alert as the server answered after an action. */
export interface AlertListProps {
  alerts: AlertDetail[];
  showAgent?: boolean;
  onChange: (alert: AlertDetail) => void;
  now: number;
  /** Ids to flash (just arrived). */
  fresh?: ReadonlySet<string>;
  /** Groups in the order their first alert comes, each under a heading with its count. */
  groupBy?: AlertGrouping;
}

/** What an alert is about, as a rule: its metric (or check), else its title. */
export function alertRule(a: AlertDetail): string {
  return a.metric_name ?? a.title;
}

/** The list. */
export function AlertList({ alerts, showAgent = true, onChange, now, fresh, groupBy = null }: AlertListProps) {
  const { agentName } = useApp();
  const row = (a: AlertDetail, agent: boolean) => (
    <AlertRow key={a.id} alert={a} showAgent={agent} onChange={onChange} now={now} fresh={fresh?.has(a.id) ?? false} />
  );
  if (!groupBy) {
    return (
      <ul class="list" data-testid="alert-list">
        {alerts.map((a) => row(a, showAgent))}
      </ul>
    );
  }
  const groups = new Map<string, AlertDetail[]>();
  for (const a of alerts) {
    const key = groupBy === 'agent' ? a.agent_id : alertRule(a);
    const list = groups.get(key);
    if (list) list.push(a);
    else groups.set(key, [a]);
  }
  return (
    <div data-testid="alert-list" data-grouped={groupBy}>
      {[...groups].map(([key, list]) => (
        <section class="alert-group" data-testid="alert-group" data-key={key}>
          <h3 class="alert-group-head">
            {groupBy === 'agent' ? <a href={href(`/agents/${encodeURIComponent(key)}`)}>{agentName(key) ?? key.slice(0, 12)}</a> : metricInfo(key).label}
            <span class="count">{list.length}</span>
          </h3>
          <ul class="list">{list.map((a) => row(a, groupBy !== 'agent' && showAgent))}</ul>
        </section>
      ))}
    </div>
  );
}

/** Where the name of who acknowledges is remembered between alerts and visits. */
const ACK_BY_KEY = 'agentmon.ack_by';

function rememberedName(): string {
  try {
    return localStorage.getItem(ACK_BY_KEY) ?? '';
  } catch {
    return '';
  }
}

function AlertRow({ alert: a, showAgent, onChange, now, fresh }: { alert: AlertDetail; showAgent: boolean; onChange: (a: AlertDetail) => void; now: number; fresh: boolean }) {
  const { client, toast, agentName, canEdit, alertsChanged } = useApp();
  const [busy, setBusy] = useState<'resolve' | 'ack' | null>(null);
  const [asking, setAsking] = useState(false);
  const info = metricInfo(a.metric_name);
  const name = showAgent ? agentName(a.agent_id) : undefined;

  async function act(kind: 'resolve' | 'ack', by = '', why = '') {
    setBusy(kind);
    try {
      const updated = kind === 'resolve' ? await client.resolveAlert(a.id) : await client.acknowledgeAlert(a.id, { by, ...(why ? { comment: why } : {}) });
      setAsking(false);
      onChange(updated);
      alertsChanged();
      toast(kind === 'resolve' ? `Resolved: ${a.title}` : `Acknowledged: ${a.title}`);
    } catch (err) {
      toast(`Could not ${kind === 'resolve' ? 'resolve' : 'acknowledge'} the alert: ${(err as Error).message}`, 'error');
    } finally {
      setBusy(null);
    }
  }

  return (
    <li class={fresh ? 'is-new' : ''} data-testid="alert-row" data-alert-id={a.id} data-active={String(a.is_active)}>
      <SeverityBadge severity={a.severity} resolved={!a.is_active} />
      <div>
        <div class="title">{a.title}</div>
        {a.message && a.message !== a.title ? <div class="muted" data-testid="alert-message">{formatTimesIn(a.message, now)}</div> : null}
        <div class="meta">
          {showAgent ? <a href={href(`/agents/${encodeURIComponent(a.agent_id)}`)}>{name ?? a.agent_id.slice(0, 12)}</a> : null}
          {a.metric_name && a.current_value !== null ? (
            <span class="num">
              {info.label} {a.is_active ? 'now' : 'last'} {formatUnit(a.current_value, info.unit)}
              {a.threshold !== null ? ` · threshold ${formatUnit(a.threshold, info.unit)}` : ''}
            </span>
          ) : null}
          {/* Durations are worked out as shown, from the times, so they never go stale. */}
          {a.is_active ? (
            <span title={`fired ${formatDateTime(a.created_at)}`} data-testid="alert-lasting">
              firing for {formatLasting(a.created_at, null, now)}
            </span>
          ) : (
            <span title={formatDateTime(a.created_at)}>fired {formatRelative(a.created_at, now)}</span>
          )}
          {a.resolved_at ? (
            <span title={formatDateTime(a.resolved_at)}>
              resolved {formatRelative(a.resolved_at, now)}, after {formatLasting(a.created_at, a.resolved_at, now)}
            </span>
          ) : null}
          {a.acknowledged_at ? (
            <span title={formatDateTime(a.acknowledged_at)} data-testid="alert-acked">
              acknowledged by {a.acknowledged_by ?? 'someone'} {formatRelative(a.acknowledged_at, now)}
              {a.ack_comment ? `: “${a.ack_comment}”` : ''}
            </span>
          ) : null}
        </div>
      </div>
      {a.is_active && canEdit ? (
        <div class="actions">
          {!a.acknowledged_at ? (
            <button
              class="btn small primary"
              disabled={busy !== null}
              onClick={() => setAsking((x) => !x)}
              aria-expanded={asking}
              data-testid="ack-alert"
              title="Say you are on it: stops repeated notifications; the alert stays active"
            >
              {busy === 'ack' ? 'Acknowledging…' : 'Acknowledge'}
            </button>
          ) : null}
          <button class="btn small" disabled={busy !== null} onClick={() => act('resolve')} data-testid="resolve-alert">
            {busy === 'resolve' ? 'Resolving…' : 'Resolve'}
          </button>
        </div>
      ) : (
        <div class="actions" />
      )}
      {asking ? <AckForm busy={busy === 'ack'} onCancel={() => setAsking(false)} onSubmit={(by, why) => act('ack', by, why)} /> : null}
    </li>
  );
}

/** Who acknowledges and why; the name is remembered in this browser for the next time. */
function AckForm({ busy, onCancel, onSubmit }: { busy: boolean; onCancel: () => void; onSubmit: (by: string, why: string) => void }) {
  const [by, setBy] = useState(rememberedName);
  const [why, setWhy] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    const name = by.trim();
    if (!name) return;
    try {
      localStorage.setItem(ACK_BY_KEY, name);
    } catch {
      /* not remembered: storage is off */
    }
    onSubmit(name, why.trim());
  };
  return (
    <form class="ack-form" onSubmit={submit} data-testid="ack-form">
      <label>
        <span>Who</span>
        <input value={by} onInput={(e) => setBy(e.currentTarget.value)} placeholder="Your name" required maxLength={100} aria-label="Acknowledged by" autoFocus={!by} />
      </label>
      <label>
        <span>Why</span>
        <input value={why} onInput={(e) => setWhy(e.currentTarget.value)} placeholder="What you are doing about it (optional)" maxLength={1000} aria-label="Comment" autoFocus={!!by} />
      </label>
      <button class="btn small primary" type="submit" disabled={busy || !by.trim()} data-testid="ack-submit">
        {busy ? 'Acknowledging…' : 'Acknowledge'}
      </button>
      <button class="btn small" type="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
