/**
 * A generated corpus over every route of the API document, on both stores: each path parameter,
 * query parameter and body field gets hostile values (wrong types, huge and negative numbers, NUL,
 * lone surrogates, very long text, deep nesting, unknown fields, bodies of the wrong kind). Not one
 * answer may be a 5xx, every refusal has the documented shape `{error, message, details}`, and the
 * server still answers afterwards with the agent it had. Seeded: every run sends the same corpus.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, bearer, eachBackend, metricsBody, register, testApp, type TestApp } from './harness.js';
import { seededRandom as seeded } from '../src/testing/random.js';

/** A JSON text nested `depth` levels deep. */
const deep = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Hostile values of any field, JSON-side. */
const HOSTILE_VALUES: unknown[] = [
  null,
  -1,
  0,
  1e308,
  -1e308,
  1e20,
  0.5,
  '',
  ' ',
  'x'.repeat(5000),
  'nul\u0000inside',
  'lone \ud800 surrogate',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  'now-999999999w',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  true,
  [],
  [null, 1, 'a'],
  {},
  { __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } },
];

/** Hostile values of a path or query parameter, already URL-encoded. */
const HOSTILE_PARAMS: string[] = [
  '',
  '%00',
  '%ff',
  '%ED%A0%80',
  encodeURIComponent('x'.repeat(300)),
  '99999999999999999999',
  '1e300',
  '-1',
  'NaN',
  'true',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  encodeURIComponent('now-999999999w'),
  encodeURIComponent('0000-01-01T00:00:00Z'),
  encodeURIComponent('[object Object]'),
  encodeURIComponent("'; DROP TABLE agents; --"),
];

interface Operation {
  method: string;
  path: string;
  params: { name: string; in: string }[];
  bodyProps: string[] | null;
}

/** The operations of the API document (the live one: `app.swagger()`). */
function operations(doc: { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; requestBody?: unknown }>> }): Operation[] {
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const body = op.requestBody as { content?: Record<string, { schema?: { properties?: Record<string, unknown>; type?: string } }> } | undefined;
      const schema = body?.content?.['application/json']?.schema;
      out.push({
        method: method.toUpperCase(),
        path,
        params: op.parameters ?? [],
        bodyProps: body ? Object.keys(schema?.properties ?? {}) : null,
      });
    }
  }
  return out;
}

/** Routes left out: the live stream never ends an answer, and a bad token there is tested elsewhere. */
const SKIP = new Set(['GET /api/v1/events/stream']);

interface Request {
  method: string;
  url: string;
  body?: string;
}

/** The corpus for one operation. */
function corpus(op: Operation, agentId: string, rand: () => number): Request[] {
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)] as T;
  const fill = (path: string, id: string) => path.replace('{id}', id);
  // The real agent for its routes (so bodies reach the handler), except deregistration.
  const realId = op.path.startsWith('/api/v1/agents/{id}') && op.method !== 'DELETE' ? agentId : 'no-such-thing';
  const base = fill(op.path, realId);
  const out: Request[] = [];
  const jsonBody = (value: unknown) => JSON.stringify(value);
  const needsBody = op.bodyProps !== null;
  const validish = (): Record<string, unknown> => (op.path.endsWith('/metrics') && op.method === 'POST' && op.path.includes('{id}') ? metricsBody(agentId) : {});

  // Path parameters.
  if (op.path.includes('{id}')) {
    for (const v of HOSTILE_PARAMS) out.push({ method: op.method, url: fill(op.path, v), ...(needsBody ? { body: '{}' } : {}) });
  }
  // Query parameters: each declared one with hostile values, and one nobody declared.
  for (const p of op.params.filter((x) => x.in === 'query')) {
    for (let i = 0; i < 6; i++) out.push({ method: op.method, url: `${base}?${p.name}=${pick(HOSTILE_PARAMS)}`, ...(needsBody ? { body: '{}' } : {}) });
    out.push({ method: op.method, url: `${base}?${p.name}=a&${p.name}=b`, ...(needsBody ? { body: '{}' } : {}) });
  }
  out.push({ method: op.method, url: `${base}?no_such_param=1`, ...(needsBody ? { body: '{}' } : {}) });
  // Bodies: the wrong kind, deep, broken, and each field with hostile values.
  if (needsBody) {
    for (const raw of ['null', '[]', '"text"', '123', '{', '{"a":}', deep(5000), `[${'['.repeat(3000)}${']'.repeat(3000)}]`, jsonBody({ unknown_field: 1 })]) {
      out.push({ method: op.method, url: base, body: raw });
    }
    for (const prop of op.bodyProps ?? []) {
      for (let i = 0; i < 8; i++) out.push({ method: op.method, url: base, body: jsonBody({ ...validish(), [prop]: pick(HOSTILE_VALUES) }) });
      out.push({ method: op.method, url: base, body: `{"${prop}":${deep(3000)}}` });
    }
  }
  return out;
}

eachBackend('generated hostile corpus over every route', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await testApp(backend);
  });
  after(async () => t.close());

  it('no 5xx, every refusal in the documented shape, and the server still serves what it had', async () => {
    const agent = await register(t, { name: 'fuzz-target' });
    const doc = (t.app as unknown as { swagger(): Parameters<typeof operations>[0] }).swagger();
    const ops = operations(doc).filter((op) => !SKIP.has(`${op.method} ${op.path}`));
    assert.ok(ops.length >= 40, `the document lists the routes: ${ops.length}`);
    const rand = seeded(0xa9e47);
    const failures: string[] = [];
    let sent = 0;
    for (const op of ops) {
      for (const req of corpus(op, agent.id, rand)) {
        const res = await t.app.inject({
          method: req.method as 'GET',
          url: req.url,
          headers: { ...bearer(ADMIN), ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(req.body !== undefined ? { payload: req.body } : {}),
        });
        sent++;
        const where = `${req.method} ${req.url.slice(0, 120)} ${req.body ? req.body.slice(0, 80) : ''}`;
        if (res.statusCode >= 500) failures.push(`${res.statusCode} ${where}: ${res.body.slice(0, 200)}`);
        else if (res.statusCode >= 400 && !req.url.startsWith('/v1/') && !req.url.startsWith('/metrics')) {
          let body: { error?: unknown; message?: unknown; details?: unknown } = {};
          try {
            body = res.json();
          } catch {
            failures.push(`${res.statusCode} not JSON: ${where}`);
            continue;
          }
          if (typeof body.error !== 'string' || typeof body.message !== 'string' || !Array.isArray(body.details)) {
            failures.push(`${res.statusCode} not {error, message, details}: ${where}: ${res.body.slice(0, 200)}`);
          }
        }
      }
    }
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${sent} requests went wrong`);
    assert.ok(sent > 1500, `a corpus of ${sent} requests`);
    // Still serving, with the agent it had, and nothing polluted.
    assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    const again = await t.app.inject({ method: 'GET', url: `/api/v1/agents/${agent.id}`, headers: bearer(ADMIN) });
    // (A hostile-looking name is still a name: PATCH may have renamed it, which is its job.)
    assert.equal(again.statusCode, 200, again.body);
    assert.equal((again.json() as { id: string }).id, agent.id);
    assert.equal(({} as { polluted?: boolean }).polluted, undefined, 'no prototype was polluted');
    const ping = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent.id}/metrics`, headers: bearer(agent.key), payload: metricsBody(agent.id) });
    assert.equal(ping.statusCode, 202, ping.body);
  });
});
