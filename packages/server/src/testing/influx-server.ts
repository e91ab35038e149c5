/**
 * A private InfluxDB 1.x for tests: Debian's /usr/bin/influxd (or AGENTMON_TEST_INFLUXD) started by
 * hand on free loopback ports with its own config and data in a temp dir, never the system service.
 * One server per test process, started on first use and killed when the process leaves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
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
  const child: ChildProcess = spawn(INFLUXD, ['run', '-config', path], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, INFLUXDB_CONFIG_PATH: path } });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  // Never outlive the test process, even when a test forgets stop().
  const kill = (): void => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', () => {
    kill();
    rmSync(dir, { recursive: true, force: true });
  });
  child.unref();
  (child.stderr as NodeJS.ReadableStream & { unref?: () => void } | null)?.unref?.();

  const base = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`influxd exited while starting: ${stderr}`);
    try {
      const res = await fetch(`${base}/ping`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 204) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      kill();
      throw new Error(`influxd did not answer /ping within 30 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

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
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(kill, 5000);
      await gone;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      running = null;
    },
  };
}
