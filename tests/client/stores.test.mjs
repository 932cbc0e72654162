import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flush } from './fakes.mjs';
import { setup, connectOpen } from './harness.mjs';
import { createEventStore, createOrderStore, createStateStore } from '../../clients/js/stores.js';

const order = (id, version, status = 'pending') => ({ id, version, status, order_number: id.toUpperCase(), items: [] });
let seq = 0;
const send = (ws, type, data) => ws.serverSend({ type, id: `${type}:${++seq}`, restaurant_id: 'r1', seq, data, timestamp: 'now' });

test('event store: only the asked types, oldest first, bounded, a new snapshot per change only', async () => {
  const h = setup();
  const store = createEventStore(h.client, ['order:created', 'payment:processed'], { limit: 2 });
  let changes = 0;
  const unsubscribe = store.subscribe(() => changes++);
  const ws = await connectOpen(h);

  send(ws, 'order:created', { order: order('o1', 1) });
  send(ws, 'table:updated', { table: { id: 't1', version: 1 } });
  send(ws, 'payment:processed', { payment: { id: 'p1' } });
  send(ws, 'order:created', { order: order('o2', 1) });
  await flush();

  assert.equal(changes, 3, 'table:updated is not a change of this store');
  assert.deepEqual(store.getSnapshot().map((e) => e.type + ':' + e.seq), [`payment:processed:${seq - 1}`, `order:created:${seq}`]);
  const before = store.getSnapshot();
  send(ws, 'table:updated', { table: { id: 't2', version: 1 } });
  await flush();
  assert.equal(store.getSnapshot(), before, 'same snapshot object when nothing it holds changed');

  unsubscribe();
  send(ws, 'order:created', { order: order('o3', 1) });
  await flush();
  assert.equal(changes, 3, 'no listener after unsubscribe');
});

test('order store: created, status, updated, older versions ignored, closed orders leave', async () => {
  const h = setup();
  const store = createOrderStore(h.client);
  store.subscribe(() => {});
  const ws = await connectOpen(h);

  send(ws, 'order:created', { order: order('o1', 1) });
  send(ws, 'order:created', { order: order('o2', 1) });
  send(ws, 'order:status', { order_id: 'o1', status: 'confirmed', previous_status: 'pending', version: 2 });
  await flush();
  assert.deepEqual([...store.getSnapshot().keys()], ['o1', 'o2']);
  assert.equal(store.getSnapshot().get('o1').status, 'confirmed');
  assert.equal(store.getSnapshot().get('o1').version, 2);

  // An order:updated older than what the store has is ignored.
  send(ws, 'order:updated', { order: { ...order('o1', 1), customer_name: 'stale' } });
  send(ws, 'order:updated', { order: { ...order('o2', 2), customer_name: 'Ada' } });
  send(ws, 'order:status', { order_id: 'o2', status: 'completed', previous_status: 'ready', version: 3 });
  await flush();
  assert.equal(store.getSnapshot().get('o1').customer_name, undefined);
  assert.deepEqual([...store.getSnapshot().keys()], ['o1']);
});

test('state store follows the client state', async () => {
  const h = setup();
  const store = createStateStore(h.client);
  const seen = [];
  store.subscribe(() => seen.push(store.getSnapshot()));
  assert.equal(store.getSnapshot(), 'idle');
  await connectOpen(h);
  h.client.close();
  assert.deepEqual(seen, ['connecting', 'open', 'closed']);
});
