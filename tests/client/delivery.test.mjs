import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flush, ev, orderEvent } from './fakes.mjs';
import { setup, connectOpen, acceptLatest, dropAndReconnect } from './harness.mjs';

const seqs = (events) => events.map((e) => e.seq);

test('gaps in seq are normal; events at or below lastSeq are dropped', async () => {
  const h = setup();
  const ws = await connectOpen(h);
  ws.serverSend(ev('notification:kitchen', 5));
  ws.serverSend(ev('notification:kitchen', 100)); // a jump: not loss, just a filtered subset
  ws.serverSend(ev('notification:kitchen', 100)); // same seq, different id: still stale
  ws.serverSend(ev('notification:kitchen', 42));
  ws.serverSend(ev('notification:kitchen', 101));
  assert.deepEqual(seqs(h.events), [5, 100, 101]);
  assert.equal(h.client.lastSeq, 101);
  assert.deepEqual(h.drops.map((d) => d.reason), ['stale-seq', 'stale-seq']);
  assert.equal(h.resyncs.length, 0, 'a jump never triggers a resync');
});

test('duplicate event ids are dropped (also for events without seq)', async () => {
  const h = setup();
  const ws = await connectOpen(h);
  const kds = ev('kds:update', null, { orders: [{ id: 'o1', status: 'new', version: 1 }] }, { id: 'kds-1' });
  ws.serverSend(kds);
  ws.serverSend(kds);
  assert.equal(h.events.length, 1);
  assert.equal(h.drops[0].reason, 'duplicate-id');
  assert.equal(h.client.lastSeq, null, 'kds:update carries no seq');
});

test('the id LRU is bounded', async () => {
  const h = setup({ dedupeSize: 3 });
  const ws = await connectOpen(h);
  for (const id of ['a', 'b', 'c', 'd']) ws.serverSend(ev('kds:update', null, { orders: [] }, { id }));
  ws.serverSend(ev('kds:update', null, { orders: [] }, { id: 'a' })); // evicted: delivered again
  ws.serverSend(ev('kds:update', null, { orders: [] }, { id: 'd' })); // still remembered
  assert.deepEqual(h.events.map((e) => e.id), ['a', 'b', 'c', 'd', 'a']);
});

test('stale order versions are dropped; newest version wins across event types', async () => {
  const h = setup();
  const ws = await connectOpen(h);
  ws.serverSend(orderEvent('order:updated', 1, 'o1', 3));
  ws.serverSend(orderEvent('order:updated', 2, 'o1', 2));                                   // older: dropped
  ws.serverSend(ev('order:status', 3, { order_id: 'o1', status: 'ready', version: 3 }));      // same version: kept
  ws.serverSend(ev('order:status', 4, { order_id: 'o1', status: 'confirmed', version: 1 }));  // older: dropped
  ws.serverSend(orderEvent('order:created', 5, 'o2', 1));                                   // other order: kept
  ws.serverSend(orderEvent('order:updated', 6, 'o1', 4));
  assert.deepEqual(seqs(h.events), [1, 3, 5, 6]);
  assert.deepEqual(h.drops.map((d) => [d.event.seq, d.reason]), [[2, 'stale-version'], [4, 'stale-version']]);
  assert.equal(h.client.lastSeq, 6);
});

test('kds:update batches lose orders older than known versions', async () => {
  const h = setup();
  const ws = await connectOpen(h);
  ws.serverSend(orderEvent('order:updated', 1, 'o1', 5));
  ws.serverSend(ev('kds:update', null, { orders: [{ id: 'o1', status: 'new', version: 4 }, { id: 'o2', status: 'new', version: 1 }] }));
  const kds = h.events.at(-1);
  assert.equal(kds.type, 'kds:update');
  assert.deepEqual(kds.data.orders.map((o) => o.id), ['o2']);
  ws.serverSend(ev('kds:update', null, { orders: [{ id: 'o1', status: 'new', version: 3 }] }));
  assert.equal(h.events.at(-1), kds, 'an all-stale batch is dropped');
  assert.equal(h.drops.at(-1).reason, 'stale-version');
});

test('stale table versions are dropped', async () => {
  const h = setup();
  const ws = await connectOpen(h);
  ws.serverSend(ev('table:updated', 1, { table: { id: 't1', status: 'occupied', version: 7 } }));
  ws.serverSend(ev('table:updated', 2, { table: { id: 't1', status: 'available', version: 6 } }));
  assert.deepEqual(seqs(h.events), [1]);
});

test('resume is sent with the last applied seq after a reconnect, after the subscriptions', async () => {
  const h = setup({ subscriptions: [{ events: ['order:created', 'order:updated'] }] });
  const ws1 = await connectOpen(h);
  assert.deepEqual(ws1.sent, [{ type: 'subscribe', events: ['order:created', 'order:updated'] }], 'no resume before any seq was applied');
  ws1.serverSend(orderEvent('order:created', 7, 'o1', 1));
  ws1.serverSend(orderEvent('order:updated', 9, 'o1', 2));
  await dropAndReconnect(h);
  const ws2 = await acceptLatest(h);
  assert.deepEqual(ws2.sent, [
    { type: 'subscribe', events: ['order:created', 'order:updated'] },
    { type: 'resume', since: 9 },
  ]);
});

