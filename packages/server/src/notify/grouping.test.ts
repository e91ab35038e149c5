import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AlertRecord } from '../storage/ports.js';
import { GroupBuffer, MAX_GROUP_ALERTS } from './grouping.js';

const alert = (id: string) => ({ id }) as AlertRecord;

test('a burst gathers into one group, an alert once with its merged kind; close hands it over and opens none', () => {
  const buffer = new GroupBuffer();
  assert.equal(buffer.isOpen, false);
  assert.deepEqual(buffer.add([{ kind: 'fired', alert: alert('a') }, { kind: 'fired', alert: alert('b') }]), []);
  assert.deepEqual(buffer.add([{ kind: 'escalated', alert: alert('a') }, { kind: 'resolved', alert: alert('b') }]), []);
  assert.equal(buffer.isOpen, true);
  assert.deepEqual([...buffer.openIds()], ['a', 'b']);
  const group = buffer.close();
  assert.ok(group);
  // Receivers never saw `a` fire: it stays fired; a resolution always shows.
  assert.deepEqual([...group.items.values()].map((i) => [i.alert.id, i.kind]), [['a', 'fired'], ['b', 'resolved']]);
  assert.equal(buffer.isOpen, false);
  assert.equal(buffer.close(), null);
});

test('a burst larger than a message goes out in full groups as it comes; the rest stays open with a key of its own', () => {
  const buffer = new GroupBuffer();
  const items = Array.from({ length: MAX_GROUP_ALERTS * 2 + 3 }, (_, i) => ({ kind: 'fired' as const, alert: alert(`a${i}`) }));
  const full = buffer.add(items);
  assert.deepEqual(full.map((g) => g.items.size), [MAX_GROUP_ALERTS, MAX_GROUP_ALERTS]);
  const rest = buffer.close();
  assert.equal(rest?.items.size, 3);
  assert.equal(new Set([...full.map((g) => g.key), rest?.key]).size, 3);
});
