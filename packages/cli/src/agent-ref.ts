/**
 * An agent as a person types it on the command line: its id, an unambiguous prefix of the id, or
 * its name (with `--environment` when two environments share it). The server decides
 * (GET /agents/resolve), so the CLI, the API filters and the dashboard agree: no match exits 3,
 * several exit 2 and list the candidates.
 */
import type { AgentmonClient } from '@agentmon/sdk';

/** The help text of an argument or option that takes an agent. */
export const AGENT_REF_HELP = 'agent id, unambiguous id prefix, or name';

/** The id of the one agent `ref` names. */
export async function agentIdOf(client: AgentmonClient, ref: string, environment?: string): Promise<string> {
  return (await client.resolveAgent(ref, environment)).agent.id;
}
