#!/usr/bin/env -S node --max-semi-space-size=64
// The `agentmon` command as npm links it: runs the built CLI, or says how to build it.
//
// V8 runs with 64 MiB semi-spaces (the default is 16): a batch of a thousand payloads stays alive
// for the ~100 ms of its request, so with small semi-spaces it survives two scavenges, is promoted,
// and full collections of that garbage took a fifth of the ingest's main thread. With 64 MiB it
// dies young (`npm run bench -- compare`: about +30 % batch ingest for -30 % server CPU). The young
// generation grows to that size only under such a load, and the server's idle collection shrinks
// it again. `npm start` passes the same flag.
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