test('replay is merged with live events held during the replay, in seq order, without duplicates', async () => {
  const h = setup();
  const ws1 = await connectOpen(h);
  ws1.serverSend(ev('notification:kitchen', 10, {}, { id: 'e10' }));
  await dropAndReconnect(h);
  const ws2 = await acceptLatest(h);
  assert.deepEqual(ws2.sent.at(-1), { type: 'resume', since: 10 });
  // Live events arrive before the replay reply: held, not delivered yet.
  ws2.serverSend(ev('notification:kitchen', 14, {}, { id: 'e14' }));
  ws2.serverSend(ev('notification:kitchen', 12, {}, { id: 'e12' }));
  assert.deepEqual(seqs(h.events), [10]);
  ws2.serverSend({
    type: 'replay',
    data: {
      since: 10,
      latest_seq: 14,
      events: [
        ev('notification:kitchen', 10, {}, { id: 'e10' }), // already applied
        ev('notification:kitchen', 13, {}, { id: 'e13' }),
        ev('notification:kitchen', 11, {}, { id: 'e11' }),
        ev('notification:kitchen', 12, {}, { id: 'e12' }), // also held live
      ],
    },
    timestamp: 'now',
  });
  assert.deepEqual(seqs(h.events), [10, 11, 12, 13, 14]);
  assert.equal(h.client.lastSeq, 14);
  // After the replay, live events flow straight through again.
  ws2.serverSend(ev('notification:kitchen', 15, {}, { id: 'e15' }));
  ws2.serverSend(ev('notification:kitchen', 13, {}, { id: 'e13b' }));
  assert.deepEqual(seqs(h.events), [10, 11, 12, 13, 14, 15]);
});

test('resync: the app is told, lastSeq moves to latest_seq, held events above it are delivered', async () => {
  const h = setup();
  const ws1 = await connectOpen(h);
  ws1.serverSend(ev('notification:kitchen', 3));
  await dropAndReconnect(h);
  const ws2 = await acceptLatest(h);
  ws2.serverSend(ev('notification:kitchen', 50));
  ws2.serverSend(ev('notification:kitchen', 41));
  ws2.serverSend({ type: 'resync', data: { since: 3, latest_seq: 45, reason: 'history_truncated' } });
  assert.equal(h.resyncs.length, 1);
  assert.equal(h.resyncs[0].latest_seq, 45);
  assert.deepEqual(seqs(h.events), [3, 50]);
  assert.equal(h.client.lastSeq, 50);
});

test('no answer to resume: held events are flushed and a resync is raised', async () => {
  const h = setup();
  const ws1 = await connectOpen(h);
  ws1.serverSend(ev('notification:kitchen', 3));
  await dropAndReconnect(h);
  const ws2 = await acceptLatest(h);
  ws2.serverSend(ev('notification:kitchen', 8));
  ws2.serverSend(ev('notification:kitchen', 6));
  assert.deepEqual(seqs(h.events), [3]);
  h.timers.advance(10000);
  assert.equal(h.resyncs.at(-1).reason, 'replay-timeout');
  assert.deepEqual(seqs(h.events), [3, 6, 8]);
});

test('held events are discarded with the socket; the next resume fetches them again', async () => {
  const h = setup();
  const ws1 = await connectOpen(h);
  ws1.serverSend(ev('notification:kitchen', 3));
  await dropAndReconnect(h);
  const ws2 = await acceptLatest(h);
  ws2.serverSend(ev('notification:kitchen', 5));
  await dropAndReconnect(h);
  const ws3 = await acceptLatest(h);
  assert.deepEqual(ws3.sent.at(-1), { type: 'resume', since: 3 });
  ws3.serverSend({ type: 'replay', data: { since: 3, latest_seq: 5, events: [ev('notification:kitchen', 5)] } });
  assert.deepEqual(seqs(h.events), [3, 5]);
});

test('initialSeq makes the first connect resume', async () => {
  const h = setup({ initialSeq: 77 });
  const ws = await connectOpen(h);
  assert.deepEqual(ws.sent, [{ type: 'resume', since: 77 }]);
});

test('subscriptions are re-sent after reconnect, with later subscribe/unsubscribe calls applied', async () => {
  const h = setup({ subscriptions: [{ events: ['order:created'], filters: { table_number: 'T5' } }] });
  const ws1 = await connectOpen(h);
  assert.deepEqual(ws1.sent, [{ type: 'subscribe', events: ['order:created'], filters: { table_number: 'T5' } }]);
  h.client.subscribe(['kds:update', 'order:status']);
  h.client.subscribe(['table:updated']);
  h.client.unsubscribe(['order:status']);
  assert.deepEqual(ws1.sent.slice(1), [
    { type: 'subscribe', events: ['kds:update', 'order:status'] },
    { type: 'subscribe', events: ['table:updated'] },
    { type: 'unsubscribe', events: ['order:status'] },
  ]);
  await dropAndReconnect(h);
  const ws2 = await acceptLatest(h);
  assert.deepEqual(ws2.sent, [
    { type: 'subscribe', events: ['order:created'], filters: { table_number: 'T5' } },
    { type: 'subscribe', events: ['kds:update'] },
    { type: 'subscribe', events: ['table:updated'] },
  ]);
});

