/**
 * The live stream's fan-out between instances across a PostgreSQL restart, on a private cluster:
 * instance B listens again by itself, tells its stream clients to resync (what A published while
 * it was away never arrived), and streams what A publishes afterwards.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildApp, DEFAULT_CONFIG, openStores, type App } from '../../src/index.js';
import { ADMIN, agentBody, bearer } from '../harness.js';
import { openStream } from '../sse.js';
import { postgresBin, PrivatePostgres } from './private-postgres.js';

describe('live fan-out across a PostgreSQL restart (private cluster)', { skip: postgresBin() ? false : 'no PostgreSQL binaries (initdb, pg_ctl)' }, () => {
  it("instance B listens again, tells its clients to resync, and streams A's events published after the restart", { timeout: 120_000 }, async () => {
    const cluster = await PrivatePostgres.create();
    const dataDir = mkdtempSync(join(tmpdir(), 'agentmon-fanout-'));
    const stores = await openStores({ dataDir, databaseUrl: cluster.url });
    const config = { ...DEFAULT_CONFIG, dataDir, databaseUrl: cluster.url, logLevel: 'silent' as const };
    const deps = { metadata: stores.metadata, series: stores.series, adminToken: ADMIN, storageKind: stores.kind, broadcaster: stores.broadcaster, logger: false as const };
    const apps: App[] = [];
    try {
      const a = await buildApp(config, deps);
      apps.push(a);
      await a.ready();
      const b = await buildApp(config, deps);
      apps.push(b);
      await b.listen({ host: '127.0.0.1', port: 0 });
      const address = b.server.address();
      const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

      const registerOnA = async (name: string): Promise<string> => {
        // While the pool reconnects, A answers 503; the agent is registered once it answers 201.
        for (let i = 0; i < 300; i++) {
          const res = await a.inject({ method: 'POST', url: '/api/v1/agents', headers: bearer(ADMIN), payload: agentBody({ name }) });
          if (res.statusCode === 201) return (res.json() as { agent_id: string }).agent_id;
          assert.equal(res.statusCode, 503, res.body);
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`A never registered ${name}`);
      };

      const stream = openStream(`${base}/api/v1/events/stream`, bearer(ADMIN));
      assert.equal(await stream.ready, 200);
      const before = await registerOnA('before-restart');
      await stream.waitFor((m) => m.event === 'system_event' && m.data.agent_id === before, "A's event before the restart", 10_000);

      cluster.stop('fast');
      cluster.start();

      // B's stream says messages may be missing once it listens again...
      const resync = await stream.waitFor((m) => m.event === 'resync', 'resync after the restart', 60_000);
      assert.equal(resync.data.reason, 'fan_out_reconnected');
      // ...and carries what A publishes from then on, as does a client that connects afterwards.
      const late = openStream(`${base}/api/v1/events/stream`, bearer(ADMIN));
      assert.equal(await late.ready, 200);
      const after = await registerOnA('after-restart');
      const seen = await stream.waitFor((m) => m.event === 'system_event' && m.data.agent_id === after, "A's event after the restart", 10_000);
      assert.ok(seen.id > resync.id);
      await late.waitFor((m) => m.event === 'system_event' && m.data.agent_id === after, "A's event on a new client", 10_000);
      stream.close();
      late.close();
    } finally {
      for (const app of apps) await app.close();
      await stores.close().catch(() => undefined);
      cluster.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
