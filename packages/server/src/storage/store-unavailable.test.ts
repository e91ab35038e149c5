/** Which errors mean "a store's server cannot be reached now" (answered 503), and which do not. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isStoreUnavailable } from './ports.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

it('tells an unreachable or restarting store from a bad request', () => {
  assert.ok(isStoreUnavailable(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')));
  assert.ok(isStoreUnavailable(withCode('terminating connection due to administrator command', '57P01')));
  assert.ok(isStoreUnavailable(withCode('the database system is starting up', '57P03')));
  assert.ok(isStoreUnavailable(withCode('connection failure', '08006')));
  assert.ok(isStoreUnavailable(new Error('Connection terminated unexpectedly')));
  assert.ok(isStoreUnavailable(new TypeError('fetch failed', { cause: withCode('connect ECONNREFUSED', 'ECONNREFUSED') })), 'InfluxDB over fetch');
  assert.ok(!isStoreUnavailable(withCode('duplicate key value violates unique constraint', '23505')));
  assert.ok(!isStoreUnavailable(withCode('syntax error', '42601')));
  assert.ok(!isStoreUnavailable(new RangeError('unknown series metric: bogus')));
  assert.ok(!isStoreUnavailable('ECONNREFUSED'));
});
