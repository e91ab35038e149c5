/**
 * The agentmon CLI. Exit codes: 0 success, 1 failure at run time (a store unreachable, a port
 * taken), 2 bad usage or configuration.
 */
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, loadConfig, openStores, startServer, type ServerConfig } from '@agentmon/server';

/** Exit code for bad usage or configuration. */
export const EXIT_USAGE = 2;

interface StorageFlags {
  dataDir?: string;
  databaseUrl?: string;
}

interface ServeFlags extends StorageFlags {
  host?: string;
  port?: string;
  logLevel?: string;
}

function storageOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--data-dir <dir>', 'folder for the embedded SQLite store and the admin token (env AGENTMON_DATA_DIR, default ./data)'))
    .addOption(new Option('--database-url <url>', 'postgres:// URL to keep everything in PostgreSQL (env AGENTMON_DATABASE_URL)'));
}

function configFrom(flags: ServeFlags): ServerConfig {
  const layer: Partial<Record<keyof ServerConfig, unknown>> = {
    host: flags.host,
    port: flags.port,
    dataDir: flags.dataDir,
    databaseUrl: flags.databaseUrl,
    logLevel: flags.logLevel,
  };
  return loadConfig(process.env, Object.fromEntries(Object.entries(layer).filter(([, v]) => v !== undefined)) as Partial<ServerConfig>);
}

/** Runs the CLI with `argv` (as process.argv); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command()
    .name('agentmon')
    .description('agentmon: monitoring for fleets of AI agents')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError();

  storageOptions(
    program
      .command('serve')
      .description('run the agentmon server')
      .addOption(new Option('--host <host>', 'interface to listen on (env HOST, default 127.0.0.1)'))
      .addOption(new Option('--port <port>', 'port to listen on (env PORT, default 8080)'))
      .addOption(new Option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env AGENTMON_LOG_LEVEL)')),
  ).action(async (flags: ServeFlags) => {
    const config = configFrom(flags);
    const server = await startServer(config);
    process.stdout.write(`agentmon listening on ${server.url} (storage: ${server.stores.kind}, ${server.stores.location})\n`);
    if (server.adminTokenGenerated) {
      process.stdout.write(
        `admin token (generated now, kept in ${server.adminTokenPath}; shown once):\n  ${server.adminToken}\n`,
      );
    } else if (server.adminTokenPath) {
      process.stdout.write(`admin token: in ${server.adminTokenPath}\n`);
    }
    process.stdout.write(`API docs: ${server.url}/docs\n`);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        server.app.log.info({ signal }, 'shutting down');
        server.close().then(resolve, (err: unknown) => {
          server.app.log.error({ err }, 'shutdown failed');
          exitCode = 1;
          resolve();
        });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
  });

  storageOptions(program.command('migrate').description('apply pending database migrations and exit')).action(
    async (flags: StorageFlags) => {
      const config = configFrom(flags);
      const stores = await openStores({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
      try {
        const { metadata, series } = stores.migrated;
        const applied = metadata.length + series.length;
        process.stdout.write(
          applied === 0
            ? `${stores.kind} (${stores.location}): up to date\n`
            : `${stores.kind} (${stores.location}): applied metadata [${metadata.join(', ')}], series [${series.join(', ')}]\n`,
        );
      } finally {
        await stores.close();
      }
    },
  );

  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    if (err instanceof ConfigError) {
      process.stderr.write(`agentmon: configuration error: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}
