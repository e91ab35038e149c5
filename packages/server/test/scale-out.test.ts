import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp, type App } from '../src/app.js';
import { ADMIN, BACKENDS, bearer, register, testApp } from './harness.js';

const postgres = BACKENDS.find((b) => b.name === 'postgres');

describe('two instances on one PostgreSQL', () => {
  if (postgres?.skip) {
    it('runs against PostgreSQL', { skip: postgres.skip }, () => undefined);
    return;
  }

  it('share the live stream (LISTEN/NOTIFY) and sweep one at a time', async () => {
    const a = await testApp('postgres');
    let b: App | null = null;
    try {
      b = await buildApp(a.config, {
        metadata: a.stores.metadata,
        series: a.stores.series,
        adminToken: ADMIN,
        storageKind: 'postgres',
        broadcaster: a.stores.broadcaster,
        clock: () => a.clock.now,
        logger: false,
      });
      await b.listen({ host: '127.0.0.1', port: 0 });
      const address = b.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;

      // A stream on instance B...
      const controller = new AbortController();
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/events/stream`, { headers: bearer(ADMIN), signal: controller.signal });
      assert.equal(res.status, 200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      // ...hears a registration made through instance A.
      const { id } = await register(a, { name: 'seen-by-b' });
      const deadline = Date.now() + 5000;
      while (!text.includes(id) && Date.now() < deadline) {
        const { value, done } = await Promise.race([
          reader.read(),
          new Promise<{ value: undefined; done: false }>((r) => setTimeout(() => r({ value: undefined, done: false }), 200)),
        ]);
        if (done) break;
        if (value) text += new TextDecoder().decode(value);
      }
      controller.abort();
      assert.match(text, /event: system_event/);
      assert.ok(text.includes(id), 'instance B streamed the event instance A raised');

      // While one instance sweeps (holds the lock), the other skips its turn.
      const release = await a.stores.metadata.tryLock('sweeper');
      assert.ok(release);
      assert.equal((await (b as App).sweeper.tick()).skipped, true);
      await release();
      assert.equal((await (b as App).sweeper.tick()).skipped, false);
    } finally {
      await b?.close();
      await a.close();
    }
  });
});
