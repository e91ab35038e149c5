/**
 * The idle collection on a real server: once a burst is over, a grown heap is collected even
 * though requests keep coming (a scraper four times a second here), because quiet means a lightly
 * busy event loop, not one that has seen no request. (That a collection frees what nothing holds
 * is memory-reducer.test.ts's; here the grown heap is held, so V8 cannot shrink it first.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN, bearer, testApp } from './harness.js';

const MiB = 1024 * 1024;

/** A family's value in an exposition. */
function gauge(body: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(body);
  assert.ok(m, `${name} in /metrics`);
  return Number(m[1]);
}

describe('the idle collection', () => {
  it('gives a grown heap back while the server is still being scraped', async () => {
    const t = await testApp('sqlite', { idleCollectMs: 1000 });
    try {
      const scrape = async (): Promise<string> => {
        const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(ADMIN) });
        assert.equal(res.statusCode, 200);
        return res.body;
      };
      const before = gauge(await scrape(), 'agentmon_idle_collections_total');
      // A heap grown by 96 MiB, as a load grows it.
      const held: number[][] = [];
      for (let i = 0; i < 96; i += 1) held.push(new Array<number>(128 * 1024).fill(i));
      const grown = gauge(await scrape(), 'nodejs_heap_size_total_bytes');
      assert.ok(grown > 96 * MiB, `heap ${(grown / MiB).toFixed(0)} MiB`);

      let after = before;
      const deadline = Date.now() + 15_000;
      while (after === before && Date.now() < deadline) {
        await sleep(250);
        after = gauge(await scrape(), 'agentmon_idle_collections_total');
      }
      assert.ok(after > before, 'collected within 15 s though scraped every 250 ms');
      assert.equal(held.length, 96);
    } finally {
      await t.close();
    }
  });
});
