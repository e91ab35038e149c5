/** `agentmon events tail`: the latest events, then new ones as they happen (polling) until Ctrl-C. */
import { Command, Option } from 'commander';
import { EVENT_SEVERITIES, EVENT_TYPES, type EventSeverity, type EventType, type SystemEvent } from '@agentmon/schema';
import { isAgentmonError } from '@agentmon/sdk';
import { connect, connectionOptions, type ConnectionFlags } from '../connection.js';
import type { Output } from '../output.js';
import { agentNames, sinceOption } from './alerts.js';
import { AGENT_REF_HELP, agentIdOf } from '../agent-ref.js';
import { integerOption } from './agents.js';

interface TailFlags extends ConnectionFlags {
  limit: number;
  type?: EventType;
  agent?: string;
  severity?: EventSeverity;
  since?: string;
  follow: boolean;
  interval: number;
}

/** One event as a line: time, severity, type, agent, message. */
export function eventLine(e: SystemEvent, agentName: string | null): string {
  return `${e.timestamp}  ${e.severity.padEnd(8)}  ${e.type.padEnd(25)}  ${(agentName ?? '-').padEnd(20)}  ${e.message}\n`;
}

function agentOf(e: SystemEvent): string | null {
  if (e.agent_id) return e.agent_id;
  const fromData = (e.data as { agent_id?: unknown }).agent_id;
  return typeof fromData === 'string' ? fromData : null;
}

/** The `events` command. */
export function eventsCommand(io: Output): Command {
  const events = new Command('events').description('the event history');

  connectionOptions(
    events
      .command('tail')
      .description('print the latest events, then follow new ones until Ctrl-C')
      .option('-n, --limit <n>', 'how many of the latest events to print first', integerOption(1, 1000), 20)
      .addOption(new Option('--type <type>', 'only this event type').choices(EVENT_TYPES))
      .addOption(new Option('--severity <severity>', 'only this severity').choices(EVENT_SEVERITIES))
      .option('--agent <agent>', `only this agent's events (${AGENT_REF_HELP})`)
      .option('--since <time>', 'start from this time: ISO 8601, or a duration back from now (30m, 2h)')
      .option('--no-follow', 'print the latest events and exit')
      .option('--interval <ms>', 'how often to ask for new events, ms', integerOption(100, 600_000), 2000),
  ).action(async (flags: TailFlags) => {
    const { client, url } = connect(flags);
    const filter = {
      ...(flags.type ? { type: flags.type } : {}),
      // Resolved once: every poll then asks by id.
      ...(flags.agent ? { agent_id: await agentIdOf(client, flags.agent) } : {}),
      ...(flags.severity ? { severity: flags.severity } : {}),
    };
    let names = flags.json ? new Map<string, string>() : await agentNames(client);
    // Ids looked up once already: a deregistered agent's id stays unknown, and must not cost a lookup per poll.
    const looked = new Set<string>();
    const seen = new Map<string, string>(); // id -> timestamp, for events at the cursor (since is inclusive)
    let cursor: string | undefined = flags.since ? sinceOption(flags.since) : undefined;

    // Events at the backlog's newest instant that the limit left out belong to the backlog, not to what is new.
    let floor: string | undefined;
    const print = async (items: SystemEvent[]) => {
      const fresh = items
        .filter((e) => !seen.has(e.id) && (floor === undefined || e.timestamp > floor))
        .sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.id.localeCompare(b.id));
      if (fresh.length === 0) return;
      const unknown = flags.json ? [] : fresh.map(agentOf).filter((id): id is string => id !== null && !names.has(id) && !looked.has(id));
      if (unknown.length > 0) {
        names = await agentNames(client);
        for (const id of unknown) looked.add(id);
      }
      for (const e of fresh) {
        const agent = agentOf(e);
        io.out(flags.json ? `${JSON.stringify(e)}\n` : eventLine(e, agent ? (names.get(agent) ?? agent) : null));
        seen.set(e.id, e.timestamp);
        if (!cursor || e.timestamp > cursor) cursor = e.timestamp;
      }
      for (const [id, ts] of seen) if (cursor && ts < cursor) seen.delete(id);
    };

    const first = await client.listEvents({ ...filter, limit: flags.limit, ...(cursor ? { since: cursor } : {}) });
    await print(first.items);
    if (!flags.follow) return;
    if (first.items.length >= flags.limit) floor = cursor;

    await follow(io, url, flags.interval, async () => {
      const next = await client.listEvents({ ...filter, limit: 1000, ...(cursor ? { since: cursor } : {}) });
      await print(next.items);
    });
  });

  return events;
}

/** Polls until SIGINT/SIGTERM. Losing the server is said once and waited out; auth errors end it. */
async function follow(io: Output, url: string, intervalMs: number, poll: () => Promise<void>): Promise<void> {
  let stopping = false;
  let wake: (() => void) | null = null;
  const stop = () => {
    stopping = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let lost = false;
  try {
    while (!stopping) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, intervalMs);
      });
      if (stopping) break;
      try {
        await poll();
        if (lost) io.err(`agentmon: reconnected to ${url}\n`);
        lost = false;
      } catch (err) {
        if (!isAgentmonError(err) || !err.retryable) throw err;
        if (!lost) io.err(`agentmon: lost ${url} (${err.message}); retrying every ${intervalMs} ms\n`);
        lost = true;
      }
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
