import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, eachBackend, bearer, metricsBody, register, testApp, type TestApp } from './harness.js';

/** A payload at `ts` with a given cpu and tokens_per_second, and a custom metric. */
const at = (id: string, ts: string, cpu: number, tps: number | null) =>
  metricsBody(id, {
    timestamp: ts,
    resource_metrics: { cpu_usage_percent: cpu, memory_usage_bytes: 1, memory_usage_percent: 10, disk_usage_bytes: 1 },
    ai_metrics: tps === null ? null : { tokens_per_second: tps },
    custom_metrics: { queue: cpu / 10 },
  });

eachBackend('metrics query API', (backend) => {
  let t: TestApp;
  let a: string;
  let b: string;
  before(async () => {
    t = await testApp(backend);
    a = (await register(t, { name: 'q-a' })).id;
    b = (await register(t, { name: 'q-b' })).id;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/metrics',
      headers: bearer(ADMIN),
      payload: [
        at(a, '2026-03-01T10:03:00Z', 10, 100),
        at(a, '2026-03-01T10:04:00Z', 20, null),
        at(a, '2026-03-01T10:07:00Z', 30, 300),
        at(a, '2026-03-01T10:21:00Z', 40, 400),
        at(b, '2026-03-01T10:01:00Z', 50, 500),
        at(b, '2026-03-01T10:06:00Z', 70, 700),
      ],
    });
    assert.equal(res.statusCode, 202, res.body);
  });
  after(async () => {
    await t.close();
  });

  const get = async (qs: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/metrics/query?${qs}`, headers: bearer(ADMIN) });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };
  const range = 'start_time=2026-03-01T10:00:00Z&end_time=2026-03-01T10:30:00Z';

  it('raw points: one row per payload, the response echoes the query and the range', async () => {
    const q = await get(`agent_ids=${a}&${range}&metric_names=cpu_usage_percent,tokens_per_second`);
    assert.equal(q.total_points, 4);
    assert.deepEqual(q.agents, [a]);
    assert.deepEqual(q.time_range, { start: '2026-03-01T10:00:00.000Z', end: '2026-03-01T10:30:00.000Z' });
    assert.deepEqual(q.query.agent_ids, [a]);
    assert.deepEqual(q.query.metric_names, ['cpu_usage_percent', 'tokens_per_second']);
    assert.equal(q.query.start_time, '2026-03-01T10:00:00.000Z');
    assert.deepEqual(q.data[1], { agent_id: a, timestamp: '2026-03-01T10:04:00.000Z', cpu_usage_percent: 20, tokens_per_second: null });
  });

  it('5-minute buckets aligned to the epoch, stamped with their start; nulls ignored by avg', async () => {
    const q = await get(`agent_ids=${a}&${range}&metric_names=cpu_usage_percent,tokens_per_second&aggregation=avg&interval=5m`);
    assert.deepEqual(q.data, [
      { agent_id: a, timestamp: '2026-03-01T10:00:00.000Z', cpu_usage_percent: 15, tokens_per_second: 100 },
      { agent_id: a, timestamp: '2026-03-01T10:05:00.000Z', cpu_usage_percent: 30, tokens_per_second: 300 },
      { agent_id: a, timestamp: '2026-03-01T10:20:00.000Z', cpu_usage_percent: 40, tokens_per_second: 400 },
    ]);
    assert.equal(q.total_points, 3);
    assert.equal(q.query.interval, '5m');
    assert.equal(q.query.aggregation, 'avg');
  });

  it('every aggregation: sum, max, min, count, last', async () => {
    const one = async (agg: string) =>
      (await get(`agent_ids=${a}&${range}&metric_names=cpu_usage_percent,tokens_per_second&aggregation=${agg}&interval=5m`)).data[0];
    assert.deepEqual([(await one('sum')).cpu_usage_percent, (await one('sum')).tokens_per_second], [30, 100]);
    assert.equal((await one('max')).cpu_usage_percent, 20);
    assert.equal((await one('min')).cpu_usage_percent, 10);
    assert.deepEqual([(await one('count')).cpu_usage_percent, (await one('count')).tokens_per_second], [2, 1]);
    assert.deepEqual([(await one('last')).cpu_usage_percent, (await one('last')).tokens_per_second], [20, 100]);
  });

  it('fill: null, zero and previous show empty buckets; none leaves them out', async () => {
    const base = `agent_ids=${a}&start_time=2026-03-01T10:00:00Z&end_time=2026-03-01T10:24:59Z&metric_names=cpu_usage_percent&aggregation=max&interval=5m`;
    const pick = (d: { timestamp: string; cpu_usage_percent: number | null }[]) => d.map((r) => [r.timestamp.slice(11, 16), r.cpu_usage_percent]);
    assert.deepEqual(pick((await get(`${base}&fill=null`)).data), [['10:00', 20], ['10:05', 30], ['10:10', null], ['10:15', null], ['10:20', 40]]);
    assert.deepEqual(pick((await get(`${base}&fill=zero`)).data), [['10:00', 20], ['10:05', 30], ['10:10', 0], ['10:15', 0], ['10:20', 40]]);
    assert.deepEqual(pick((await get(`${base}&fill=previous`)).data), [['10:00', 20], ['10:05', 30], ['10:10', 30], ['10:15', 30], ['10:20', 40]]);
    assert.deepEqual(pick((await get(`${base}&fill=none`)).data), [['10:00', 20], ['10:05', 30], ['10:20', 40]]);
  });

  it('group_by=none merges agents per bucket (fleet-wide series)', async () => {
    const q = await get(`${range}&metric_names=cpu_usage_percent&aggregation=avg&interval=5m&group_by=none`);
    assert.deepEqual(q.data, [
      { timestamp: '2026-03-01T10:00:00.000Z', cpu_usage_percent: (10 + 20 + 50) / 3 },
      { timestamp: '2026-03-01T10:05:00.000Z', cpu_usage_percent: 50 },
      { timestamp: '2026-03-01T10:20:00.000Z', cpu_usage_percent: 40 },
    ]);
    assert.deepEqual(q.agents, [a, b].sort(), 'the agents whose points went in');
    const onlyA = await get(`agent_ids=${a}&${range}&metric_names=cpu_usage_percent&aggregation=avg&interval=5m&group_by=none`);
    assert.deepEqual(onlyA.agents, [a]);
    const late = await get(`start_time=2026-03-01T10:20:00Z&end_time=2026-03-01T10:24:59Z&metric_names=cpu_usage_percent&aggregation=avg&interval=5m&group_by=none`);
    assert.equal(late.data.length, 1);
    assert.deepEqual(late.agents, [a], 'only the agent with points in the range');
  });

  it('aggregation without interval: one row per agent over the whole range', async () => {
    const q = await get(`${range}&metric_names=cpu_usage_percent&aggregation=max`);
    assert.deepEqual(q.data, [
      { agent_id: a, timestamp: '2026-03-01T10:00:00.000Z', cpu_usage_percent: 40 },
      { agent_id: b, timestamp: '2026-03-01T10:00:00.000Z', cpu_usage_percent: 70 },
    ].sort((x, y) => x.agent_id.localeCompare(y.agent_id)));
    assert.deepEqual(q.agents, [a, b].sort());
  });

  it('last without interval: each agent newest values in the range, as the exact JSON of the answer', async () => {
    /** The body as text (key order included) and its parsed value. */
    const text = async (qs: string) => {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/metrics/query?${qs}`, headers: bearer(ADMIN) });
      assert.equal(res.statusCode, 200, res.body);
      return res.body;
    };
    const answer = (start: string, end: string, metrics: string[], ids: string[], data: object[]) =>
      JSON.stringify({
        query: { agent_ids: ids, start_time: start, end_time: end, metric_names: metrics, aggregation: 'last', interval: null, group_by: 'agent', fill: 'none' },
        total_points: data.length,
        agents: [...new Set(data.map((r) => (r as { agent_id: string }).agent_id))].sort(),
        time_range: { start, end },
        data,
      });
    const ids = [a, b].sort();
    const metrics = ['tokens_per_second', 'custom.queue', 'cpu_usage_percent'];
    const row = (id: string, start: string, tps: number | null, queue: number, cpu: number) => ({ agent_id: id, timestamp: start, tokens_per_second: tps, 'custom.queue': queue, cpu_usage_percent: cpu });
    const newest = { [a]: [400, 4, 40], [b]: [700, 7, 70] } as Record<string, [number, number, number]>;
    const qs = (start: string, end: string) => `agent_ids=${ids.join(',')}&start_time=${start}&end_time=${end}&metric_names=${metrics.join(',')}&aggregation=last`;

    // Every agent's newest payload is in the range: its newest values (the engine keeps them in memory).
    const whole = ['2026-03-01T10:00:00.000Z', '2026-03-01T10:30:00.000Z'] as const;
    assert.equal(await text(qs(...whole)), answer(...whole, metrics, ids, ids.map((id) => row(id, whole[0], ...(newest[id] as [number, number, number])))));
    // The range starts after b's newest payload: only a answers.
    const late = ['2026-03-01T10:07:00.000Z', '2026-03-01T10:30:00.000Z'] as const;
    assert.equal(await text(qs(...late)), answer(...late, metrics, ids, [row(a, late[0], 400, 4, 40)]));
    // The range ends before a's newest payload: its last values within the range, the null
    // tokens_per_second of 10:04 passed over for the 100 of 10:03.
    const early = ['2026-03-01T10:00:00.000Z', '2026-03-01T10:05:00.000Z'] as const;
    const earlyRows = [row(a, early[0], 100, 2, 20), row(b, early[0], 500, 5, 50)].sort((x, y) => (x.agent_id < y.agent_id ? -1 : 1));
    assert.equal(await text(qs(...early)), answer(...early, metrics, ids, earlyRows), 'rows in agent order');
    // After every payload: no row.
    const after = ['2026-03-01T10:22:00.000Z', '2026-03-01T10:30:00.000Z'] as const;
    assert.equal(await text(qs(...after)), answer(...after, metrics, ids, []));
  });

  it('custom metrics are series named custom.<key>', async () => {
    const q = await get(`agent_ids=${b}&${range}&metric_names=custom.queue&aggregation=sum`);
    assert.equal(q.data[0]['custom.queue'], 12);
  });

  it('POST takes a MetricsQuery body and answers the same', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/metrics/query',
      headers: bearer(ADMIN),
      payload: {
        agent_ids: [a],
        start_time: '2026-03-01T10:00:00',
        end_time: '2026-03-01T10:30:00+00:00',
        metric_names: ['cpu_usage_percent'],
        aggregation: 'avg',
        interval: '5m',
      },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().total_points, 3);
    assert.equal(res.json().data[0].cpu_usage_percent, 15);
  });

  it('bad queries: 400 naming the field', async () => {
    const bad = async (qs: string, path: string) => {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/metrics/query?${qs}`, headers: bearer(ADMIN) });
      assert.equal(res.statusCode, 400, `${qs}: ${res.body}`);
      assert.ok(res.json().details.some((d: { path: string }) => d.path === path), `${qs}: ${res.body}`);
    };
    await bad('end_time=2026-03-01T10:30:00Z', '/query/start_time');
    await bad('start_time=2026-03-01T10:00:00Z', '/query/end_time');
    await bad('start_time=soon&end_time=2026-03-01T10:30:00Z', '/query/start_time');
    await bad('start_time=2026-03-02T00:00:00Z&end_time=2026-03-01T00:00:00Z', '/query/end_time');
    await bad(`${range}&metric_names=cpu_usage_percent,bogus`, '/query/metric_names/1');
    await bad(`${range}&aggregation=median`, '/query/aggregation');
    await bad(`${range}&interval=5 minutes`, '/query/interval');
    await bad(`${range}&interval=1ms`, '/query/interval');
    await bad(`${range}&fill=linear&interval=5m`, '/query/fill');
    await bad(`${range}&group_by=host`, '/query/group_by');
    const body = await t.app.inject({
      method: 'POST',
      url: '/api/v1/metrics/query',
      headers: bearer(ADMIN),
      payload: { start_time: '2026-03-01T10:00:00Z', aggregation: 'median', agent_ids: 'a' },
    });
    assert.equal(body.statusCode, 400);
    assert.deepEqual(body.json().details.map((d: { path: string }) => d.path).sort(), ['/body/agent_ids', '/body/aggregation', '/body/end_time']);
  });

  it('start_time and end_time also take epoch milliseconds and times relative to the server clock', async () => {
    // The test clock reads 2026-03-01T12:00:00Z: now-2h is 10:00 and now-90m is 10:30, the ISO range above.
    const iso = await get(`agent_ids=${a}&${range}&metric_names=cpu_usage_percent&interval=5m`);
    const epoch = await get(`agent_ids=${a}&start_time=${Date.parse('2026-03-01T10:00:00Z')}&end_time=${Date.parse('2026-03-01T10:30:00Z')}&metric_names=cpu_usage_percent&interval=5m`);
    const relative = await get(`agent_ids=${a}&start_time=now-2h&end_time=now-90m&metric_names=cpu_usage_percent&interval=5m`);
    assert.equal(iso.total_points, 3);
    for (const q of [epoch, relative]) {
      assert.deepEqual(q.data, iso.data);
      assert.deepEqual(q.time_range, { start: '2026-03-01T10:00:00.000Z', end: '2026-03-01T10:30:00.000Z' });
      assert.equal(q.query.start_time, '2026-03-01T10:00:00.000Z');
    }
    // `now` follows the server's clock: an hour later, now-2h no longer reaches back to 10:00-10:10.
    const whole = await get(`agent_ids=${a}&start_time=now-2h&end_time=now&metric_names=cpu_usage_percent`);
    assert.equal(whole.total_points, 4);
    assert.equal(whole.time_range.end, '2026-03-01T12:00:00.000Z');
    t.clock.now += 3_600_000;
    try {
      const later = await get(`agent_ids=${a}&start_time=now-2h&end_time=now&metric_names=cpu_usage_percent`);
      assert.equal(later.time_range.start, '2026-03-01T11:00:00.000Z');
      assert.equal(later.total_points, 0);
    } finally {
      t.clock.now -= 3_600_000;
    }
  });

  it('a time in none of the accepted forms is a 400 naming the field and the forms', async () => {
    for (const [qs, path] of [
      ['start_time=now-1x&end_time=now', '/query/start_time'],
      ['start_time=now-2h&end_time=yesterday', '/query/end_time'],
      ['start_time=1.5e12&end_time=now', '/query/start_time'],
      ['start_time=now-&end_time=now', '/query/start_time'],
      ['start_time=99999999999999999&end_time=now', '/query/start_time'],
    ] as const) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/metrics/query?${qs}`, headers: bearer(ADMIN) });
      assert.equal(res.statusCode, 400, `${qs}: ${res.body}`);
      const detail = res.json().details.find((d: { path: string }) => d.path === path);
      assert.ok(detail, `${qs}: ${res.body}`);
      assert.match(detail.message, /epoch milliseconds/);
    }
  });

  it('an unknown query parameter is a 400 naming it, not a silently unfiltered answer', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/metrics/query?${range}&environment=production&agent=x`, headers: bearer(ADMIN) });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error, 'VALIDATION_FAILED');
    assert.deepEqual(res.json().details.map((d: { path: string }) => d.path), ['/query/environment', '/query/agent']);
    assert.match(res.json().message, /environment, agent/);
    assert.match(res.json().details[0].message, /it takes agent_ids, start_time, end_time/);
  });

  it('refuses a raw answer over queryMaxRawValues with a 400 naming interval, and answers one within it', async () => {
    // 6 payloads in range; 2 metrics each: 12 values. A limit of 11 refuses, 12 answers.
    const qs = `${range}&metric_names=cpu_usage_percent,tokens_per_second`;
    for (const [limit, status] of [[11, 400], [12, 200]] as const) {
      const small = await testApp(backend, { queryMaxRawValues: limit });
      try {
        const ids = [(await register(small, { name: 'cap-a' })).id, (await register(small, { name: 'cap-b' })).id];
        const sent = await small.app.inject({
          method: 'POST',
          url: '/api/v1/metrics',
          headers: bearer(ADMIN),
          payload: [0, 1, 2].flatMap((m) => ids.map((id) => at(id, `2026-03-01T10:0${m}:00Z`, 10 + m, 5))),
        });
        assert.equal(sent.statusCode, 202, sent.body);
        const res = await small.app.inject({ method: 'GET', url: `/api/v1/metrics/query?${qs}`, headers: bearer(ADMIN) });
        assert.equal(res.statusCode, status, res.body);
        if (status === 400) {
          assert.match(res.json().message, /more than 10 values \(5 points of 2 metric/);
          assert.ok(res.json().details.some((d: { path: string }) => d.path === '/query/interval'), res.body);
        } else assert.equal(res.json().total_points, 6);
        // Bucketed answers are not raw: the same range with an interval answers.
        const bucketed = await small.app.inject({ method: 'GET', url: `/api/v1/metrics/query?${qs}&interval=1m`, headers: bearer(ADMIN) });
        assert.equal(bucketed.statusCode, 200, bucketed.body);
      } finally {
        await small.close();
      }
    }
  });
});
