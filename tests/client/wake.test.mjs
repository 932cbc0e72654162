import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flush } from './fakes.mjs';
import { setup, connectOpen, acceptLatest, HUB_URL } from './harness.mjs';

/** A window and a document the test can fire `online` / `visibilitychange` on. */
function browser() {
  const window = new EventTarget();
  const document = new EventTarget();
  document.visibilityState = 'visible';
  return {
    window,
    document,
    online: () => window.dispatchEvent(new Event('online')),
    show: () => { document.visibilityState = 'visible'; document.dispatchEvent(new Event('visibilitychange')); },
    hide: () => { document.visibilityState = 'hidden'; document.dispatchEvent(new Event('visibilitychange')); },
  };
}

/** Drop the open socket so the client waits out a backoff (random() = 1: the full ceiling). */
async function dropped(h) {
  h.WS.last.serverClose(1006);
  await flush();
  assert.equal(h.client.state, 'reconnecting');
  return h.WS.instances.length;
}

test('going online during a backoff reconnects at once, with one new socket', async () => {
  const b = browser();
  const h = setup({ window: b.window, document: b.document });
  await connectOpen(h);
  const before = await dropped(h);

  b.online();
  await flush();

  assert.equal(h.WS.instances.length, before + 1, 'a new socket without waiting for the backoff timer');
  await acceptLatest(h);
  assert.equal(h.client.state, 'open');
  // The backoff timer of the abandoned wait must not open another one later.
  h.timers.advance(5000);
  await flush();
  assert.equal(h.WS.instances.length, before + 1);
  assert.equal(h.WS.live().length, 1);
});

test('becoming visible again during a backoff reconnects at once; becoming hidden does not', async () => {
  const b = browser();
  const h = setup({ window: b.window, document: b.document });
  await connectOpen(h);
  const before = await dropped(h);

  b.hide();
  await flush();
  assert.equal(h.WS.instances.length, before, 'hidden is no reason to reconnect');

  b.show();
  await flush();
  assert.equal(h.WS.instances.length, before + 1);
});

test('a wake while an attempt is in flight opens no second socket', async () => {
  const b = browser();
  const h = setup({ window: b.window, document: b.document });
  h.client.connect();
  await flush();
  assert.equal(h.client.state, 'connecting');

  b.online();
  b.show();
  await flush();
  assert.equal(h.WS.instances.length, 1);
});

test('becoming visible with an open socket probes it with a ping, and a dead one is replaced', async () => {
  const b = browser();
  const h = setup({ window: b.window, document: b.document, pongTimeoutMs: 5000 });
  const ws = await connectOpen(h);
  const sent = ws.sent.length;

  b.show();
  await flush();
  const probe = ws.sent.slice(sent);
  assert.deepEqual(probe.map((m) => m.type), ['ping']);

  // No answer (the socket died while the tablet slept): the watchdog replaces it.
  h.timers.advance(5000);
  await flush();
  assert.equal(h.client.state, 'reconnecting');
});

test('after close() wake-ups do nothing and the listeners are removed', async () => {
  const b = browser();
  const h = setup({ window: b.window, document: b.document });
  await connectOpen(h);
  h.client.close();
  const before = h.WS.instances.length;

  b.online();
  b.show();
  await flush();
  assert.equal(h.WS.instances.length, before);
  assert.equal(h.client.state, 'closed');
});

test('the heartbeat reports the last applied seq once there is one', async () => {
  const h = setup();
  const ws = await connectOpen(h);
  h.client.ping();
  ws.serverSend({ type: 'pong', timestamp: 'now' });
  ws.serverSend({ type: 'order:created', id: 'e7', restaurant_id: 'r1', seq: 7, data: { order: { id: 'o1', version: 1 } }, timestamp: 'now' });
  await flush();
  h.client.ping();

  const pings = ws.sent.filter((m) => m.type === "ping");
  assert.deepEqual(pings, [{ type: 'ping' }, { type: 'ping', applied_seq: 7 }]);
});
