/** `agentmon agents list|show|deregister`. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { AGENT_SORT_KEYS, AGENT_STATUSES, AGENT_TYPES, MAX_PAGE_SIZE, type AgentListQuery, type AgentSortKey } from '@agentmon/schema';
import { AgentmonError } from '@agentmon/sdk';
import { AGENT_REF_HELP, agentIdOf } from '../agent-ref.js';
import { connect, connectionOptions, type ConnectionFlags } from '../connection.js';
import { ago, json, keyValues, num, percent, table, type Output } from '../output.js';

/** Parses an integer option within bounds (commander turns the error into a usage error). */
export function integerOption(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return n;
  };
}

interface ListFlags extends ConnectionFlags {
  status?: AgentListQuery['status'];
  type?: AgentListQuery['type'];
  environment?: string;
  tag?: string;
  name?: string;
  sort?: string;
  page?: number;
  pageSize?: number;
}

interface AgentFlags extends ConnectionFlags {
  environment?: string;
}

interface DeregisterFlags extends AgentFlags {
  purge?: boolean;
}

const SORTS = [...AGENT_SORT_KEYS, ...AGENT_SORT_KEYS.map((k) => `-${k}`)];

/** The `agents` command and its subcommands. */
export function agentsCommand(io: Output): Command {
  const agents = new Command('agents').description('list, show and deregister agents');

  connectionOptions(
    agents
      .command('list')
      .description('list agents, filtered and sorted (by name unless --sort)')
      .addOption(new Option('--status <status>', 'only this status').choices(AGENT_STATUSES))
      .addOption(new Option('--type <type>', 'only this agent type').choices(AGENT_TYPES))
      .option('-e, --environment <env>', 'only this environment')
      .option('--tag <tag>', 'only agents with this tag')
      .option('--name <text>', 'name contains this text (case-insensitive)')
      .addOption(new Option('--sort <key>', 'sort key; a leading - sorts descending').choices(SORTS).default('name'))
      .option('--page <n>', 'page number', integerOption(1, 1_000_000), 1)
      .option('--page-size <n>', `agents per page (at most ${MAX_PAGE_SIZE})`, integerOption(1, MAX_PAGE_SIZE), 50),
  ).action(async (flags: ListFlags) => {
    const { client } = connect(flags);
    const page = await client.listAgents({
      ...(flags.status ? { status: flags.status } : {}),
      ...(flags.type ? { type: flags.type } : {}),
      ...(flags.environment ? { environment: flags.environment } : {}),
      ...(flags.tag ? { tag: flags.tag } : {}),
      ...(flags.name ? { q: flags.name } : {}),
      sort: (flags.sort ?? 'name') as AgentSortKey,
      page: flags.page ?? 1,
      page_size: flags.pageSize ?? 50,
    });
    if (flags.json) return io.out(json(page));
    if (page.total === 0) return io.out('no agents\n');
    io.out(
      table(
        ['ID', 'NAME', 'TYPE', 'STATUS', 'HEALTH', 'ENVIRONMENT', 'LAST SEEN'],
        page.items.map((a) => [a.id, a.name, a.type, a.status, percent(a.health_score), a.environment, ago(a.last_seen)]),
      ),
    );
    const first = (page.page - 1) * page.page_size + 1;
    const last = first + page.items.length - 1;
    if (page.total > page.items.length) {
      io.out(`${first}-${last} of ${page.total} agents${last < page.total ? `; --page ${page.page + 1} for more` : ''}\n`);
    } else {
      io.out(`${page.total} agent${page.total === 1 ? '' : 's'}\n`);
    }
  });

  connectionOptions(
    agents
      .command('show')
      .description("an agent's details, health score, checks, alerts and config")
      .argument('<agent>', AGENT_REF_HELP)
      .option('-e, --environment <env>', 'the environment of a name two environments share'),
  ).action(
    async (ref: string, flags: AgentFlags) => {
      const { client } = connect(flags);
      const id = await agentIdOf(client, ref, flags.environment);
      const agent = await client.getAgent(id);
      const [health, config] = await Promise.all([client.getHealth(id), client.getConfig(id)]);
      if (flags.json) return io.out(json({ agent, health, config }));
      io.out(
        keyValues([
          ['id', agent.id],
          ['name', agent.name],
          ['type', agent.type],
          ['version', agent.version],
          ['status', `${agent.status}${agent.status_reason ? ` (${agent.status_reason})` : ''}`],
          ['health score', percent(agent.health_score)],
          ['environment', agent.environment],
          ['deployment', `${agent.deployment_type} on ${agent.host}${agent.port ? `:${agent.port}` : ''}`],
          ['tags', agent.tags.length > 0 ? agent.tags.join(', ') : '-'],
          ['registered', `${agent.registered_at} (${ago(agent.registered_at)})`],
          ['last seen', `${agent.last_seen} (${ago(agent.last_seen)})`],
          ['last metrics', ago(health.last_metrics)],
          ['last heartbeat', ago(health.last_heartbeat)],
          ...(agent.description ? [['description', agent.description] as const] : []),
        ]),
      );
      if (agent.health_components.length > 0) {
        io.out(`\n${table(['SCORE PART', 'WEIGHT', 'VALUE', 'FROM'], agent.health_components.map((c) => [c.name, num(c.weight), num(c.value), c.detail]))}`);
      }
      if (health.checks.length > 0) {
        io.out(
          `\n${table(
            ['CHECK', 'STATUS', 'TIME', 'WHEN', 'MESSAGE'],
            health.checks.map((c) => [c.name, c.status ? 'passing' : 'FAILING', `${num(c.execution_time_ms, 1)} ms`, ago(c.timestamp), c.message ?? '']),
          )}`,
        );
      }
      const active = health.recent_alerts.filter((a) => a.is_active);
      if (active.length > 0) {
        io.out(`\n${table(['ALERT', 'SEVERITY', 'SINCE', 'TITLE'], active.map((a) => [a.id, a.severity, ago(a.created_at), a.title]))}`);
      }
      io.out(
        `\nconfig: metrics every ${config.metrics_interval_seconds}s, health checks every ${config.health_check_interval_seconds}s; ` +
          `thresholds cpu ${config.cpu_threshold}%, memory ${config.memory_threshold}%, error rate ${num(config.error_rate_threshold * 100)}%, ` +
          `response time ${config.response_time_threshold_ms} ms\n`,
      );
    },
  );

  connectionOptions(
    agents
      .command('deregister')
      .description('deregister an agent (its metrics stay until retention unless --purge)')
      .argument('<agent>', AGENT_REF_HELP)
      .option('-e, --environment <env>', 'the environment of a name two environments share')
      .option('--purge', 'delete its metrics too'),
  ).action(async (ref: string, flags: DeregisterFlags) => {
    const { client } = connect(flags);
    const id = await agentIdOf(client, ref, flags.environment);
    const agent = await client.getAgent(id);
    try {
      await client.deleteAgent(id, { purge: flags.purge ?? false });
    } catch (err) {
      // Gone between the two calls: what was asked for is done.
      if (!(err instanceof AgentmonError && err.status === 404)) throw err;
    }
    if (flags.json) return io.out(json({ deregistered: id, name: agent.name, purged: flags.purge ?? false }));
    io.out(`deregistered ${agent.name} (${id})${flags.purge ? '; its metrics were deleted' : ''}\n`);
  });

  return agents;
}
