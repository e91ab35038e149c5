/**
 * The load generator's HTTP client: node:http with one keep-alive agent, bodies sent as ready
 * Buffers. Lighter per request than fetch (undici's WHATWG streams), so more of the shared CPU is
 * left to the server under test.
 */
import http from 'node:http';

/** One finished request. */
export interface HttpResult {
  status: number;
  body: string;
  /** From just before the request is written to the end of the response, milliseconds. */
  ms: number;
}

/** A keep-alive client for one server. */
export class BenchClient {
  private readonly agent: http.Agent;

  /** `token` null: no authorization header (a peer database without auth); `contentType` of the bodies sent. */
  constructor(
    private readonly port: number,
    private readonly token: string | null,
    maxSockets: number,
    private readonly contentType = 'application/json',
  ) {
    // One socket per in-flight request: no request ever waits for a socket, none is reopened.
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** Sends one request; resolves with the status and body (it never rejects on an HTTP status). */
  request(method: 'GET' | 'POST', path: string, body?: Buffer | string): Promise<HttpResult> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
    const headers: http.OutgoingHttpHeaders = this.token === null ? {} : { authorization: `Bearer ${this.token}` };
    if (payload) {
      headers['content-type'] = this.contentType;
      headers['content-length'] = payload.length;
    }
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const req = http.request({ host: '127.0.0.1', port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Closes the pooled sockets. */
  close(): void {
    this.agent.destroy();
  }
}

/** What a closed-loop run measured. */
export interface LoadResult {
  /** Latency of each successful request, milliseconds. */
  latencies: number[];
  /** Requests that answered with an unexpected status or failed on the socket. */
  failures: number;
  /** The first few failures, for the report. */
  firstFailures: string[];
  wallMs: number;
}

/**
 * Runs `count` requests with exactly `concurrency` in flight (closed loop: each slot sends its next
 * request as soon as its previous one answers). `send(i)` makes and sends request i.
 */
export async function closedLoop(count: number, concurrency: number, expect: number, send: (i: number) => Promise<HttpResult>): Promise<LoadResult> {
  const latencies: number[] = [];
  const firstFailures: string[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  const slot = async () => {
    while (next < count) {
      const i = next++;
      try {
        const r = await send(i);
        if (r.status === expect) latencies.push(r.ms);
        else {
          failures++;
          if (firstFailures.length < 3) firstFailures.push(`#${i}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
        }
      } catch (err) {
        failures++;
        if (firstFailures.length < 3) firstFailures.push(`#${i}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, slot));
  return { latencies, failures, firstFailures, wallMs: performance.now() - started };
}
