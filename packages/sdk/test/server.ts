/**
 * A real agentmon server for the SDK's tests: started in-process on a real port (startServer), on a
 * temporary data dir, quiet. It can be closed and started again on the same port and data dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, startServer, type RunningServer, type ServerConfig } from '@agentmon/server';

/** Admin token of test servers. */
export const ADMIN = 'sdk-test-admin-token-0123456789';
/** Registration token of test servers. */
export const REGISTRATION = 'sdk-test-registration-token-0123456789';

/** A test server that can restart in place. */
export interface TestServer {
  url: string;
  port: number;
  dataDir: string;
  server: RunningServer | null;
  /** Closes the server (the data dir stays). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data dir. */
  restart(): Promise<void>;
  /** Closes and deletes the data dir. */
  dispose(): Promise<void>;
}

/** Starts a server on a free port (or `port`), a fresh temp data dir. */
export async function startTestServer(overrides: Partial<ServerConfig> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'agentmon-sdk-'));
  const config = (port: number): ServerConfig => ({
    ...DEFAULT_CONFIG,
    host: '127.0.0.1',
    port,
    dataDir,
    logLevel: 'silent',
    adminToken: ADMIN,
    registrationToken: REGISTRATION,
    ...overrides,
  });
  let server: RunningServer | null = await startServer(config(overrides.port ?? 0));
  const port = Number(new URL(server.url).port);
  const t: TestServer = {
    url: server.url,
    port,
    dataDir,
    get server() {
      return server;
    },
    async stop() {
      const s = server;
      server = null;
      await s?.close();
    },
    async restart() {
      await t.stop();
      server = await startServer(config(port));
    },
    async dispose() {
      await t.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}

/** A port nothing listens on (taken and released at once). */
export { freePort } from '@agentmon/server/testing';

/** Waits until `check()` is true (polling every 25 ms); fails with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
