import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpuPercentBetween,
  parseCgroupCpuMax,
  parseCgroupMemoryLimit,
  parseDiskstats,
  parseMeminfo,
  parseNetDev,
  parseNvidiaSmi,
  parseProcIo,
  parseProcStat,
} from './proc.js';
import { createNodeCollector } from './collector.js';
import { detectDeploymentType } from './platform.js';

describe('/proc parsers', () => {
  it('reads CPU times and the busy share between two readings', () => {
    const a = parseProcStat('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n');
    const b = parseProcStat('cpu  200 0 100 1100 100 0 0 0 0 0\n');
    assert.deepEqual(a, { idle: 850, total: 1000 });
    assert.ok(a && b);
    assert.equal(cpuPercentBetween(a, b), 30);
    assert.equal(cpuPercentBetween(a, a), null);
    assert.equal(parseProcStat('nonsense'), null);
  });

  it('reads process I/O, whole-disk I/O and network bytes', () => {
    assert.deepEqual(parseProcIo('rchar: 10\nwchar: 20\nread_bytes: 4096\nwrite_bytes: 8192\n'), { read: 4096, write: 8192 });
    const diskstats = [
      '   8       0 sda 100 0 10 0 200 0 20 0 0 0 0',
      '   8       1 sda1 100 0 10 0 200 0 20 0 0 0 0',
      '   7       0 loop0 5 0 99 0 0 0 0 0 0 0 0',
      ' 259       0 nvme0n1 1 0 2 0 3 0 4 0 0 0 0',
    ].join('\n');
    assert.deepEqual(parseDiskstats(diskstats), { read: 12 * 512, write: 24 * 512 });
    const netdev = [
      'Inter-|   Receive                            |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets',
      '    lo: 999 1 0 0 0 0 0 0 999 1 0 0 0 0 0 0',
      '  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0',
      '  eth1: 1 1 0 0 0 0 0 0 2 1 0 0 0 0 0 0',
    ].join('\n');
    assert.deepEqual(parseNetDev(netdev), { rx: 1001, tx: 2002 });
  });

  it('reads memory totals and cgroup limits', () => {
    assert.deepEqual(parseMeminfo('MemTotal:  1000 kB\nMemFree: 100 kB\nMemAvailable: 400 kB\n'), { total: 1024000, available: 409600 });
    assert.equal(parseCgroupMemoryLimit('max\n'), null);
    assert.equal(parseCgroupMemoryLimit('536870912\n'), 536870912);
    assert.equal(parseCgroupMemoryLimit('9223372036854771712'), null, 'v1 writes no limit as 2^63');
    assert.equal(parseCgroupCpuMax('200000 100000'), 2);
    assert.equal(parseCgroupCpuMax('max 100000'), null);
  });

  it('reads nvidia-smi answers, averaging utilisation and adding memory', () => {
    assert.deepEqual(parseNvidiaSmi('40, 1024\n60, 2048\n'), { utilizationPercent: 50, memoryUsedBytes: 3072 * 1024 * 1024, gpus: 2 });
    assert.equal(parseNvidiaSmi('No devices were found\n'), null);
  });
});

describe('the Node collector on this machine', () => {
  it('measures this process and the host within the schema bounds, with no GPU when nvidia-smi is absent', async () => {
    const collector = createNodeCollector();
    try {
      const spin = Date.now() + 50;
      while (Date.now() < spin) {
        // some CPU to measure
      }
      const { resources, custom } = await collector.collect();
      assert.ok(typeof resources.cpu_usage_percent === 'number' && resources.cpu_usage_percent >= 0 && resources.cpu_usage_percent <= 100);
      assert.ok((resources.memory_usage_bytes ?? 0) > 1_000_000, 'RSS of a node process is megabytes');
      assert.ok((resources.memory_usage_percent ?? -1) > 0 && (resources.memory_usage_percent ?? 101) <= 100);
      assert.ok((resources.disk_usage_bytes ?? 0) > 0);
      const host = (custom ?? {}).host as { memory_used_bytes: number; cpus: number };
      assert.ok(host.memory_used_bytes > 0);
      assert.ok(host.cpus > 0);
      const second = await collector.collect();
      if (process.platform === 'linux') {
        assert.equal(typeof second.resources.network_io_rx_bytes, 'number', 'per-interval network bytes from /proc/net/dev');
      }
    } finally {
      collector.close?.();
    }
  });

  it('tells the deployment type from the environment', () => {
    assert.equal(detectDeploymentType({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }), 'kubernetes');
    assert.equal(detectDeploymentType({ AWS_LAMBDA_FUNCTION_NAME: 'f' }), 'serverless');
  });
});
