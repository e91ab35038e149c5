/**
 * The generic webhook channel: one JSON message per group of alert transitions. The shape is
 * versioned (`version: 1`) so receivers can tell it apart from a future one; each alert carries its
 * fingerprint so a receiver can deduplicate retries and repeats.
 */
import type { AlertSeverity } from '@agentmon/schema';
import type { AlertRecord } from '../storage/ports.js';
import type { AlertTransition } from '../engine/alerts.js';

/** Why an alert is in a message: a transition, or a reminder that it still fires. */
export type NotificationKind = AlertTransition['kind'] | 'repeat';

/** One alert of a notification, with the reason it is sent. */
export interface NotifiedAlert {
  kind: NotificationKind;
  alert: AlertRecord;
}

/** What every channel's builder receives besides the alerts. */
export interface MessageContext {
  /** Identity of the group: the same for every target and every retry of one message. */
  groupKey: string;
  /** ISO time the group was sent. */
  sentAt: string;
}

/** One alert as the webhook message shows it. */
export interface WebhookAlert {
  kind: NotificationKind;
  fingerprint: string;
  id: string;
  agent_id: string;
  severity: AlertSeverity;
  title: string;
  message: string;
  metric_name: string | null;
  threshold: number | null;
  current_value: number | null;
  created_at: string;
  resolved_at: string | null;
  is_active: boolean;
  acknowledged_at: string | null;
}

/** The generic webhook body (version 1). */
export interface WebhookMessage {
  version: 1;
  source: 'agentmon';
  group_key: string;
  sent_at: string;
  /** True only for the message `POST /notifications/:id/test` sends. */
  test: boolean;
  alerts: WebhookAlert[];
  /** How many alerts of the message still fire and how many resolved. */
  summary: { firing: number; resolved: number };
}

/** The webhook view of one alert. */
export function webhookAlert({ kind, alert }: NotifiedAlert): WebhookAlert {
  return {
    kind,
    fingerprint: alert.fingerprint,
    id: alert.id,
    agent_id: alert.agent_id,
    severity: alert.severity,
    title: alert.title,
    message: alert.message,
    metric_name: alert.metric_name,
    threshold: alert.threshold,
    current_value: alert.current_value,
    created_at: alert.created_at,
    resolved_at: alert.resolved_at,
    is_active: alert.is_active,
    acknowledged_at: alert.acknowledged_at,
  };
}

/** Counts of firing and resolved alerts, shared by every channel's summary line. */
export function summarize(items: readonly NotifiedAlert[]): { firing: number; resolved: number } {
  const resolved = items.filter((i) => i.kind === 'resolved').length;
  return { firing: items.length - resolved, resolved };
}

/** The generic JSON message for a group of alerts. */
export function webhookMessage(items: readonly NotifiedAlert[], context: MessageContext): WebhookMessage {
  return {
    version: 1,
    source: 'agentmon',
    group_key: context.groupKey,
    sent_at: context.sentAt,
    test: false,
    alerts: items.map(webhookAlert),
    summary: summarize(items),
  };
}

/** The message a target receives when a person tests it: no alerts, `test: true`. */
export function webhookTestMessage(context: MessageContext): WebhookMessage {
  return {
    version: 1,
    source: 'agentmon',
    group_key: context.groupKey,
    sent_at: context.sentAt,
    test: true,
    alerts: [],
    summary: { firing: 0, resolved: 0 },
  };
}
