/**
 * Hostile and malformed input over HTTP, on both metadata stores: every request below must get a
 * 4xx in the documented shape `{error, message, details}` (never a 5xx, never the framework's own
 * shape), name what was wrong, and change nothing.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ADMIN, agentBody, bearer, eachBackend, metricsBody, register, testApp, type TestApp } from './harness.js';

/** A JSON text nested `depth` levels deep under `key` (JSON.stringify would overflow the stack to build it). */
const deep = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  /** A JSON body, or raw text sent as application/json. */
  body?: unknown;
  raw?: string;
  /** The path `details` must name (exactly, or by prefix when it ends with `*`). */
  field: string;
}

/**
 * A batch of 300 payloads (about 130 KB, past the size from which the server parses a batch in
 * pieces) whose payload `at` carries custom string `PLACEHOLDER`, as raw JSON text.
 */
function bigBatch(agentId: string, at: number): string {
  const base = Date.now() - 3600_000;
  return JSON.stringify(
    Array.from({ length: 300 }, (_, i) =>
      metricsBody(agentId, { timestamp: new Date(base + i * 1000).toISOString(), custom_metrics: i === at ? { note: 'PLACEHOLDER' } : { n: i } }),
    ),
  );
}

function cases(agentId: string): Case[] {
  const now = new Date().toISOString();
  const hourAgo = new Date(Date.now() - 3600_000).toISOString();
  return [
    { name: 'page too large for a number', method: 'GET', url: '/api/v1/agents?page=99999999999999999999', field: '/query/page' },
    { name: 'page 1e300', method: 'GET', url: '/api/v1/agents?page=1e300', field: '/query/page' },
    { name: 'page_size 1e300', method: 'GET', url: '/api/v1/alerts?page_size=1e300', field: '/query/page_size' },
    {
      name: 'an interval of 999999999 weeks',
      method: 'GET',
      url: `/api/v1/metrics/query?interval=999999999w&aggregation=avg&start_time=${encodeURIComponent(hourAgo)}&end_time=${encodeURIComponent(now)}`,
      field: '/query/interval',
    },
    { name: 'custom_metrics nested 20,000 deep', method: 'POST', url: `/api/v1/agents/${agentId}/metrics`, raw: `{"agent_id":"${agentId}","custom_metrics":${deep(20_000)}}`, field: '/body*' },
    { name: 'dashboard config with a 20,000-deep unknown field', method: 'PUT', url: '/api/v1/dashboard/config', raw: `{"x":${deep(20_000)}}`, field: '/body*' },
    { name: 'NUL in an agent name', method: 'POST', url: '/api/v1/agents', body: agentBody({ name: 'bad\u0000name' }), field: '/body/name' },
    { name: 'NUL in an agent id', method: 'POST', url: '/api/v1/agents', body: agentBody({ id: 'id\u0000x', name: 'nul-id' }), field: '/body/id' },
    { name: 'NUL in a search', method: 'GET', url: '/api/v1/agents?q=%00', field: '/query/q' },
    { name: 'NUL in an agent id path', method: 'GET', url: '/api/v1/agents/%00', field: '/params/id' },
    { name: 'NUL in an alert id path', method: 'GET', url: '/api/v1/alerts/%00', field: '/params/id' },
    { name: 'NUL in a custom metric key', method: 'POST', url: `/api/v1/agents/${agentId}/metrics`, body: metricsBody(agentId, { custom_metrics: { 'k\u0000': 1 } }), field: '/body/custom_metrics*' },
    { name: 'NUL in a queried metric name', method: 'GET', url: `/api/v1/metrics/query?metric_names=cpu%00&start_time=${encodeURIComponent(hourAgo)}&end_time=${encodeURIComponent(now)}`, field: '/query/metric_names' },
    { name: 'year 0000 in a payload timestamp', method: 'POST', url: `/api/v1/agents/${agentId}/metrics`, body: metricsBody(agentId, { timestamp: '0000-01-01T00:00:00Z' }), field: '/body/timestamp' },
    { name: 'year 0000 in since', method: 'GET', url: '/api/v1/events?since=0000-01-01T00:00:00Z', field: '/query/since' },
    { name: 'year 0000 in start_time', method: 'GET', url: `/api/v1/metrics/query?start_time=0000-01-01T00:00:00Z&end_time=${encodeURIComponent(now)}`, field: '/query/start_time' },
    { name: 'a lone surrogate in an agent name', method: 'POST', url: '/api/v1/agents', raw: JSON.stringify(agentBody({ name: 'PLACEHOLDER' })).replace('PLACEHOLDER', '\\ud800'), field: '/body/name' },
    { name: 'a lone surrogate in a custom string', method: 'POST', url: `/api/v1/agents/${agentId}/metrics`, raw: JSON.stringify(metricsBody(agentId, { custom_metrics: { note: 'PLACEHOLDER' } })).replace('PLACEHOLDER', '\\udfff'), field: '/body/custom_metrics*' },
    // The same refusals for a batch large enough to be parsed in pieces.
    { name: 'NUL in a custom string of a 300-payload batch', method: 'POST', url: '/api/v1/metrics', raw: bigBatch(agentId, 150).replace('PLACEHOLDER', 'a\\u0000b'), field: '/body/150/custom_metrics*' },
    { name: 'a lone surrogate in a 300-payload batch', method: 'POST', url: '/api/v1/metrics', raw: bigBatch(agentId, 299).replace('PLACEHOLDER', '\\ud800'), field: '/body/299/custom_metrics*' },
    { name: 'a __proto__ key in a 300-payload batch', method: 'POST', url: '/api/v1/metrics', raw: bigBatch(agentId, 250).replace('{"note":"PLACEHOLDER"}', '{"__proto__":{"x":1}}'), field: '/body/250/custom_metrics/__proto__' },
    { name: 'a constructor.prototype key in a 300-payload batch', method: 'POST', url: '/api/v1/metrics', raw: bigBatch(agentId, 10).replace('{"note":"PLACEHOLDER"}', '{"constructor":{"prototype":{"x":1}}}'), field: '/body/10/custom_metrics/constructor' },
    { name: 'a __proto__ key in a small payload', method: 'POST', url: `/api/v1/agents/${agentId}/metrics`, raw: JSON.stringify(metricsBody(agentId, { custom_metrics: { note: 'PLACEHOLDER' } })).replace('{"note":"PLACEHOLDER"}', '{"__proto__":{"x":1}}'), field: '/body*' },
    { name: 'a 300-payload batch cut short', method: 'POST', url: '/api/v1/metrics', raw: bigBatch(agentId, 0).slice(0, -2), field: '/body*' },
    { name: 'a 300-payload batch with a key and no value mid-way', method: 'POST', url: '/api/v1/metrics', raw: bigBatch(agentId, 200).replace('"PLACEHOLDER"}', '"x",}'), field: '/body*' },
    { name: 'a path that is not valid percent-encoding', method: 'GET', url: '/api/v1/agents/%ff', field: '/url' },
    // Floods one agent key could send: each alert string an active alert, each failing check too.
    { name: '5,000 alert strings', method: 'POST', url: `/api/v1/agents/${agentId}/metrics`, body: metricsBody(agentId, { alerts: Array.from({ length: 5000 }, (_, i) => `alert ${i}`) }), field: '/body/alerts' },
    { name: 'a 1 MB alert string', method: 'POST', url: `/api/v1/agents/${agentId}/metrics`, body: metricsBody(agentId, { alerts: ['x'.repeat(1_000_000)] }), field: '/body/alerts/0' },
    { name: '5,000 health checks', method: 'POST', url: `/api/v1/agents/${agentId}/metrics`, body: metricsBody(agentId, { health_checks: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`check-${i}`, false])) }), field: '/body/health_checks' },
    { name: '5,000 custom metrics', method: 'POST', url: `/api/v1/agents/${agentId}/metrics`, body: metricsBody(agentId, { custom_metrics: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`m${i}`, i])) }), field: '/body/custom_metrics' },
  ];
}

