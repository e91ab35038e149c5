/**
 * Starting and stopping a server: config -> stores -> app -> listen; close in reverse. The CLI's
 * `serve` calls startServer; SIGTERM/SIGINT close it cleanly.
 */
import { ConfigError, type ServerConfig } from './config.js';
import { assertWritableDir, DataDirError } from './storage/data-dir.js';
import { buildApp, type App } from './app.js';
import { resolveAdminToken } from './auth.js';
import { openStores, type Stores } from './storage/index.js';
import type { EngineLog } from './storage/engine/engine.js';

/** A running server. */
export interface RunningServer {
  app: App;
  stores: Stores;
  /** Base URL it listens on. */
  url: string;
  adminToken: string;
  /** True when this start generated the admin token (print it once). */
  adminTokenGenerated: boolean;
  /** Where the generated or kept admin token lives, if in a file. */
  adminTokenPath: string | null;
  close(): Promise<void>;
}

/** Opens the stores (applying migrations), builds the app and listens. */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const admin = refusingUnwritable(config.dataDir, () => {
    // The embedded stores write there; otherwise only a generated admin token does.
    if (!config.databaseUrl) assertWritableDir(config.dataDir);
    return resolveAdminToken(config.adminToken, config.dataDir);
  });
  // The series engine logs through the app once it exists; what it says while opening (a replay,
  // an import) goes to stderr.
  let app: App | null = null;
  const log: EngineLog = (level, message, data) => {
    if (app) app.log[level](data ?? {}, message);
    else if (level !== 'info' || config.logLevel !== 'silent') console.error(message);
  };
  const stores = await openStores({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, influxUrl: config.influxUrl, log });
  try {
    app = await buildApp(config, {
      metadata: stores.metadata,
      series: stores.series,
      adminToken: admin.token,
      storageKind: stores.kind,
      broadcaster: stores.broadcaster,
      dataDir: stores.dataDir,
    });
    await app.listen({ host: config.host, port: config.port });
    app.sweeper.start();
  } catch (err) {
    await stores.close().catch(() => undefined);
    throw err;
  }
  const running: App = app;
  const address = running.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  running.log.info(
    { storage: stores.kind, series: stores.seriesKind, location: stores.location, migrated: stores.migrated },
    `agentmon storage ready (${stores.kind}, series: ${stores.seriesKind})`,
  );
  let closing: Promise<void> | null = null;
  return {
    app: running,
    stores,
    url: `http://${host}:${port}`,
    adminToken: admin.token,
    adminTokenGenerated: admin.generated,
    adminTokenPath: admin.path,
    close() {
      closing ??= (async () => {
        await running.close();
        await stores.close();
      })();
      return closing;
    },
  };
}

/** Runs `fn`; a data dir it cannot write becomes a ConfigError (the CLI prints it and exits 2). */
function refusingUnwritable<T>(dataDir: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DataDirError) throw new ConfigError(`${err.message}; point --data-dir (AGENTMON_DATA_DIR) at a folder agentmon can write`);
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
      throw new ConfigError(`the data dir ${dataDir} cannot be used (${code}: ${(err as Error).message}); point --data-dir (AGENTMON_DATA_DIR) at a folder agentmon can write`);
    }
    throw err;
  }
}