test('an unsubscribe from the default set survives reconnects', async () => {
  const h = setup();
  const ws1 = await connectOpen(h);
  h.client.unsubscribe('kds:update');
  h.client.unsubscribe(['notification:kitchen']);
  assert.equal(ws1.sent.length, 2);
  await dropAndReconnect(h);
  const ws2 = await acceptLatest(h);
  assert.deepEqual(ws2.sent, [{ type: 'unsubscribe', events: ['kds:update', 'notification:kitchen'] }]);
});

test('subscribe() while disconnected is sent once the connection opens', async () => {
  const h = setup();
  h.client.subscribe(['order:created']);
  const ws = await connectOpen(h);
  assert.deepEqual(ws.sent, [{ type: 'subscribe', events: ['order:created'] }]);
  assert.throws(() => h.client.subscribe([]), /non-empty/);
});

test('reply messages reach their channels and the raw message channel', async () => {
  const h = setup();
  const got = [];
  h.client.on('subscribed', (m) => got.push(m.data.active));
  h.client.on('pong', (m) => got.push(m.data.server_time));
  const ws = await connectOpen(h);
  ws.serverSend({ type: 'subscribed', data: { events: ['order:created'], filters: null, active: 1 } });
  ws.serverSend({ type: 'pong', data: { server_time: 'T' } });
  ws.serverSend({ type: 'error', data: { code: 'SUBSCRIPTION_LIMIT', message: 'too many' } });
  assert.deepEqual(got, [1, 'T']);
  assert.deepEqual(h.messages.map((m) => m.type), ['connected', 'subscribed', 'pong', 'error']);
  assert.deepEqual(h.errors.map((e) => [e.code, e.terminal]), [['SUBSCRIPTION_LIMIT', false]]);
  assert.equal(h.client.state, 'open');
  assert.equal(h.events.length, 0, "'*' only carries broadcast events");
});

test('a non-JSON frame is reported and ignored', async () => {
  const h = setup();
  const ws = await connectOpen(h);
  ws.serverSend('not json');
  assert.equal(h.errors.at(-1).code, 'INVALID_FRAME');
  assert.equal(h.client.state, 'open');
});

test('frames over 64 KB are not sent', async () => {
  const h = setup();
  const ws = await connectOpen(h);
  await h.client.refreshToken('x'.repeat(70 * 1024));
  assert.equal(ws.sent.length, 0);
  assert.equal(h.errors.at(-1).code, 'MESSAGE_TOO_BIG');
  await flush();
});

test('on a reconnect, events that beat the connected hello are held and merged with the replay', async () => {
  const h = setup();
  const ws1 = await connectOpen(h);
  ws1.serverSend(ev('notification:kitchen', 40, {}, { id: 'e40' }));
  const ws2 = await dropAndReconnect(h);
  ws2.serverOpen();
  ws2.serverSend(ev('notification:kitchen', 50, {}, { id: 'e50' })); // group delivery raced the hello
  assert.deepEqual(seqs(h.events), [40]);
  assert.equal(h.client.lastSeq, 40, 'lastSeq must not jump before the resume');
  ws2.serverSend({ type: 'connected', data: { authenticated: true } });
  assert.deepEqual(ws2.sent.at(-1), { type: 'resume', since: 40 });
  ws2.serverSend({ type: 'replay', data: { since: 40, latest_seq: 50, events: [ev('notification:kitchen', 45, {}, { id: 'e45' }), ev('notification:kitchen', 50, {}, { id: 'e50' })] } });
  assert.deepEqual(seqs(h.events), [40, 45, 50]);
});

test('on the first connect (nothing to resume) early events are delivered at once', async () => {
  const h = setup();
  h.client.connect();
  await flush();
  h.WS.last.serverOpen();
  h.WS.last.serverSend(ev('notification:kitchen', 7));
  assert.deepEqual(seqs(h.events), [7]);
});

test('an unauthenticated hello arriving after `authenticated` does not regress the connection', async () => {
  const h = setup({ mode: 'first-message' });
  await h.client.connect();
  const ws = h.WS.last;
  ws.serverOpen();
  ws.serverSend({ type: 'authenticated', data: { authenticated: true, role: 'kitchen', user_id: 'u1' } });
  ws.serverSend({ type: 'connected', data: { authenticated: false } });
  assert.equal(h.client.state, 'open');
  assert.equal(h.client.connection.authenticated, true);
  assert.deepEqual(ws.sentTypes(), ['auth']);
});
