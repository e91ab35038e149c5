/**
 * GET /metrics: the fleet in Prometheus' text exposition format, so an existing Prometheus can
 * scrape agentmon (with the admin token as its bearer token).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AGENT_STATUSES, ALERT_SEVERITIES } from '@agentmon/schema';
import { Type } from 'typebox';
import type { RouteContext } from '../app.js';
import { readSnapshot } from '../engine/ingest.js';

/** A label value escaped as the exposition format asks. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** Latest per-agent values exported, with their help text. */
const GAUGES: [string, string][] = [
  ['cpu_usage_percent', 'CPU usage of the agent, percent'],
  ['memory_usage_percent', 'Memory usage of the agent, percent'],
  ['error_rate', 'Error rate of the agent, 0..1'],
  ['average_response_time_ms', 'Average response time, milliseconds'],
  ['throughput_per_second', 'Tasks per second'],
  ['tokens_per_second', 'Tokens processed per second'],
];

/** Registers GET /metrics. */
export const prometheusRoutes: FastifyPluginAsyncTypebox<{ ctx: RouteContext }> = async (app, { ctx }) => {
  app.get(
    '/metrics',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['probes'],
        summary: 'Prometheus exposition of the fleet (admin token as bearer token)',
        response: { 200: Type.String({ description: 'text/plain; version=0.0.4' }) },
      },
    },
    async (_request, reply) => {
      const [contexts, active] = await Promise.all([ctx.metadata.listIngestContexts(), ctx.metadata.getActiveAlerts(null)]);
      const lines: string[] = [];
      const family = (name: string, help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
      const ids = (c: (typeof contexts)[number]) => `agent_id="${label(c.id)}",name="${label(c.name)}",environment="${label(c.environment)}"`;

      family('agentmon_agent_up', '1 when the agent is reporting (not offline or unknown)');
      for (const c of contexts) lines.push(`agentmon_agent_up{${ids(c)}} ${c.status === 'offline' || c.status === 'unknown' ? 0 : 1}`);
      family('agentmon_agent_status', 'The agent status, one series per status (1 for the current one)');
      for (const c of contexts) for (const s of AGENT_STATUSES) lines.push(`agentmon_agent_status{${ids(c)},status="${s}"} ${c.status === s ? 1 : 0}`);
      family('agentmon_agent_health_score', 'Health score of the agent, 0..1');
      for (const c of contexts) lines.push(`agentmon_agent_health_score{${ids(c)}} ${c.state.health_score}`);
      // An offline agent's latest values are history, not its present: exported as current they
      // would draw a flat line on every graph and satisfy every alert rule. Its up, status and score
      // series stay, and say that it is offline.
      const reporting = contexts.filter((c) => c.status !== 'offline');
      for (const [metric, help] of GAUGES) {
        family(`agentmon_agent_${metric}`, help);
        for (const c of reporting) {
          const v = readSnapshot(c.state).latest[metric];
          if (typeof v === 'number') lines.push(`agentmon_agent_${metric}{${ids(c)}} ${v}`);
        }
      }
      family('agentmon_active_alerts', 'Active alerts by severity');
      for (const s of ALERT_SEVERITIES) lines.push(`agentmon_active_alerts{severity="${s}"} ${active.filter((a) => a.severity === s).length}`);
      const ingest = ctx.monitor.ingestStats();
      lines.push('# HELP agentmon_payloads_received_total Metrics payloads accepted by this instance', '# TYPE agentmon_payloads_received_total counter');
      lines.push(`agentmon_payloads_received_total ${ingest.received}`);
      const backlog = ctx.series.backlog?.();
      if (backlog) {
        family('agentmon_series_head_payloads', 'Payloads in the series engine\'s head (memory and log), not yet in a block');
        lines.push(`agentmon_series_head_payloads ${backlog.headPayloads}`);
        family('agentmon_series_blocks', 'Blocks of the series engine on disk');
        lines.push(`agentmon_series_blocks ${backlog.blocks}`);
        family('agentmon_series_unmerged_blocks', 'Blocks a merge has yet to compress and give rollup tiers');
        lines.push(`agentmon_series_unmerged_blocks ${backlog.unmergedBlocks}`);
      }
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(`${lines.join('\n')}\n`);
    },
  );
};
