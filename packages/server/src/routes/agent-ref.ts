/**
 * What a person types for an agent (an id, an unambiguous id prefix, or a name, unique within an
 * environment) to the one agent it names. Shared by GET /agents/resolve and the `agent` filter of
 * /alerts and /events, so every place answers the same: 404 when nothing matches, 409 listing the
 * candidates when several do.
 */
import type { AgentRefMatch, AgentSummary } from '@agentmon/schema';
import { AppError } from '../errors.js';
import type { AgentListRow, AgentStore } from '../storage/ports.js';

/** How many candidates an ambiguous answer lists. */
const MAX_CANDIDATES = 20;

/** The agent a reference names and how it matched. */
export interface AgentRefAnswer {
  agent: AgentSummary;
  matched_by: AgentRefMatch;
}

function ambiguous(ref: string, path: string, how: string, rows: AgentListRow[], total: number): AppError {
  const more = total > rows.length ? ` (and ${total - rows.length} more)` : '';
  return new AppError(
    'AGENT_AMBIGUOUS',
    `${JSON.stringify(ref)} ${how} ${total} agents${more}; give the id, a longer prefix, or the environment`,
    rows.map((a) => ({ path, message: `agent ${a.id} named ${JSON.stringify(a.name)} in ${a.environment}` })),
  );
}

/**
 * Resolves `ref`: an exact id first, then an exact name (within `environment` when given), then an
 * id prefix. `path` names the field in errors (`/querystring/agent`).
 */
export async function resolveAgentRef(metadata: AgentStore, ref: string, path: string, environment?: string): Promise<AgentRefAnswer> {
  const scope = { ...(environment ? { environment } : {}), sort: 'name' as const, offset: 0, limit: MAX_CANDIDATES };
  const exact = await metadata.getAgent(ref);
  if (exact && (!environment || exact.environment === environment)) {
    const { id, name, type, status, last_seen, environment: env } = exact;
    return { agent: { id, name, type, status, last_seen, environment: env, health_score: exact.state.health_score }, matched_by: 'id' };
  }
  const named = await metadata.listAgents({ ...scope, name: ref });
  if (named.total === 1) return { agent: named.items[0] as AgentListRow, matched_by: 'name' };
  if (named.total > 1) throw ambiguous(ref, path, 'names', named.items, named.total);
  const prefixed = await metadata.listAgents({ ...scope, idPrefix: ref });
  if (prefixed.total === 1) return { agent: prefixed.items[0] as AgentListRow, matched_by: 'id_prefix' };
  if (prefixed.total > 1) throw ambiguous(ref, path, 'begins the ids of', prefixed.items, prefixed.total);
  throw new AppError('AGENT_NOT_FOUND', `no agent has the id, id prefix or name ${JSON.stringify(ref)}${environment ? ` in ${environment}` : ''}`, [
    { path, message: 'matches no agent' },
  ]);
}
