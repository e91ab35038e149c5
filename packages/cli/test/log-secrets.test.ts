/**
 * No token reaches a log line: `agentmon serve` at the chattiest level, asked with every kind of
 * secret in the places people put them (the admin token and an agent key as bearer, the admin token
 * in `?token=` where it is refused, the live stream's token in `?token=` where EventSource must put
 * it, a token beside a malformed URL), and its whole output searched for each secret.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages', 'cli', 'src', 'bin.ts');
const ADMIN = 'log-secrets-admin-token-0123456789';
const REGISTRATION = 'log-secrets-registration-token-0123456789';
const dataDir = mkdtempSync(join(tmpdir(), 'agentmon-log-secrets-'));
let child: ChildProcess | null = null;
after(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** A GET that resolves on the response's head (the live stream never ends), then drops the connection. */
function head(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      resolve(res.statusCode ?? 0);
      res.destroy();
      req.destroy();
    });
    req.on('error', reject);
    req.end();
  });
}

test('no token, key or stream token appears in any log line, at trace level', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, AGENTMON_ADMIN_TOKEN: ADMIN, AGENTMON_REGISTRATION_TOKEN: REGISTRATION };
  for (const k of ['AGENTMON_DATABASE_URL', 'AGENTMON_INFLUX_URL', 'HOST', 'PORT', 'AGENTMON_DATA_DIR']) delete env[k];
  child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', bin, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'trace'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearInterval(timer);
        resolve(m[1] as string);
      }
    }, 50);
    child?.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });

  const call = (method: string, path: string, token: string | null, body?: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const reg = await call('POST', '/api/v1/agents', REGISTRATION, { name: 'log-secrets', type: 'chatbot', version: '1', deployment_type: 'local', environment: 'test', host: 'h' });
  assert.equal(reg.status, 201);
  const { agent_id: agentId, api_key: key } = (await reg.json()) as { agent_id: string; api_key: string };
  assert.equal((await call('POST', `/api/v1/agents/${agentId}/heartbeat`, key)).status, 204);
  assert.equal((await call('GET', `/api/v1/agents?token=${ADMIN}`, null)).status, 401, 'a token in the query is no bearer token');
  assert.equal((await call('GET', `/api/v1/agents/%ff?token=${ADMIN}&api_key=${key}`, ADMIN)).status, 400);
  const stream = (await (await call('POST', '/api/v1/events/stream-token', ADMIN)).json()) as { token: string };
  assert.equal(await head(`${url}/api/v1/events/stream?token=${encodeURIComponent(stream.token)}`), 200);
  assert.equal(await head(`${url}/api/v1/events/stream?token=${encodeURIComponent(ADMIN)}`), 401, 'the stream takes stream tokens in its query, not the admin token');

  // Give the last lines time to be written, then stop the server and read everything it said.
  await new Promise((r) => setTimeout(r, 300));
  const exited = new Promise((r) => child?.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  assert.match(out, /\[redacted\]/, 'the requests were logged, with their secrets cut out');
  assert.match(out, /"url":"\/api\/v1\/events\/stream\?token=\[redacted\]"/);
  for (const [what, secret] of [
    ['admin token', ADMIN],
    ['registration token', REGISTRATION],
    ['agent key', key],
    ['stream token', stream.token],
  ] as const) {
    assert.equal(out.includes(secret), false, `the ${what} appears in the log`);
  }
});
