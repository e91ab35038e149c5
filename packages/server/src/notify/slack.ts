/**
 * The Slack channel: a payload Slack incoming webhooks accept (and Mattermost, Rocket.Chat and
 * Discord's `/slack` endpoint too). `text` is the notification and fallback line; each alert is an
 * attachment, because only attachments carry the colour bar: critical red, warning orange, info
 * blue, resolved green.
 */
import type { AlertSeverity } from '@agentmon/schema';
import { summarize, type MessageContext, type NotificationKind, type NotifiedAlert } from './webhook.js';

/** Slack text object. */
export interface SlackText {
  type: 'mrkdwn' | 'plain_text';
  text: string;
}

/** The Block Kit blocks this channel uses. */
export type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text: SlackText }
  | { type: 'context'; elements: SlackText[] };

/** One coloured attachment. */
export interface SlackAttachment {
  color: string;
  fallback: string;
  blocks: SlackBlock[];
}

/** An incoming-webhook payload. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
  attachments: SlackAttachment[];
}

/** Colour bar of each severity, and of a resolved alert whatever its severity. */
export const SLACK_COLORS: Record<AlertSeverity | 'resolved', string> = {
  critical: '#d50000',
  warning: '#ff9800',
  info: '#2196f3',
  resolved: '#2eb67d',
};

/** Alerts shown one by one; Slack refuses messages with too many blocks, so the rest are counted. */
export const SLACK_MAX_ALERTS = 20;

const KIND_LABELS: Record<NotificationKind, string> = {
  fired: 'FIRING',
  escalated: 'ESCALATED',
  resolved: 'RESOLVED',
  repeat: 'STILL FIRING',
};

/** Slack reads `&`, `<` and `>` as markup (links, mentions), so text from agents is escaped. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack rejects over-long texts (header 150, section 3000 characters): cut with an ellipsis. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const num = (v: number) => (Number.isInteger(v) ? String(v) : String(Math.round(v * 10_000) / 10_000));

function headline(items: readonly NotifiedAlert[]): string {
  const { firing, resolved } = summarize(items);
  const parts = [firing > 0 ? `${firing} firing` : '', resolved > 0 ? `${resolved} resolved` : ''].filter((p) => p !== '');
  return `agentmon: ${parts.join(', ') || 'no alerts'}`;
}

function attachment({ kind, alert }: NotifiedAlert): SlackAttachment {
  const label = KIND_LABELS[kind];
  const color = kind === 'resolved' ? SLACK_COLORS.resolved : SLACK_COLORS[alert.severity];
  const facts = [`agent \`${escapeSlack(alert.agent_id)}\``];
  if (alert.metric_name) facts.push(`metric \`${escapeSlack(alert.metric_name)}\``);
  if (alert.current_value !== null) facts.push(`value ${num(alert.current_value)}`);
  if (alert.threshold !== null) facts.push(`threshold ${num(alert.threshold)}`);
  facts.push(`since ${alert.created_at}`);
  if (alert.resolved_at) facts.push(`resolved ${alert.resolved_at}`);
  facts.push(`fingerprint \`${alert.fingerprint}\``);
  return {
    color,
    fallback: clip(`[${label}] ${alert.severity}: ${escapeSlack(alert.title)}`, 300),
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: clip(`*[${label}] ${alert.severity}: ${escapeSlack(alert.title)}*\n${escapeSlack(alert.message)}`, 3000) },
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: clip(facts.join(' · '), 2000) }] },
    ],
  };
}

/** The Slack payload for a group of alerts. */
export function slackMessage(items: readonly NotifiedAlert[], context: MessageContext): SlackMessage {
  const head = headline(items);
  const first = items[0];
  const text = first ? `${head}: ${first.alert.title}${items.length > 1 ? ` (+${items.length - 1} more)` : ''}` : head;
  const shown = items.slice(0, SLACK_MAX_ALERTS);
  const blocks: SlackBlock[] = [{ type: 'header', text: { type: 'plain_text', text: clip(head, 150) } }];
  if (items.length > shown.length) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${items.length - shown.length} more alerts not shown` }] });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `group \`${context.groupKey}\` · sent ${context.sentAt}` }] });
  return { text: clip(escapeSlack(text), 3000), blocks, attachments: shown.map(attachment) };
}

/** The payload a Slack target receives when a person tests it. */
export function slackTestMessage(context: MessageContext): SlackMessage {
  const text = 'agentmon test notification: this target receives alerts.';
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `group \`${context.groupKey}\` · sent ${context.sentAt}` }] },
    ],
    attachments: [],
  };
}
