import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FloorPlan, statusClass } from '../../src/RestaurantOs.DevHost/wwwroot/js/floor-model.js';

const table = (id, extra = {}) => ({ id, label: id, seats: 4, status: 'available', current_order_id: null, x: 0, y: 0, width: 100, height: 100, rotation: 0, version: 1, ...extra });

test('status classes, with a neutral class for unknown statuses', () => {
  assert.equal(statusClass('occupied'), 'table-occupied');
  assert.equal(statusClass('cleaning'), 'table-cleaning');
  assert.equal(statusClass('on-fire'), 'table-unknown');
});

test('table:updated applies newer versions only', () => {
  const p = new FloorPlan();
  p.applyTable(table('T1'));
  assert.equal(p.applyEvent({ type: 'table:updated', data: { table: table('T1', { status: 'occupied', version: 3 }) } }), true);
  assert.equal(p.applyEvent({ type: 'table:updated', data: { table: table('T1', { status: 'available', version: 2 }) } }), false);
  assert.equal(p.tables.get('T1').status, 'occupied');
});

test('current order label follows order events', () => {
  const p = new FloorPlan();
  p.applyTable(table('T1', { current_order_id: 'o1', status: 'occupied' }));
  assert.equal(p.orderLabel(p.tables.get('T1')), 'order');
  p.applyEvent({ type: 'order:created', data: { order: { id: 'o1', order_number: 42, status: 'new', version: 1 } } });
  p.applyEvent({ type: 'order:status', data: { order_id: 'o1', status: 'preparing', version: 2 } });
  p.applyEvent({ type: 'order:status', data: { order_id: 'o1', status: 'pending', version: 1 } });
  assert.equal(p.orderLabel(p.tables.get('T1')), '#42 · preparing');
  assert.equal(p.orderLabel(table('T2')), '');
});

test('layout scales positions to the viewport and keeps rotation', () => {
  const p = new FloorPlan();
  p.applyTable(table('T1', { x: 0, y: 0, width: 100, height: 50 }));
  p.applyTable(table('T2', { x: 300, y: 150, width: 100, height: 50, rotation: 45 }));
  const placed = p.layout(416, 416, 8); // content 400×200 into 400×400 → scale 1
  const t2 = placed.find((r) => r.table.id === 'T2');
  assert.deepEqual([t2.left, t2.top, t2.width, t2.height, t2.rotation], [308, 158, 100, 50, 45]);
  const half = p.layout(216, 216, 8); // 400 wide into 200 → scale 0.5
  const t2h = half.find((r) => r.table.id === 'T2');
  assert.deepEqual([t2h.left, t2h.top, t2h.width], [158, 83, 50]);
  assert.deepEqual(new FloorPlan().layout(100, 100), []);
});
