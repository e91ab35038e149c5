import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newAlert, resolved } from '../engine/alerts.js';
import { SLACK_COLORS, SLACK_MAX_ALERTS, escapeSlack, slackMessage, slackTestMessage, type SlackBlock } from './slack.js';
import type { NotifiedAlert } from './webhook.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const context = { groupKey: 'g-1', sentAt: '2026-03-01T12:00:02.000Z' };

function alert(metricName: string, severity: 'critical' | 'warning' | 'info', title = `${metricName} high`) {
  return newAlert({ agentId: 'agent-1', metricName, severity, title, message: `${metricName} is 95`, threshold: 80, value: 95.123456, nowMs: T0 });
}

const textOf = (block: SlackBlock | undefined): string =>
  block === undefined ? '' : block.type === 'context' ? block.elements.map((e) => e.text).join(' ') : block.text.text;

test('slackMessage: a text fallback, a header, and one attachment per alert coloured by severity', () => {
  const items: NotifiedAlert[] = [
    { kind: 'fired', alert: alert('cpu_usage_percent', 'critical', 'CPU critical on bot') },
    { kind: 'escalated', alert: alert('memory_usage_percent', 'warning') },
    { kind: 'resolved', alert: resolved(alert('error_rate', 'critical'), T0 + 1000) },
    { kind: 'repeat', alert: alert('custom.queue', 'info') },
  ];
  const message = slackMessage(items, context);
  assert.equal(message.text, 'agentmon: 3 firing, 1 resolved: CPU critical on bot (+3 more)');
  assert.deepEqual(message.blocks[0], { type: 'header', text: { type: 'plain_text', text: 'agentmon: 3 firing, 1 resolved' } });
  assert.deepEqual(
    message.attachments.map((a) => a.color),
    [SLACK_COLORS.critical, SLACK_COLORS.warning, SLACK_COLORS.resolved, SLACK_COLORS.info],
  );
  assert.equal(SLACK_COLORS.critical, '#d50000', 'red');
  assert.equal(SLACK_COLORS.warning, '#ff9800', 'orange');
  assert.equal(SLACK_COLORS.resolved, '#2eb67d', 'green');
  const first = message.attachments[0];
  assert.match(textOf(first?.blocks[0]), /^\*\[FIRING\] critical: CPU critical on bot\*\ncpu_usage_percent is 95$/);
  const facts = textOf(first?.blocks[1]);
  assert.match(facts, /agent `agent-1`/);
  assert.match(facts, /value 95\.1235/);
  assert.match(facts, /threshold 80/);
  assert.match(facts, new RegExp(`fingerprint \`${items[0]?.alert.fingerprint}\``));
  assert.match(textOf(message.attachments[2]?.blocks[0]), /\[RESOLVED\]/);
  assert.match(textOf(message.attachments[3]?.blocks[0]), /\[STILL FIRING\]/);
  assert.ok(message.attachments.every((a) => a.fallback.length > 0));
});

test('slackMessage: agent text is escaped so it cannot ping channels or forge links', () => {
  assert.equal(escapeSlack('<!channel> & <http://x|y>'), '&lt;!channel&gt; &amp; &lt;http://x|y&gt;');
  const message = slackMessage([{ kind: 'fired', alert: alert('m', 'warning', '<!here> boom') }], context);
  assert.ok(!JSON.stringify(message).includes('<!here>'));
  assert.match(message.text, /&lt;!here&gt; boom/);
});

test('slackMessage: at most SLACK_MAX_ALERTS attachments, the rest counted', () => {
  const items: NotifiedAlert[] = Array.from({ length: SLACK_MAX_ALERTS + 5 }, (_, i) => ({ kind: 'fired', alert: alert(`m${i}`, 'warning') }));
  const message = slackMessage(items, context);
  assert.equal(message.attachments.length, SLACK_MAX_ALERTS);
  assert.ok(message.blocks.some((b) => textOf(b).includes('5 more alerts not shown')));
});

test('slackTestMessage: text and blocks, no attachments', () => {
  const message = slackTestMessage(context);
  assert.match(message.text, /test notification/);
  assert.equal(message.attachments.length, 0);
  assert.ok(message.blocks.length > 0);
});
