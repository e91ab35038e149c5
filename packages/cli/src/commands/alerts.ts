/** `agentmon alerts list|ack|resolve`. */
import { userInfo } from 'node:os';
import { Command, Option } from 'commander';
import { ALERT_SEVERITIES, MAX_PAGE_SIZE, isDateTime, type AlertDetail, type AlertSeverity } from '@agentmon/schema';
import type { AgentmonClient } from '@agentmon/sdk';
import { connect, connectionOptions, type ConnectionFlags } from '../connection.js';
import { CliError, EXIT } from '../exit-codes.js';
import { ago, json, num, table, type Output } from '../output.js';
import { AGENT_REF_HELP, agentIdOf } from '../agent-ref.js';
import { integerOption } from './agents.js';

interface ListFlags extends ConnectionFlags {
  all?: boolean;
  severity?: AlertSeverity;
  agent?: string;
  since?: string;
  page?: number;
  pageSize?: number;
}

interface AckFlags extends ConnectionFlags {
  by?: string;
  comment?: string;
}

/** Agent names by id, for tables (best effort: ids stand in when the list cannot be read). */
export async function agentNames(client: AgentmonClient): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  try {
    for (let page = 1; page <= 50; page++) {
      const res = await client.listAgents({ page, page_size: MAX_PAGE_SIZE });
      for (const a of res.items) names.set(a.id, a.name);
      if (page * MAX_PAGE_SIZE >= res.total) break;
    }
  } catch {
    // names are a nicety
  }
  return names;
}

function state(a: AlertDetail): string {
  if (!a.is_active) return 'resolved';
  return a.acknowledged_at ? 'acked' : 'active';
}

/** A `since` given as an ISO time or a duration back from now (`30m`, `2h`, `7d`). */
export function sinceOption(value: string, nowMs: number = Date.now()): string {
  const m = /^(\d+)(s|m|h|d)$/.exec(value.trim());
  if (m) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(nowMs - Number(m[1]) * unit).toISOString();
  }
  if (isDateTime(value)) return value;
  throw new CliError(`--since must be an ISO 8601 time or a duration like 30m, 2h, 7d; got ${JSON.stringify(value)}`, EXIT.USAGE);
}

/** The `alerts` command and its subcommands. */
export function alertsCommand(io: Output): Command {
  const alerts = new Command('alerts').description('list, acknowledge and resolve alerts');

  connectionOptions(
    alerts
      .command('list')
      .description('active alerts, newest first (--all for resolved ones too)')
      .option('--all', 'resolved alerts too')
      .addOption(new Option('--severity <severity>', 'only this severity').choices(ALERT_SEVERITIES))
      .option('--agent <agent>', `only this agent's alerts (${AGENT_REF_HELP})`)
      .option('--since <time>', 'created at or after: ISO 8601, or a duration back from now (30m, 2h, 7d)')
      .option('--page <n>', 'page number', integerOption(1, 1_000_000), 1)
      .option('--page-size <n>', `alerts per page (at most ${MAX_PAGE_SIZE})`, integerOption(1, MAX_PAGE_SIZE), 50),
  ).action(async (flags: ListFlags) => {
    const since = flags.since ? sinceOption(flags.since) : undefined;
    const { client } = connect(flags);
    const page = await client.listAlerts({
      ...(flags.all ? {} : { active: true }),
      ...(flags.severity ? { severity: flags.severity } : {}),
      ...(flags.agent ? { agent_id: await agentIdOf(client, flags.agent) } : {}),
      ...(since ? { since } : {}),
      page: flags.page ?? 1,
      page_size: flags.pageSize ?? 50,
    });
    if (flags.json) return io.out(json(page));
    if (page.total === 0) return io.out(flags.all ? 'no alerts\n' : 'no active alerts\n');
    const names = await agentNames(client);
    io.out(
      table(
        ['ID', 'SEVERITY', 'STATE', 'AGENT', 'METRIC', 'VALUE', 'THRESHOLD', 'CREATED', 'TITLE'],
        page.items.map((a) => [
          a.id,
          a.severity,
          state(a),
          names.get(a.agent_id) ?? a.agent_id,
          a.metric_name ?? '-',
          num(a.current_value),
          num(a.threshold),
          ago(a.created_at),
          a.title,
        ]),
      ),
    );
    if (page.total > page.items.length) io.out(`${page.items.length} of ${page.total} alerts; --page ${page.page + 1} for more\n`);
  });

  connectionOptions(
    alerts
      .command('ack')
      .description('acknowledge an alert: stops repeated notifications; it still resolves by itself')
      .argument('<id>', 'alert id')
      .option('--by <name>', 'who acknowledges (default: your user name)')
      .option('--comment <text>', 'why, or what is being done'),
  ).action(async (id: string, flags: AckFlags) => {
    const { client } = connect(flags);
    let by = flags.by;
    if (!by) {
      try {
        by = userInfo().username;
      } catch {
        by = 'agentmon-cli';
      }
    }
    const alert = await client.acknowledgeAlert(id, { by, ...(flags.comment ? { comment: flags.comment } : {}) });
    if (flags.json) return io.out(json(alert));
    io.out(`acknowledged ${alert.title} (${alert.id}) as ${by}\n`);
  });

  connectionOptions(alerts.command('resolve').description('resolve an alert by hand (a condition that still holds fires a new one)').argument('<id>', 'alert id')).action(
    async (id: string, flags: ConnectionFlags) => {
      const { client } = connect(flags);
      const before = await client.getAlert(id);
      const alert = before.is_active ? await client.resolveAlert(id) : before;
      if (flags.json) return io.out(json(alert));
      io.out(before.is_active ? `resolved ${alert.title} (${alert.id})\n` : `${alert.title} (${alert.id}) was already resolved ${ago(alert.resolved_at)}\n`);
    },
  );

  return alerts;
}
