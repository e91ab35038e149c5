#!/usr/bin/env -S node --max-semi-space-size=32 --heap-growing-percent=100
// The `agentmon` command as npm links it: runs the built CLI, or says how to build it.
//
// V8 runs with 32 MiB semi-spaces (the default is 16): a batch of a thousand payloads stays alive
// for the ~100 ms of its request, so with small semi-spaces much of it survives two scavenges, is
// promoted, and is left to full collections. Measured with `npm run bench -- compare` on one build:
// 16 MiB 18.7 k payloads/s for 52 CPU s, 32 MiB 20.2 k for 46 CPU s, resident memory alike; 64 MiB
// ingested a little faster again but held 250 MiB more after the load. The young generation grows
// to that size only under such a load, and the server's idle collection shrinks it again.
// `npm start` passes the same flag.
try {
  await import('../dist/bin.js');
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/bin.js')) {
    console.error('agentmon: the CLI is not built yet; run `npm run build` in the agentmon checkout');
    process.exitCode = 2;
  } else {
    throw err;
  }
}
