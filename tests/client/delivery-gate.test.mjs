import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryGate } from '../../clients/js/delivery-gate.js';

const ev = (seq, id = `e${seq}`, type = 'order:created', data = {}) => ({ type, id, seq, data, timestamp: 'now' });
const delivered = (outcomes) => outcomes.filter((o) => o.deliver).map((o) => o.deliver.seq ?? o.deliver.type);
const dropped = (outcomes) => outcomes.filter((o) => o.drop).map((o) => `${o.drop.seq}:${o.reason}`);

test('applies in seq order once: stale seqs and repeated ids are dropped, gaps are fine', () => {
  const gate = new DeliveryGate();
  const out = [ev(1), ev(3), ev(3), ev(2), { ...ev(9), id: 'e3' }].flatMap((e) => gate.offer(e));
  assert.deepEqual(delivered(out), [1, 3]);
  assert.deepEqual(dropped(out), ['3:stale-seq', '2:stale-seq', '9:duplicate-id']);
  assert.equal(gate.lastSeq, 3);
});

test('holds live events during a replay and merges them with it in seq order', () => {
  const gate = new DeliveryGate({ initialSeq: 10 });
  gate.beginReplay();
  assert.deepEqual(gate.offer(ev(14)), []);
  assert.deepEqual(gate.offer(ev(12)), []);
  const out = gate.replayed([ev(11), ev(12), ev(13)]);
  assert.deepEqual(delivered(out), [11, 12, 13, 14]);
  assert.deepEqual(dropped(out), ['12:stale-seq']);
  assert.equal(gate.replayPending, false);
});

test('events that beat a reconnect handshake are held when asked, and a resync adopts latest_seq', () => {
  const gate = new DeliveryGate({ initialSeq: 5 });
  assert.deepEqual(gate.offer(ev(8), true), []);
  gate.beginReplay();
  const out = gate.resynced(7);
  assert.deepEqual(delivered(out), [8]);
  assert.equal(gate.lastSeq, 8);
});

test('a timed-out replay delivers what it held; reset forgets it', () => {
  const gate = new DeliveryGate({ initialSeq: 1 });
  gate.beginReplay();
  gate.offer(ev(3));
  assert.deepEqual(delivered(gate.timedOut()), [3]);
  gate.beginReplay();
  gate.offer(ev(4));
  gate.reset();
  assert.equal(gate.replayPending, false);
  assert.deepEqual(delivered(gate.replayed([])), []);
});

test('older order versions are dropped; a kds:update keeps only its fresh orders', () => {
  const gate = new DeliveryGate();
  const order = (seq, version) => ev(seq, `o${seq}`, 'order:updated', { order: { id: 'o1', version } });
  gate.offer(order(1, 3));
  assert.deepEqual(dropped(gate.offer(order(2, 2))), ['2:stale-version']);
  const [kds] = gate.offer({ type: 'kds:update', data: { orders: [{ id: 'o1', version: 2 }, { id: 'o2', version: 1 }] }, timestamp: 'now' });
  assert.deepEqual(kds.deliver.data.orders.map((o) => o.id), ['o2']);
});
