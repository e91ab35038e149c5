/**
 * Notification channels by kind: what each target kind sends for a group of alerts and for a test.
 * Delivery (retries, timeouts, egress policy) is the notifier's and the same for every kind; a new
 * kind is one entry here (and its kind in the schema's NOTIFICATION_TARGET_KINDS).
 */
import type { NotificationTargetKind } from '@agentmon/schema';
import { alertmanagerMessage, alertmanagerTestMessage } from './alertmanager.js';
import { slackMessage, slackTestMessage } from './slack.js';
import { webhookMessage, webhookTestMessage, type MessageContext, type NotifiedAlert } from './webhook.js';

/** What a channel's messages may read of the notifier's settings. */
export interface ChannelSettings {
  /** How often an unacknowledged alert is sent again (Alertmanager holds alerts twice that long). */
  repeatIntervalMs: number;
}

/** One kind of notification target. */
export interface Channel {
  /** The body of one message about a group of alerts. */
  message(items: readonly NotifiedAlert[], context: MessageContext, settings: ChannelSettings): unknown;
  /** The body of a test message. */
  test(context: MessageContext): unknown;
}

/** Every channel, by the kind of target it serves. */
export const CHANNELS: Readonly<Record<NotificationTargetKind, Channel>> = {
  webhook: { message: (items, context) => webhookMessage(items, context), test: (context) => webhookTestMessage(context) },
  slack: { message: (items, context) => slackMessage(items, context), test: (context) => slackTestMessage(context) },
  alertmanager: {
    message: (items, context, settings) => alertmanagerMessage(items, context, settings.repeatIntervalMs),
    test: () => alertmanagerTestMessage(),
  },
};
