/** A list of alerts with their figures, and Acknowledge / Resolve buttons on the active ones. */
import { useState } from 'preact/hooks';
import type { AlertDetail } from '@agentmon/schema';
import { useApp } from '../context.js';
import { formatDateTime, formatLasting, formatRelative, formatTimesIn, formatUnit } from '../format.js';
import { metricInfo } from '../metrics.js';
import { href } from '../router.js';
import { SeverityBadge } from './badges.js';

/** AlertList props; `onChange` gets the alert as the server answered after an action. */
export interface AlertListProps {
  alerts: AlertDetail[];
  showAgent?: boolean;
  onChange: (alert: AlertDetail) => void;
  now: number;
  /** Ids to flash (just arrived). */
  fresh?: ReadonlySet<string>;
}

/** The list. */
export function AlertList({ alerts, showAgent = true, onChange, now, fresh }: AlertListProps) {
  return (
    <ul class="list" data-testid="alert-list">
      {alerts.map((a) => (
        <AlertRow key={a.id} alert={a} showAgent={showAgent} onChange={onChange} now={now} fresh={fresh?.has(a.id) ?? false} />
      ))}
    </ul>
  );
}

function AlertRow({ alert: a, showAgent, onChange, now, fresh }: { alert: AlertDetail; showAgent: boolean; onChange: (a: AlertDetail) => void; now: number; fresh: boolean }) {
  const { client, toast, agentName, canEdit } = useApp();
  const [busy, setBusy] = useState<'resolve' | 'ack' | null>(null);
  const info = metricInfo(a.metric_name);
  const name = showAgent ? agentName(a.agent_id) : undefined;

  async function act(kind: 'resolve' | 'ack') {
    setBusy(kind);
    try {
      const updated = kind === 'resolve' ? await client.resolveAlert(a.id) : await client.ackAlert(a.id, 'dashboard');
      onChange(updated);
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
          {a.acknowledged_at ? <span title={a.ack_comment ?? ''}>acknowledged by {a.acknowledged_by ?? 'someone'}</span> : null}
        </div>
      </div>
      {a.is_active && canEdit ? (
        <div class="actions">
          {!a.acknowledged_at ? (
            <button class="btn small" disabled={busy !== null} onClick={() => act('ack')} title="Stop repeated notifications; the alert stays active">
              {busy === 'ack' ? 'Acknowledging…' : 'Acknowledge'}
            </button>
          ) : null}
          <button class="btn small primary" disabled={busy !== null} onClick={() => act('resolve')} data-testid="resolve-alert">
            {busy === 'resolve' ? 'Resolving…' : 'Resolve'}
          </button>
        </div>
      ) : (
        <div class="actions" />
      )}
    </li>
  );
}
