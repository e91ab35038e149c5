/**
 * Which server a command talks to and with which token: --url (env AGENTMON_URL, default
 * http://127.0.0.1:8080) and --token (env AGENTMON_TOKEN, then AGENTMON_ADMIN_TOKEN, then the
 * admin token kept in <data-dir>/admin-token).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { AgentmonClient } from '@agentmon/sdk';
import { CliError, EXIT } from './exit-codes.js';

/** Default server URL. */
export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** Flags every client command takes. */
export interface ConnectionFlags {
  url?: string;
  token?: string;
  dataDir?: string;
  json?: boolean;
}

/** A client and where it points. */
export interface Connection {
  url: string;
  token: string;
  client: AgentmonClient;
}

/** Adds --url, --token, --data-dir and --json to a command. */
export function connectionOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', `agentmon server URL (env AGENTMON_URL, default ${DEFAULT_URL})`))
    .addOption(new Option('--token <token>', 'admin token (env AGENTMON_TOKEN; default: <data-dir>/admin-token)'))
    .addOption(new Option('--data-dir <dir>', 'where to find admin-token when no token is given (env AGENTMON_DATA_DIR, default ./data)'))
    .addOption(new Option('--json', 'print JSON for scripts instead of tables'));
}

/** The data dir a command means: --data-dir, AGENTMON_DATA_DIR, ./data. */
export function dataDirOf(flags: { dataDir?: string }, env: NodeJS.ProcessEnv = process.env): string {
  return flags.dataDir ?? env.AGENTMON_DATA_DIR ?? './data';
}

/** The admin token kept in a data dir, or null when there is none. */
export function readAdminToken(dataDir: string): string | null {
  try {
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    return token.length > 0 ? token : null;
  } catch {
    return null;
  }
}

/** Resolves URL and token; a missing token or a bad URL is a usage error (exit 2). */
export function connect(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const url = flags.url ?? env.AGENTMON_URL ?? DEFAULT_URL;
  const dataDir = dataDirOf(flags, env);
  const token = flags.token ?? env.AGENTMON_TOKEN ?? env.AGENTMON_ADMIN_TOKEN ?? readAdminToken(dataDir);
  if (!token) {
    throw new CliError(
      `no token: pass --token, set AGENTMON_TOKEN, or run where ${join(dataDir, 'admin-token')} exists (--data-dir)`,
      EXIT.USAGE,
    );
  }
  let client: AgentmonClient;
  try {
    client = new AgentmonClient({ url, token, timeoutMs: 15_000 });
  } catch (err) {
    throw new CliError(`--url: ${(err as Error).message.replace(/^AgentmonClient: /, '')}`, EXIT.USAGE);
  }
  return { url: client.baseUrl, token, client };
}
