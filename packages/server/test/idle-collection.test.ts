/**
 * The idle collection on a real server: once a burst is over, a grown heap is collected even
 * though requests keep coming (a scraper four times a second here), because quiet means a lightly
 * busy event loop, not one that has seen no request. (That a collection frees what nothing holds
 * is memory-reducer.test.ts's; here the grown heap is held, so V8 cannot shrink it first.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, bearer, sample, testApp, until } from './harness.js';

const MiB = 1024 * 1024;

describe('the idle collection', () => {
  it('gives a grown heap back while the server is still being scraped', async () => {
    const t = await testApp('sqlite', { idleCollectMs: 1000 });
    try {
      const scrape = async (series: string): Promise<number> => {
        const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(ADMIN) });
        assert.equal(res.statusCode, 200);
        const value = sample(res.body, series);
        assert.ok(value !== undefined, `${series} in /metrics`);
        return value;
      };
      const before = await scrape('agentmon_idle_collections_total');
      // A heap grown by 96 MiB, as a load grows it.
      const held: number[][] = [];
      for (let i = 0; i < 96; i += 1) held.push(new Array<number>(128 * 1024).fill(i));
      const grown = await scrape('nodejs_heap_size_total_bytes');
      assert.ok(grown > 96 * MiB, `heap ${(grown / MiB).toFixed(0)} MiB`);

      // Scraped every 250 ms; the old rule (no request for idleMs) never collected under this.
      await until('a collection though scraped every 250 ms', async () => (await scrape('agentmon_idle_collections_total')) > before, 15_000, 250);
      assert.equal(held.length, 96);
    } finally {
      await t.close();
    }
  });
});
