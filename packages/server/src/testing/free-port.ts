/** A free TCP port for a test process or a bench peer to bind. */
import { createServer } from 'node:net';

/** A port nothing listens on at 127.0.0.1 (taken and released at once, so the caller can bind it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
