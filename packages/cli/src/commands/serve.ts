/** `agentmon serve` and `agentmon migrate`: the server itself, loaded only when asked for. */
import { Command, Option } from 'commander';
import type { ServerConfig } from '@agentmon/server';
import type { Output } from '../output.js';

/** Flags naming the stores. */
export interface StorageFlags {
  dataDir?: string;
  databaseUrl?: string;
  influxUrl?: string;
}

/** Flags of `serve`. */
export interface ServeFlags extends StorageFlags {
  host?: string;
  port?: string;
  logLevel?: string;
}

/** Adds --data-dir, --database-url and --influx-url. */
export function storageOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--data-dir <dir>', 'folder for the embedded SQLite store and the admin token (env AGENTMON_DATA_DIR, default ./data)'))
    .addOption(new Option('--database-url <url>', 'postgres:// URL to keep everything in PostgreSQL (env AGENTMON_DATABASE_URL)'))
    .addOption(new Option('--influx-url <url>', 'http://[user:pass@]host:8086/<database> of an InfluxDB 1.x to keep metrics in (env AGENTMON_INFLUX_URL)'));
}

/** Adds --host, --port and --log-level. */
export function listenOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--host <host>', 'interface to listen on (env HOST, default 127.0.0.1)'))
    .addOption(new Option('--port <port>', 'port to listen on (env PORT, default 8080)'))
    .addOption(new Option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env AGENTMON_LOG_LEVEL)'));
}

/** The server config from defaults, AGENTMON_CONFIG, the environment and these flags (ConfigError when bad). */
export async function configFrom(flags: ServeFlags): Promise<ServerConfig> {
  const { loadConfig } = await import('@agentmon/server');
  const layer: Partial<Record<keyof ServerConfig, unknown>> = {
    host: flags.host,
    port: flags.port,
    dataDir: flags.dataDir,
    databaseUrl: flags.databaseUrl,
    influxUrl: flags.influxUrl,
    logLevel: flags.logLevel,
  };
  return loadConfig(process.env, Object.fromEntries(Object.entries(layer).filter(([, v]) => v !== undefined)) as Partial<ServerConfig>);
}

/** Resolves on the first SIGINT or SIGTERM, naming it, or with 'timeout' after `timeoutMs` when given. */
export function untilSignal(timeoutMs?: number): Promise<string> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (why: string) => () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      clearTimeout(timer);
      resolve(why);
    };
    const onInt = done('SIGINT');
    const onTerm = done('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    if (timeoutMs !== undefined) timer = setTimeout(done('timeout'), timeoutMs);
  });
}

/** The `serve` command. */
export function serveCommand(io: Output, setExitCode: (code: number) => void): Command {
  return storageOptions(listenOptions(new Command('serve').description('run the agentmon server'))).action(async (flags: ServeFlags) => {
    const config = await configFrom(flags);
    const { startServer } = await import('@agentmon/server');
    const server = await startServer(config);
    // The dashboard first: it is what a person starting agentmon wants to open.
    io.out(`agentmon dashboard: ${server.url}/ (log in with the admin token)\n`);
    io.out(`agentmon listening on ${server.url} (storage: ${server.stores.kind}${server.stores.seriesKind !== server.stores.kind ? `, series: ${server.stores.seriesKind}` : ''}, ${server.stores.location})\n`);
    if (server.adminTokenGenerated) {
      io.out(`admin token (generated now, kept in ${server.adminTokenPath}; shown once):\n  ${server.adminToken}\n`);
    } else if (server.adminTokenPath) {
      io.out(`admin token: in ${server.adminTokenPath}\n`);
    }
    io.out(`API docs: ${server.url}/docs\n`);
    const signal = await untilSignal();
    server.app.log.info({ signal }, 'shutting down');
    try {
      await server.close();
    } catch (err) {
      server.app.log.error({ err }, 'shutdown failed');
      setExitCode(1);
    }
  });
}

/** The `migrate` command. */
export function migrateCommand(io: Output): Command {
  return storageOptions(new Command('migrate').description('apply pending database migrations and exit')).action(async (flags: StorageFlags) => {
    const config = await configFrom(flags);
    const { openStores } = await import('@agentmon/server');
    const stores = await openStores({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, influxUrl: config.influxUrl });
    try {
      const { metadata, series } = stores.migrated;
      const applied = metadata.length + series.length;
      io.out(
        applied === 0
          ? `${stores.kind} (${stores.location}): up to date\n`
          : `${stores.kind} (${stores.location}): applied metadata [${metadata.join(', ')}], series [${series.join(', ')}]\n`,
      );
    } finally {
      await stores.close();
    }
  });
}
