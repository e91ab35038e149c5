/**
 * A private InfluxDB 1.x for tests: Debian's /usr/bin/influxd (or AGENTMON_TEST_INFLUXD) started by
 * hand on free loopback ports with its own config and data in a temp dir, never the system service.
 * One server per test process, started on first use and killed when the process leaves.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { startDaemon } from './daemon.js';

/** The influxd binary tests use. */
export const INFLUXD = process.env.AGENTMON_TEST_INFLUXD ?? '/usr/bin/influxd';

/** Why influx tests cannot run here, or false when they can. */
export const INFLUX_SKIP: string | false = existsSync(INFLUXD)
  ? false
  : `${INFLUXD} is missing (apt-get install -y influxdb; .ci/run installs it)`;

/** A running test influxd. */
export interface InfluxServer {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** A URL naming a fresh database (created by the store's migrate()). */
  freshUrl(prefix?: string): string;
  /** Drops a database made for a test. */
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

let running: Promise<InfluxServer> | null = null;

/** The process's test influxd, started on first call. */
export function influxServer(): Promise<InfluxServer> {
  running ??= start();
  return running;
}

async function start(): Promise<InfluxServer> {
  const dir = mkdtempSync(join(tmpdir(), 'agentmon-influxd-'));
  const [rpcPort, httpPort] = [await freePort(), await freePort()];
  const config = `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false
[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false
  trace-logging-enabled = false
[coordinator]
  log-queries-after = "0s"
[retention]
  enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
  log-enabled = false
[subscriber]
  enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false
  write-tracing = false
  max-row-limit = 0
[logging]
  level = "warn"
`;
  const path = join(dir, 'influxdb.conf');
  writeFileSync(path, config);
  const base = `http://127.0.0.1:${httpPort}`;
  const daemon = await startDaemon({
    name: 'influxd',
    command: INFLUXD,
    args: ['run', '-config', path],
    env: { ...process.env, INFLUXDB_CONFIG_PATH: path },
    dir,
    probeUrl: `${base}/ping`,
    readyStatus: 204,
  });

  return {
    base,
    freshUrl(prefix = 't') {
      return `${base}/${prefix}_${randomBytes(6).toString('hex')}`;
    },
    async dropDatabase(name) {
      const body = new URLSearchParams({ q: `DROP DATABASE "${name}"` });
      const res = await fetch(`${base}/query`, { method: 'POST', body });
      await res.arrayBuffer();
    },
    async stop() {
      await daemon.stop();
      running = null;
    },
  };
}
