/** Test helpers for the live stream: an SSE client over a real socket. */
import { request, type IncomingMessage } from 'node:http';

/** An SSE client over a real socket: collects parsed messages. */
export function openStream(url: string, headers: Record<string, string> = {}) {
  const messages: { id: number; event: string; data: Record<string, unknown> }[] = [];
  let buffer = '';
  let response: IncomingMessage | null = null;
  const ready = new Promise<number>((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      response = res;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((l) => !l.startsWith(':') && l.includes(':'))
              .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
          );
          if (fields.event && fields.data) messages.push({ id: Number(fields.id), event: fields.event, data: JSON.parse(fields.data) });
        }
      });
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  return {
    ready,
    messages,
    /** Waits until a message matches. */
    async waitFor(pred: (m: (typeof messages)[number]) => boolean, what: string, timeoutMs = 2000) {
      for (let i = 0; i < timeoutMs / 20; i++) {
        const found = messages.find(pred);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no ${what} on the stream; got ${messages.map((m) => m.event).join(', ')}`);
    },
    close() {
      (response as IncomingMessage | null)?.destroy();
    },
  };
}
