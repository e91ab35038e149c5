/** SystemEvents as a table: when, how bad, what happened, which agent. */
import type { SystemEvent } from '@agentmon/schema';
import { useApp } from '../context.js';
import { formatDateTime, formatRelative, formatShortTime, humanize } from '../format.js';
import { href } from '../router.js';
import { SeverityBadge } from './badges.js';

/** The agent an event is about (deregistration keeps it in data, the row's agent_id is gone). */
function eventAgent(e: SystemEvent): string | null {
  if (e.agent_id) return e.agent_id;
  const id = (e.data as Record<string, unknown> | undefined)?.agent_id;
  return typeof id === 'string' ? id : null;
}

/** The table; `fresh` ids flash. */
export function EventList({ events, now, showAgent = true, fresh }: { events: SystemEvent[]; now: number; showAgent?: boolean; fresh?: ReadonlySet<string> }) {
  const { agentName } = useApp();
  return (
    <div class="table-wrap">
      <table class="events" data-testid="event-list">
        <thead>
          <tr>
            <th>When</th>
            <th>Severity</th>
            <th>Event</th>
            {showAgent ? <th class="hide-sm">Agent</th> : null}
          </tr>
        </thead>
        <tbody>
          {events.map((e) => {
            const agent = showAgent ? eventAgent(e) : null;
            const name = agent ? agentName(agent) : undefined;
            return (
              <tr key={e.id} class={fresh?.has(e.id) ? 'is-new' : ''} data-testid="event-row" data-event-type={e.type}>
                <td class="when" title={formatDateTime(e.timestamp)}>
                  <span>{formatRelative(e.timestamp, now)}</span>
                  <span class="sub">{formatShortTime(e.timestamp)}</span>
                </td>
                <td>
                  <SeverityBadge severity={e.severity} />
                </td>
                <td class="what">
                  <span class="msg">{e.message}</span>
                  <span class="sub">
                    {humanize(e.type)}
                    {e.source && e.source !== 'monitor_system' ? ` · from ${e.source}` : ''}
                  </span>
                </td>
                {showAgent ? (
                  <td class="hide-sm">
                    {agent ? <a href={href(`/agents/${encodeURIComponent(agent)}`)}>{name ?? agent.slice(0, 12)}</a> : <span class="muted">—</span>}
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
