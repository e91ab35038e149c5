/**
 * The Alertmanager channel: the body of Alertmanager's `POST /api/v2/alerts` (a list of
 * postableAlert), so agentmon's alerts join Prometheus' in one routing, grouping, silencing and
 * on-call tree.
 *
 * Alertmanager treats an alert as firing until its `endsAt`, and resolves it there by itself. A
 * firing alert is sent with `endsAt` two repeat intervals ahead: agentmon sends it again at each
 * repeat (which moves `endsAt` on), so it stays firing while agentmon says so, and still ends if
 * agentmon goes away. A resolved alert is sent with `endsAt` at its resolution. Alertmanager tells
 * alerts apart by their labels, and `severity` is one: an alert that changed severity (escalated,
 * or cooled down to a warning, which notifies nothing by itself) left an alert under its other
 * severity, so every message but a first firing also ends that one.
 */
import type { AlertSeverity } from '@agentmon/schema';
import type { MessageContext, NotifiedAlert } from './webhook.js';

/** One alert as Alertmanager's API v2 takes it (postableAlert). */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}

/** How long a firing alert stays firing in Alertmanager without word from agentmon: two repeat intervals. */
export const holdMs = (repeatIntervalMs: number) => 2 * repeatIntervalMs;

/** The severity an alert may have had before (alerts move between warning and critical only). */
const OTHER_SEVERITY: Record<AlertSeverity, AlertSeverity | null> = { warning: 'critical', critical: 'warning', info: null };

const num = (v: number) => String(Math.round(v * 10_000) / 10_000);

/** The labels that name an alert in Alertmanager: which rule, which agent, how severe. */
function labelsOf(alert: NotifiedAlert['alert'], severity: AlertSeverity): Record<string, string> {
  return {
    alertname: alert.metric_name ?? 'agentmon_alert',
    agent_id: alert.agent_id,
    severity,
    source: 'agentmon',
  };
}

function postable({ kind, alert }: NotifiedAlert, sentAtMs: number, hold: number): AlertmanagerAlert {
  const annotations: Record<string, string> = {
    summary: alert.title,
    description: alert.message,
    fingerprint: alert.fingerprint,
    alert_id: alert.id,
  };
  if (alert.current_value !== null) annotations.current_value = num(alert.current_value);
  if (alert.threshold !== null) annotations.threshold = num(alert.threshold);
  const ended = kind === 'resolved' || !alert.is_active;
  return {
    labels: labelsOf(alert, alert.severity),
    annotations,
    startsAt: alert.created_at,
    endsAt: ended ? (alert.resolved_at ?? new Date(sentAtMs).toISOString()) : new Date(sentAtMs + hold).toISOString(),
  };
}

/** The Alertmanager body for a group of alerts; `repeatIntervalMs` is the notifier's. */
export function alertmanagerMessage(items: readonly NotifiedAlert[], context: MessageContext, repeatIntervalMs: number): AlertmanagerAlert[] {
  const sentAtMs = Date.parse(context.sentAt);
  const hold = holdMs(repeatIntervalMs);
  const out: AlertmanagerAlert[] = [];
  for (const item of items) {
    const sent = postable(item, sentAtMs, hold);
    out.push(sent);
    const other = OTHER_SEVERITY[item.alert.severity];
    if (item.kind !== 'fired' && other !== null) {
      // The alert under its other severity, if it was ever sent so: ended (at once, or at the resolution).
      out.push({ ...sent, labels: labelsOf(item.alert, other), endsAt: sent.endsAt < context.sentAt ? sent.endsAt : context.sentAt });
    }
  }
  return out;
}

/**
 * What a target receives when a person tests it: no alerts (Alertmanager answers an empty list
 * with 200), so testing checks the address without paging anyone.
 */
export function alertmanagerTestMessage(): AlertmanagerAlert[] {
  return [];
}
