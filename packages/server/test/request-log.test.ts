/**
 * The request log over HTTP: at info a healthy request writes no line and a refused or failed one
 * writes one, naming the method, the URL (secrets cut out) and the status; at debug every request
 * writes its two lines.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { buildApp } from '../src/app.js';
import { DEFAULT_CONFIG } from '../src/config.js';
import { ADMIN, REGISTRATION, agentBody, freshStores, until } from './harness.js';

interface LogLine {
  level: number;
  msg: string;
  req?: { method: string; url: string };
  res?: { statusCode: number };
  responseTime?: number;
}

/** A server at `level` whose log lines land in the returned list; `run` gets its base URL. */
async function withServer(level: 'info' | 'debug', run: (url: string, lines: LogLine[]) => Promise<void>): Promise<void> {
  const { stores, dataDir, cleanup } = await freshStores('sqlite');
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text.trim() !== '') lines.push(JSON.parse(text) as LogLine);
      done();
    },
  });
  const app = await buildApp(
    { ...DEFAULT_CONFIG, dataDir, registrationToken: REGISTRATION, logLevel: level },
    { metadata: stores.metadata, series: stores.series, adminToken: ADMIN, logger: { level, stream } },
  );
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await run(`http://127.0.0.1:${port}`, lines);
  } finally {
    await app.close();
    await cleanup();
  }
}

const completed = (lines: LogLine[]) => lines.filter((l) => l.msg === 'request completed');

describe('the request log', () => {
  it('at info, is silent for healthy requests and names each refused one with its status', async () => {
    await withServer('info', async (url, lines) => {
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const listed = await fetch(`${url}/api/v1/agents`, { headers: { authorization: `Bearer ${ADMIN}` } });
      assert.equal(listed.status, 200);
      await listed.text();
      assert.deepEqual(completed(lines), [], 'no line for a 200');
      assert.equal(lines.filter((l) => l.msg === 'incoming request').length, 0);

      const refused = await fetch(`${url}/api/v1/agents?token=secret-in-the-url`, {
        method: 'POST',
        headers: { authorization: `Bearer ${REGISTRATION}`, 'content-type': 'application/json' },
        body: JSON.stringify(agentBody({ type: 'not-a-type' })),
      });
      assert.equal(refused.status, 400);
      const unauthorised = await fetch(`${url}/api/v1/agents`);
      assert.equal(unauthorised.status, 401);
      // A response's line is written once it has finished, which may be after the client has it.
      await until('the two refusals logged', () => completed(lines).length >= 2, 5000);
      const logged = completed(lines);
      assert.deepEqual(
        logged.map((l) => [l.level, l.req?.method, l.req?.url, l.res?.statusCode]),
        [
          [30, 'POST', '/api/v1/agents?token=[redacted]', 400],
          [30, 'GET', '/api/v1/agents', 401],
        ],
      );
      for (const l of logged) assert.equal(typeof l.responseTime, 'number');
    });
  });

  it('at debug, writes the incoming and completed lines of every request', async () => {
    await withServer('debug', async (url, lines) => {
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      await until('the response logged', () => completed(lines).length >= 1, 5000);
      const incoming = lines.filter((l) => l.msg === 'incoming request');
      assert.deepEqual(incoming.map((l) => [l.level, l.req?.method, l.req?.url]), [[20, 'GET', '/healthz']]);
      assert.deepEqual(completed(lines).map((l) => [l.level, l.res?.statusCode]), [[20, 200]]);
    });
  });
});
