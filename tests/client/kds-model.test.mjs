import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KdsBoard, columnFor, actionsFor, elapsedMinutes, isUrgent, COLUMNS } from '../../src/RestaurantOs.DevHost/wwwroot/js/kds-model.js';

const T0 = Date.parse('2026-11-26T12:00:00Z');
const order = (id, status, version, extra = {}) => ({
  id, order_number: id.toUpperCase(), type: 'dine-in', status, version, table_number: 'T1',
  items: [{ id: 'i1', name: 'Burger', quantity: 2, modifiers: ['no onions'], special_instructions: 'well done' }],
  created_at: '2026-11-26T12:00:00Z', ...extra,
});

test('columns group statuses; final statuses have no column', () => {
  assert.deepEqual(COLUMNS.map((c) => c.key), ['incoming', 'preparing', 'ready', 'served']);
  assert.equal(columnFor('new'), 'incoming');
  assert.equal(columnFor('pending'), 'incoming');
  assert.equal(columnFor('confirmed'), 'incoming');
  assert.equal(columnFor('preparing'), 'preparing');
  assert.equal(columnFor('ready'), 'ready');
  assert.equal(columnFor('picked-up'), 'served');
  assert.equal(columnFor('completed'), null);
  assert.equal(columnFor('cancelled'), null);
});

test('actions follow the legal transitions', () => {
  const next = (status, type = 'dine-in') => actionsFor({ status, type }).map((a) => a.status);
  assert.deepEqual(next('new'), ['pending']);
  assert.deepEqual(next('pending'), ['confirmed']);
  assert.deepEqual(next('confirmed'), ['preparing']);
  assert.deepEqual(next('preparing'), ['ready']);
  assert.deepEqual(next('ready'), ['served', 'completed']);
  assert.deepEqual(next('ready', 'takeout'), ['picked-up', 'completed']);
  assert.deepEqual(next('served'), ['completed']);
  assert.deepEqual(next('picked-up'), ['completed']);
  assert.deepEqual(next('completed'), []);
});

test('elapsed minutes and urgency after 15 minutes', () => {
  assert.equal(elapsedMinutes('2026-11-26T12:00:00Z', T0 + 14 * 60000 + 59000), 14);
  assert.equal(elapsedMinutes('garbage', T0), 0);
  assert.equal(elapsedMinutes('2026-11-26T12:00:00Z', T0 - 60000), 0, 'clock skew never shows negative minutes');
  const t = order('a', 'preparing', 1);
  assert.equal(isUrgent(t, T0 + 14 * 60000), false);
  assert.equal(isUrgent(t, T0 + 15 * 60000), true);
  assert.equal(isUrgent({ ...t, status: 'served' }, T0 + 60 * 60000), false, 'handed-over tickets are not urgent');
});

test('newest version wins; completed and cancelled leave the board and stay gone', () => {
  const b = new KdsBoard();
  assert.equal(b.applyEvent({ type: 'order:created', data: { order: order('a', 'new', 1) } }), true);
  assert.equal(b.applyEvent({ type: 'order:status', data: { order_id: 'a', status: 'pending', version: 2 } }), true);
  assert.equal(b.applyEvent({ type: 'order:updated', data: { order: order('a', 'new', 1) } }), false, 'older version ignored');
  assert.equal(b.tickets.get('a').status, 'pending');
  b.applyEvent({ type: 'kds:update', data: { orders: [{ id: 'a', order_number: 'A', status: 'preparing', items: [], version: 3, created_at: '2026-11-26T12:00:00Z' }] } });
  assert.equal(b.tickets.get('a').status, 'preparing');
  assert.equal(b.tickets.get('a').type, 'dine-in', 'partial kds rows keep fields they do not carry');
  assert.equal(b.applyEvent({ type: 'order:status', data: { order_id: 'a', status: 'completed', version: 4 } }), true);
  assert.equal(b.tickets.has('a'), false);
  assert.equal(b.applyEvent({ type: 'order:updated', data: { order: order('a', 'ready', 3) } }), false, 'a late older event cannot resurrect it');
  assert.equal(b.tickets.has('a'), false);
  b.applyEvent({ type: 'order:created', data: { order: order('c', 'new', 1) } });
  b.applyEvent({ type: 'order:updated', data: { order: order('c', 'cancelled', 2) } });
  assert.equal(b.tickets.has('c'), false);
});

test('order:status for an unknown order is ignored until the order arrives', () => {
  const b = new KdsBoard();
  assert.equal(b.applyStatus({ order_id: 'x', status: 'ready', version: 5 }), false);
  assert.equal(b.tickets.size, 0);
});

test('columns are sorted oldest first', () => {
  const b = new KdsBoard();
  b.applyOrder(order('late', 'preparing', 1, { created_at: '2026-11-26T12:10:00Z' }));
  b.applyOrder(order('early', 'preparing', 1, { created_at: '2026-11-26T12:01:00Z' }));
  b.applyOrder(order('r', 'ready', 1));
  const cols = b.columns();
  assert.deepEqual(cols.preparing.map((t) => t.id), ['early', 'late']);
  assert.deepEqual(cols.ready.map((t) => t.id), ['r']);
  assert.deepEqual(cols.incoming, []);
});

test('a snapshot removes tickets it lacks, but keeps changes that raced it', () => {
  const b = new KdsBoard();
  b.applyOrder(order('old', 'new', 1));
  b.applyOrder(order('kept', 'new', 1));
  const mark = b.mark();
  b.applyOrder(order('raced', 'new', 1)); // arrived while the snapshot request was in flight
  b.applySnapshot([order('kept', 'preparing', 2), order('fresh', 'ready', 1)], mark);
  assert.deepEqual([...b.tickets.keys()].sort(), ['fresh', 'kept', 'raced']);
  assert.equal(b.tickets.get('kept').status, 'preparing');
});

test('tombstones are bounded', () => {
  const b = new KdsBoard({ tombstoneLimit: 10 });
  for (let i = 0; i < 50; i++) b.applyStatus({ order_id: `o${i}`, status: 'completed', version: 1 });
  assert.equal(b.gone.size, 10);
});
