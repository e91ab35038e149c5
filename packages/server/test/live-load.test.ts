/**
 * The live stream under slow and many clients, over real sockets: a client that never reads is
 * disconnected once it is `streamClientMaxBehindBytes` behind while the others keep receiving, and
 * resumes with Last-Event-ID without a gap; each message is serialised once whatever the number of
 * clients; a token holds at most `streamMaxClientsPerToken` streams.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { ADMIN, bearer, metricsBody, register, testApp, type TestApp } from './harness.js';
import { openStream } from './sse.js';

const MAX_BEHIND = 64 * 1024;
const MAX_STREAMS = 4;

/** A stream client over a raw socket that reads nothing until told to. */
function silentClient(port: number): Socket {
  const socket = connect(port, '127.0.0.1');
  // HTTP/1.0, so the body comes unchunked and the frames can be read off the socket as they are.
  socket.write(`GET /api/v1/events/stream HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN}\r\nAccept: text/event-stream\r\n\r\n`);
  // No 'data' listener: Node stops reading once its own small buffer is full, then the kernel's fills.
  socket.on('error', () => undefined);
  return socket;
}

/** Everything the socket received, read after the fact up to its end. */
async function drain(socket: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return Buffer.concat(chunks).toString('utf8');
}

describe('live stream under slow and many clients', () => {
  let t: TestApp;
  let base: string;
  let port: number;
  before(async () => {
    t = await testApp('sqlite', { streamClientMaxBehindBytes: MAX_BEHIND, streamMaxClientsPerToken: MAX_STREAMS });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await t.close();
  });

  const streamClients = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/dashboard', headers: bearer(ADMIN) });
    return (res.json() as { system_metrics: { stream_clients: number } }).system_metrics.stream_clients;
  };
  const until = async (what: string, ok: () => Promise<boolean> | boolean, deadlineMs = 10_000) => {
    const end = Date.now() + deadlineMs;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('disconnects a client that never reads once it is too far behind; the others keep receiving; it resumes without a gap', { timeout: 120_000 }, async () => {
    const reader = openStream(`${base}/api/v1/events/stream`, bearer(ADMIN));
    assert.equal(await reader.ready, 200);
    const silent = silentClient(port);
    await until('both streams open', async () => (await streamClients()) === 2);

    const agents: string[] = [];
    for (let i = 0; i < 20; i++) agents.push((await register(t, { name: `load-${i}` })).id);
    // Publish metrics ticks (20 a batch, a burst well under the limit) until the server gives up on the silent client: the
    // kernel's buffers take the first few MB, then it falls behind. (The client itself learns of
    // it only once it reads what is buffered, so the server's count of streams says when.)
    let rounds = 0;
    for (; (await streamClients()) === 2; rounds++) {
      assert.ok(rounds < 5000, 'the silent client was never disconnected');
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/metrics', headers: bearer(ADMIN), payload: agents.map((id) => metricsBody(id)) });
      assert.equal(res.statusCode, 202, res.body);
    }
    assert.equal(await streamClients(), 1, `after ${rounds} rounds the silent client was disconnected, the reader kept`);

    // The reading client still receives what comes next.
    const { id: later } = await register(t, { name: 'after-the-drop' });
    await reader.waitFor((m) => m.event === 'system_event' && m.data.agent_id === later, 'event after the drop', 30_000);

    // What the silent client got ends at some message; resuming from it replays the rest, no gap.
    const received = await drain(silent);
    const ids = [...received.matchAll(/^id: (\d+)\nevent: [a-z_]+\ndata: .*\n\n/gm)].map((m) => Number(m[1]));
    assert.ok(ids.length > 0, 'the silent client had received messages before it fell behind');
    const lastSeen = ids.at(-1) as number;
    const resumed = openStream(`${base}/api/v1/events/stream`, { ...bearer(ADMIN), 'last-event-id': String(lastSeen) });
    assert.equal(await resumed.ready, 200);
    await resumed.waitFor((m) => m.event === 'system_event' && m.data.agent_id === later, 'replay up to the event after the drop', 30_000);
    assert.equal(resumed.messages[0]?.id, lastSeen + 1, 'the replay starts right after the last message the client had');
    const replayed = resumed.messages.map((m) => m.id);
    assert.deepEqual(replayed, replayed.map((_, i) => lastSeen + 1 + i), 'consecutive: nothing missing');
    assert.equal(resumed.messages.some((m) => m.event === 'resync'), false, 'nothing was lost, so no resync');
    resumed.close();
    reader.close();
    await until('streams closed', async () => (await streamClients()) === 0);
  });

  it('a resume from an id whose messages are gone starts with a resync', async () => {
    const resumed = openStream(`${base}/api/v1/events/stream`, { ...bearer(ADMIN), 'last-event-id': '99999999' });
    assert.equal(await resumed.ready, 200);
    const resync = await resumed.waitFor((m) => m.event === 'resync', 'resync');
    assert.equal(resync.data.reason, 'history_gone');
    resumed.close();
    await until('stream closed', async () => (await streamClients()) === 0);
  });

  it('serialises each message once, however many clients listen', async () => {
    // Counts the JSON.stringify calls whose text carries a marker: one client, then four.
    const original = JSON.stringify;
    let marker = '';
    let calls = 0;
    JSON.stringify = ((...args: Parameters<typeof JSON.stringify>) => {
      const text = original(...args);
      if (marker && typeof text === 'string' && text.includes(marker)) calls++;
      return text;
    }) as typeof JSON.stringify;
    const countFor = async (clients: number, name: string) => {
      const streams = Array.from({ length: clients }, () => openStream(`${base}/api/v1/events/stream`, bearer(ADMIN)));
      for (const s of streams) assert.equal(await s.ready, 200);
      await until(`${clients} streams open`, async () => (await streamClients()) === clients);
      marker = name;
      calls = 0;
      const { id } = await register(t, { name });
      for (const s of streams) await s.waitFor((m) => m.event === 'system_event' && m.data.agent_id === id, `registration of ${name}`);
      const counted = calls;
      marker = '';
      for (const s of streams) s.close();
      await until('streams closed', async () => (await streamClients()) === 0);
      return counted;
    };
    try {
      const one = await countFor(1, 'marker-one-client');
      const four = await countFor(4, 'marker-four-client');
      assert.ok(one > 0, 'the spy sees the registration serialised');
      assert.equal(four, one, 'three more clients cost no more serialisation');
    } finally {
      JSON.stringify = original;
    }
  });

  it(`allows ${MAX_STREAMS} streams per token and answers 429 with Retry-After past it`, async () => {
    const streams = Array.from({ length: MAX_STREAMS }, () => openStream(`${base}/api/v1/events/stream`, bearer(ADMIN)));
    for (const s of streams) assert.equal(await s.ready, 200);
    const refused = await fetch(`${base}/api/v1/events/stream`, { headers: bearer(ADMIN) });
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    const body = (await refused.json()) as { error: string; message: string; details: { path: string }[] };
    assert.equal(body.error, 'TOO_MANY_STREAMS');
    assert.match(body.message, /streamMaxClientsPerToken/);
    assert.equal(body.details[0]?.path, '/headers/authorization');
    // Stream tokens are minted with the admin token: they count against it too.
    const { token } = (await t.app.inject({ method: 'POST', url: '/api/v1/events/stream-token', headers: bearer(ADMIN) })).json() as { token: string };
    assert.equal((await fetch(`${base}/api/v1/events/stream?token=${encodeURIComponent(token)}`)).status, 429);
    // A closed stream frees its place.
    streams[0]?.close();
    await until('a place to free', async () => (await streamClients()) === MAX_STREAMS - 1);
    const again = openStream(`${base}/api/v1/events/stream?token=${encodeURIComponent(token)}`);
    assert.equal(await again.ready, 200);
    again.close();
    for (const s of streams) s.close();
  });
});
