#!/usr/bin/env -S MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=32 --heap-growing-percent=100
// The `agentmon` command as npm links it: runs the built CLI, or says how to build it.
//
// V8 runs with 32 MiB semi-spaces (the default is 16): a batch of a thousand payloads stays alive
// for the ~100 ms of its request, so with small semi-spaces much of it survives two scavenges, is
// promoted, and is left to full collections. Measured with `npm run bench -- compare` on one build:
// 16 MiB 18.7 k payloads/s for 52 CPU s, 32 MiB 20.2 k for 46 CPU s, resident memory alike; 64 MiB
// ingested a little faster again but held 250 MiB more after the load. The young generation grows
// to that size only under such a load, and the server's idle collection shrinks it again.
// `npm start` passes the same flag.
//
// glibc's allocator gets two settings through the environment (it reads them before node starts,
// so they cannot be set from inside): one arena (by default each thread that allocates, the series
// sealer, the checkpointer and libuv's pool, may get its own, each keeping what it once held: at
// two, the sealer's arena kept 64 MiB resident after the load), and a fixed 128 KiB threshold
// above which a block is mapped on its own and unmapped when freed (by default the threshold climbs
// with each large block freed, after which large blocks come from an arena and stay resident, and
// glibc gives the free pages in the middle of an arena back only when malloc_trim is called, which
// Node never does). Measured in `npm run bench -- compare` pairs: resident memory after the load
// 329-339 MiB with two arenas against 409-410 with neither setting; then, in three interleaved
// pairs, one arena against two: 271-275 MiB against 284-302 after the load and queries, 189-196
// against 216-223 idle, ingest 19.3-22.1k payloads/s against 17.3-19.7k; then a 128 KiB threshold
// against 1 MiB in two pairs: 218-228 MiB against 230-234 after the load and queries, 144-146
// against 156-158 idle, the server's CPU for the load alike (77-78 s against 74-80); 64 KiB was
// no better. Other C libraries ignore them.
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
