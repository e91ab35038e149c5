/**
 * Notification targets may not reach inside the network by default: loopback, link-local (the
 * cloud metadata service), private ranges, in whatever spelling (decimal, hex, IPv6, IPv4-mapped),
 * are refused when a target is made and when one is delivered to (the test button included, so it
 * cannot probe ports); redirects are not followed; notifyAllowedTargets lets a local receiver in.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config.js';
import { ADMIN, bearer, testApp } from './harness.js';

/** A loopback receiver answering `status` (with `location` for redirects); counts requests. */
async function receiver(status = 200, location?: string): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => {
      res.statusCode = status;
      if (location) res.setHeader('location', location);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, hits: () => hits, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const create = (url: string) => ({ method: 'POST' as const, url: '/api/v1/notifications', headers: bearer(ADMIN), payload: { name: 'hook', kind: 'webhook', url } });

describe('notification targets: least privilege', () => {
  it('refuses targets that are not public, in every spelling, naming the field; a public address is taken', async () => {
    const t = await testApp('sqlite');
    try {
      const refused: [string, RegExp][] = [
        ['http://127.0.0.1:6379/', /127\.0\.0\.1, a loopback address/],
        ['http://localhost:8080/hook', /localhost resolves to .*loopback/],
        ['http://169.254.169.254/latest/meta-data/', /link-local/],
        ['http://10.1.2.3/hook', /private address/],
        ['http://192.168.0.10/hook', /private address/],
        ['http://172.20.0.1/hook', /private address/],
        ['http://2130706433/', /127\.0\.0\.1, a loopback address/],
        ['http://0x7f.1/', /127\.0\.0\.1, a loopback address/],
        ['http://[::1]:9000/', /loopback/],
        ['http://[::ffff:169.254.169.254]/', /link-local/],
        ['http://[fd00::1]/', /unique local/],
        ['http://0.0.0.0:22/', /this network/],
      ];
      for (const [url, why] of refused) {
        const res = await t.app.inject(create(url));
        assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
        const body = res.json() as { error: string; details: { path: string; message: string }[] };
        assert.equal(body.error, 'VALIDATION_FAILED');
        assert.equal(body.details[0]?.path, '/body/url');
        assert.match(body.details[0]?.message ?? '', why, url);
        assert.match(body.details[0]?.message ?? '', /notifyAllowedTargets/);
      }
      const listed = await t.app.inject({ method: 'GET', url: '/api/v1/notifications', headers: bearer(ADMIN) });
      assert.deepEqual(listed.json().items, [], 'nothing refused was stored');
      const open = await t.app.inject(create('https://93.184.215.14/hook'));
      assert.equal(open.statusCode, 201, open.body);
    } finally {
      await t.close();
    }
  });

  it('refuses delivery to a config target that is not public: the test button reports it and never connects', async () => {
    const rx = await receiver();
    const t = await testApp('sqlite', { webhookUrls: [`${rx.url}/hook`] });
    try {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/notifications/config-1/test', headers: bearer(ADMIN) });
      assert.equal(res.statusCode, 200, res.body);
      const result = res.json() as { ok: boolean; status: number | null; error: string | null };
      assert.equal(result.ok, false);
      assert.equal(result.status, null);
      assert.match(result.error ?? '', /^refused: 127\.0\.0\.1, a loopback address/);
      assert.equal(rx.hits(), 0, 'no connection was made');
    } finally {
      await t.close();
      await rx.close();
    }
  });

  it('with the allow-list a local receiver is reached; a redirect is reported, not followed', async () => {
    const final = await receiver();
    const redirecting = await receiver(302, `${final.url}/elsewhere`);
    const t = await testApp('sqlite', { notifyAllowedTargets: ['127.0.0.0/8'] });
    try {
      const direct = await t.app.inject(create(`${final.url}/hook`));
      assert.equal(direct.statusCode, 201, direct.body);
      const ok = await t.app.inject({ method: 'POST', url: `/api/v1/notifications/${direct.json().id}/test`, headers: bearer(ADMIN) });
      assert.deepEqual(ok.json(), { ok: true, status: 200, error: null });
      assert.equal(final.hits(), 1);

      const via = await t.app.inject(create(`${redirecting.url}/hook`));
      assert.equal(via.statusCode, 201, via.body);
      const redirected = await t.app.inject({ method: 'POST', url: `/api/v1/notifications/${via.json().id}/test`, headers: bearer(ADMIN) });
      const result = redirected.json() as { ok: boolean; status: number; error: string };
      assert.equal(result.ok, false);
      assert.equal(result.status, 302);
      assert.match(result.error, /redirect, which is not followed/);
      assert.equal(redirecting.hits(), 1);
      assert.equal(final.hits(), 1, 'the redirect was not followed');
    } finally {
      await t.close();
      await final.close();
      await redirecting.close();
    }
  });

  it('the allow-list setting is checked when the server starts', () => {
    assert.deepEqual(loadConfig({ AGENTMON_NOTIFY_ALLOWED_TARGETS: '127.0.0.1, 10.0.0.0/8,alerts.internal,fd00::/8' }).notifyAllowedTargets, ['127.0.0.1', '10.0.0.0/8', 'alerts.internal', 'fd00::/8']);
    assert.throws(() => loadConfig({ AGENTMON_NOTIFY_ALLOWED_TARGETS: '10.0.0.0/33' }), /AGENTMON_NOTIFY_ALLOWED_TARGETS: "10.0.0.0\/33" is not a CIDR range/);
    assert.throws(() => loadConfig({ AGENTMON_NOTIFY_ALLOWED_TARGETS: 'http://x/' }), /AGENTMON_NOTIFY_ALLOWED_TARGETS: .* is not an address, a CIDR range or a host name/);
  });
});