eachBackend('hostile input', (backend) => {
  let t: TestApp;
  let agentId: string;
  before(async () => {
    t = await testApp(backend);
    agentId = (await register(t)).id;
  });
  after(async () => t.close());

  /** What the store holds that a refused request could have changed: agents and their data, events, alerts, the dashboard config. */
  async function snapshot(): Promise<string> {
    const read = async (url: string) => (await t.app.inject({ method: 'GET', url, headers: bearer(ADMIN) })).body;
    return JSON.stringify([
      await read('/api/v1/agents?page_size=100'),
      await read('/api/v1/events?limit=1000'),
      await read('/api/v1/alerts?page_size=100'),
      await read('/api/v1/dashboard/config'),
      await read(`/api/v1/metrics/query?agent_ids=${agentId}&start_time=2000-01-01T00:00:00Z`),
    ]);
  }

  it('answers every hostile request with a 4xx naming the field, and changes nothing', async () => {
    const failures: string[] = [];
    for (const c of cases(agentId)) {
      const before = await snapshot();
      const res = await t.app.inject({
        method: c.method,
        url: c.url,
        headers: { ...bearer(ADMIN), ...(c.body !== undefined || c.raw !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(c.raw !== undefined ? { payload: c.raw } : c.body !== undefined ? { payload: JSON.stringify(c.body) } : {}),
      });
      let parsed: { error?: unknown; message?: unknown; details?: { path?: string }[] } = {};
      try {
        parsed = res.json();
      } catch {
        /* checked below */
      }
      const paths = (parsed.details ?? []).map((d) => d.path ?? '');
      const named = c.field.endsWith('*') ? paths.some((p) => p.startsWith(c.field.slice(0, -1))) : paths.includes(c.field);
      if (res.statusCode < 400 || res.statusCode >= 500) failures.push(`${c.name}: HTTP ${res.statusCode} ${res.body.slice(0, 200)}`);
      else if (typeof parsed.error !== 'string' || typeof parsed.message !== 'string' || !Array.isArray(parsed.details)) failures.push(`${c.name}: not the error shape: ${res.body.slice(0, 200)}`);
      else if (!named) failures.push(`${c.name}: details name ${JSON.stringify(paths)}, not ${c.field}`);
      else if ((await snapshot()) !== before) failures.push(`${c.name}: the store changed`);
    }
    assert.deepEqual(failures, []);
  });

  it('takes an agent id of 255 characters on every route, and refuses a longer one at registration', async () => {
    const id = `a${'x'.repeat(254)}`;
    const made = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: bearer(ADMIN), payload: agentBody({ id, name: 'long-id' }) });
    assert.equal(made.statusCode, 201, made.body);
    const key = (made.json() as { api_key: string }).api_key;
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/agents/${id}`, headers: bearer(ADMIN) })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/heartbeat`, headers: bearer(key) })).statusCode, 204);
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/agents/${id}`, headers: bearer(ADMIN) })).statusCode, 204);
    const tooLong = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: bearer(ADMIN), payload: agentBody({ id: `${id}y`, name: 'longer-id' }) });
    assert.equal(tooLong.statusCode, 400);
    assert.ok((tooLong.json() as { details: { path: string }[] }).details.some((d) => d.path === '/body/id'));
  });
});

/** Sends raw bytes to a listening server and reads the whole answer (the server closes the connection). */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let out = '';
    socket.on('data', (c: Buffer) => (out += c.toString()));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

eachBackend("what Node's HTTP parser refuses", (backend) => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await testApp(backend);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as { port: number }).port;
  });
  after(async () => t.close());

  for (const [name, request, status] of [
    ['headers over 16 KB', `GET /api/v1/agents HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['bad chunked encoding', 'POST /api/v1/agents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n', 400],
    ['a broken request line', 'GARBAGE\r\n\r\n', 400],
  ] as const) {
    it(`answers ${name} with ${status} in the error shape`, async () => {
      const answer = await rawExchange(port, request);
      const [head, text] = answer.split('\r\n\r\n');
      assert.match(head ?? '', new RegExp(`^HTTP/1\\.1 ${status} `));
      const parsed = JSON.parse(text ?? '') as { error: string; message: string; details: unknown[] };
      assert.equal(typeof parsed.error, 'string');
      assert.equal(typeof parsed.message, 'string');
      assert.ok(Array.isArray(parsed.details));
    });
  }
});
