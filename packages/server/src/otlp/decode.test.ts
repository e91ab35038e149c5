import { it } from 'node:test';
import assert from 'node:assert/strict';
import { OtlpDecodeError, readMetricsRequest, readTraceRequest } from './decode.js';
import { identityOf } from './identity.js';

it('reads OTLP/JSON and proto-named keys alike: enums by name or number, int64 as strings, nested values', () => {
  const [r] = readMetricsRequest({
    resource_metrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bot' } }, { key: 'tags', value: { arrayValue: { values: [{ intValue: '3' }, { boolValue: true }] } } }] },
        scopeMetrics: [
          {
            metrics: [
              { name: 'c', sum: { aggregation_temporality: 'AGGREGATION_TEMPORALITY_DELTA', isMonotonic: true, dataPoints: [{ timeUnixNano: '1700000000123456789', startTimeUnixNano: 1_699_999_999_000_000_000, asInt: '7' }] } },
              { name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: '1700000000000000000', count: '4', sum: 2.5 }] } },
              { name: 'stale', gauge: { dataPoints: [{ timeUnixNano: '1700000000000000000', flags: 1 }] } },
            ],
          },
        ],
      },
    ],
  });
  assert.deepEqual(r?.resource, { 'service.name': 'bot', tags: [3, true] });
  assert.deepEqual(r?.metrics.map((m) => [m.name, m.kind, m.temporality, m.points.length]), [
    ['c', 'sum', 'delta', 1],
    ['h', 'histogram', 'cumulative', 1],
    ['stale', 'gauge', 'unspecified', 0],
  ]);
  assert.deepEqual(r?.metrics[0]?.points[0], { attributes: {}, startMs: 1_699_999_999_000, timeMs: 1_700_000_000_123, value: 7, count: null, sum: null });
  assert.equal(r?.metrics[1]?.points[0]?.count, 4);
});

it('span ids from bytes or hex, status by name', () => {
  const [r] = readTraceRequest({
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: [
              { traceId: new Uint8Array([1, 2, 255]), spanId: 'ABCD', name: 's', startTimeUnixNano: '1000000', endTimeUnixNano: '3000000', status: { code: 'STATUS_CODE_ERROR', message: 'x' } },
            ],
          },
        ],
      },
    ],
  });
  assert.deepEqual(r?.spans[0], { traceId: '0102ff', spanId: 'abcd', parentSpanId: '', name: 's', kind: 0, startMs: 1, endMs: 3, attributes: {}, status: { code: 'error', message: 'x' } });
});

it('names the place of a fault', () => {
  const fault = (body: unknown, read: (b: unknown) => unknown = readMetricsRequest) => {
    try {
      read(body);
    } catch (err) {
      assert.ok(err instanceof OtlpDecodeError);
      return `${err.path}: ${err.problem}`;
    }
    return 'no error';
  };
  assert.equal(fault([]), ': the body must be an ExportMetricsServiceRequest object');
  assert.equal(fault({ resourceMetrics: {} }), '/resourceMetrics: must be an array');
  assert.equal(
    fault({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: '1700000000000000000', asInt: 'seven' }] } }] }] }] }),
    '/resourceMetrics/0/scopeMetrics/0/metrics/0/gauge/dataPoints/0/asInt: must be an integer (a number or a decimal string)',
  );
  assert.equal(fault({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 's', startTimeUnixNano: '1700000000000000000' }] }] }] }, readTraceRequest), '/resourceSpans/0/scopeSpans/0/spans/0/endTimeUnixNano: is required');
  assert.equal(fault({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'xyz', startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000100000000' }] }] }] }, readTraceRequest), '/resourceSpans/0/scopeSpans/0/spans/0/traceId: must be a hex-encoded id');
});

it('identity: name, environment (new or old key), host, version, type and deployment from the resource', () => {
  assert.equal(identityOf({}), null);
  assert.deepEqual(identityOf({ 'service.name': 'bot', 'deployment.environment': 'prod', 'k8s.pod.name': 'bot-7f', 'k8s.namespace.name': 'ai', 'agentmon.agent.type': 'chatbot' }), {
    name: 'bot',
    environment: 'prod',
    host: 'bot-7f',
    version: 'unknown',
    deployment_type: 'kubernetes',
    type: 'chatbot',
    instanceId: null,
  });
  const id = identityOf({ 'service.name': 'bot', 'deployment.environment.name': 'staging', 'deployment.environment': 'old', 'host.name': 'h1', 'service.version': '1.2', 'service.instance.id': 'i-1', 'agentmon.agent.type': 'robot' });
  assert.deepEqual([id?.environment, id?.host, id?.version, id?.type, id?.deployment_type, id?.instanceId], ['staging', 'h1', '1.2', null, 'local', 'i-1']);
});
