import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RealtimeClient, backoffDelay } from '../../clients/js/restaurant-os-realtime.js';
import { flush, deferred } from './fakes.mjs';
import { setup, connectOpen, acceptLatest, dropAndReconnect, HUB_URL } from './harness.mjs';

test('connect() twice while connecting opens one socket', async () => {
  const h = setup();
  h.client.connect();
  h.client.connect();
  await flush();
  h.client.connect();
  await flush();
  assert.equal(h.WS.instances.length, 1);
  assert.equal(h.client.state, 'connecting');
});

test('rapid connect/close/connect with slow tokens leaves exactly one live socket', async () => {
  const pending = [];
  const h = setup({ getToken: () => { const d = deferred(); pending.push(d); return d.promise; } });
  h.client.connect();
  h.client.close();
  h.client.connect();
  h.client.close();
  h.client.connect();
  await flush();
  assert.equal(pending.length, 3);
  // Resolve out of order: the two abandoned attempts must not open sockets.
  pending[2].resolve('tok-c');
  pending[0].resolve('tok-a');
  pending[1].resolve('tok-b');
  await flush();
  assert.equal(h.WS.instances.length, 1);
  assert.match(h.WS.last.url, /token=tok-c$/);
  await acceptLatest(h);
  assert.equal(h.client.state, 'open');
  assert.equal(h.WS.live().length, 1);
});

test('rapid connect/close on open sockets never leaves two live sockets', async () => {
  const h = setup();
  for (let i = 0; i < 5; i++) {
    await connectOpen(h);
    assert.equal(h.WS.live().length, 1);
    h.client.close();
    assert.equal(h.WS.live().length, 0);
  }
  assert.equal(h.WS.instances.length, 5);
  for (const ws of h.WS.instances) assert.deepEqual(ws.closedByClient, { code: 1000, reason: 'client close' });
});

test('close() clears every timer, in every state', async () => {
  const h = setup();
  await connectOpen(h);
  assert.ok(h.timers.active >= 2, 'heartbeat and stable timers run while open');
  h.client.close();
  assert.equal(h.timers.active, 0);
  assert.equal(h.client.state, 'closed');

  // While waiting to reconnect.
  await connectOpen(h);
  h.WS.last.serverClose(1011);
  assert.equal(h.client.state, 'reconnecting');
  assert.ok(h.timers.active >= 1);
  h.client.close();
  assert.equal(h.timers.active, 0);
  const count = h.WS.instances.length;
  h.timers.advance(120000);
  await flush();
  assert.equal(h.WS.instances.length, count, 'no socket opened after close()');

  // While connecting (connect timeout armed).
  h.client.connect();
  await flush();
  assert.ok(h.timers.active >= 1);
  h.client.close();
  assert.equal(h.timers.active, 0);
});

test('late events from a replaced socket are ignored', async () => {
  const h = setup();
  const old = await connectOpen(h);
  const fresh = await dropAndReconnect(h);
  const oldOnMessage = old.onmessage;
  assert.equal(oldOnMessage, null, 'handlers are detached from the old socket');
  await acceptLatest(h);
  assert.equal(h.WS.live().length, 1);
  assert.equal(h.WS.live()[0], fresh);
});

test('backoffDelay: full jitter grows, is capped at 30 s, and stays within bounds', () => {
  const top = [0, 1, 2, 3, 4, 5, 6, 10, 50].map((a) => backoffDelay(a, { random: () => 1 }));
  assert.deepEqual(top, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  assert.equal(backoffDelay(3, { random: () => 0 }), 250, 'floor keeps a reconnect loop from spinning');
  let seed = 42;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const seen = new Set();
  for (let attempt = 0; attempt < 12; attempt++) {
    const ceiling = Math.min(30000, 1000 * 2 ** attempt);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(attempt, { random: rnd });
      assert.ok(d >= 250 && d <= ceiling, `attempt ${attempt}: ${d} not in [250, ${ceiling}]`);
      seen.add(d);
    }
  }
  assert.ok(seen.size > 100, 'delays are jittered, not fixed');
});

test('client backoff grows across failed reconnects and caps at maxReconnectDelayMs', async () => {
  const h = setup();
  h.client.connect();
  await flush();
  const delays = [];
  for (let i = 0; i < 8; i++) {
    const before = h.timers.timeoutDelays().length;
    h.WS.last.serverClose(1006); // fails before ever authenticating
    const scheduled = h.timers.timeoutDelays().slice(before);
    delays.push(Math.max(...scheduled.filter((d) => d !== 15000)));
    h.timers.advance(30000);
    await flush();
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  assert.equal(h.WS.instances.length, 9);
  assert.equal(h.WS.live().length, 1);
});

test('backoff uses the injected random for jitter', async () => {
  const h = setup({ random: () => 0.5 });
  await connectOpen(h);
  const before = h.timers.timeoutDelays().length;
  h.WS.last.serverClose(1006);
  assert.deepEqual(h.timers.timeoutDelays().slice(before), [500]);
});

test('backoff resets only after a stable connection', async () => {
  const h = setup();
  await connectOpen(h);
  // Flapping: opens, drops at once, several times -> delays keep growing.
  const seen = [];
  for (let i = 0; i < 3; i++) {
    const before = h.timers.timeoutDelays().length;
    h.WS.last.serverClose(1011);
    seen.push(h.timers.timeoutDelays()[before]);
    h.timers.advance(seen[seen.length - 1]);
    await acceptLatest(h);
  }
  assert.deepEqual(seen, [1000, 2000, 4000]);
  h.timers.advance(10000); // stays up past stableAfterMs
  const before = h.timers.timeoutDelays().length;
  h.WS.last.serverClose(1011);
  assert.equal(h.timers.timeoutDelays()[before], 1000);
});

test('terminal UNAUTHORIZED error: closed, surfaced, no reconnect, no timers', async () => {
  const h = setup();
  const ws = await connectOpen(h);
  ws.serverSend({ type: 'error', data: { code: 'UNAUTHORIZED', message: 'token expired' } });
  ws.serverClose(1008);
  assert.equal(h.client.state, 'closed');
  assert.equal(h.errors.length, 1);
  assert.equal(h.errors[0].code, 'UNAUTHORIZED');
  assert.equal(h.errors[0].terminal, true);
  assert.equal(h.timers.active, 0);
  h.timers.advance(300000);
  await flush();
  assert.equal(h.WS.instances.length, 1);
});

test('terminal TENANT_VIOLATION error: no reconnect', async () => {
  const h = setup();
  const ws = await connectOpen(h);
  ws.serverSend({ type: 'error', data: { code: 'TENANT_VIOLATION', message: 'other restaurant' } });
  h.timers.advance(300000);
  await flush();
  assert.equal(h.client.state, 'closed');
  assert.equal(h.WS.instances.length, 1);
  assert.equal(h.errors.at(-1).terminal, true);
});

test('close code 1008 without an error message is terminal', async () => {
  const h = setup();
  await connectOpen(h);
  h.WS.last.serverClose(1008, 'policy');
  h.timers.advance(300000);
  await flush();
  assert.equal(h.client.state, 'closed');
  assert.equal(h.WS.instances.length, 1);
  assert.equal(h.errors.at(-1).closeCode, 1008);
  assert.equal(h.errors.at(-1).terminal, true);
});

test('AUTH_TIMEOUT reconnects once with a fresh token, then is terminal', async () => {
  const h = setup({ mode: 'first-message' });
  h.client.connect();
  await flush();
  h.WS.last.serverOpen();
  h.WS.last.serverSend({ type: 'error', data: { code: 'AUTH_TIMEOUT', message: 'no auth' } });
  h.WS.last.serverClose(1008);
  assert.equal(h.client.state, 'reconnecting');
  h.timers.advance(1000);
  await flush();
  assert.equal(h.WS.instances.length, 2);
  h.WS.last.serverOpen();
  assert.deepEqual(h.WS.last.sent[0], { type: 'auth', token: 'tok-2' });
  h.WS.last.serverSend({ type: 'error', data: { code: 'AUTH_TIMEOUT', message: 'no auth' } });
  h.WS.last.serverClose(1008);
  assert.equal(h.client.state, 'closed');
  h.timers.advance(300000);
  await flush();
  assert.equal(h.WS.instances.length, 2);
});

test('server restart (1011, 1000, 1006) reconnects', async () => {
  for (const code of [1011, 1000, 1006, 1009]) {
    const h = setup();
    await connectOpen(h);
    await dropAndReconnect(h, code);
    await acceptLatest(h);
    assert.equal(h.client.state, 'open', `after close ${code}`);
  }
});

test('no reconnect after close(), even if the socket reports close later', async () => {
  const h = setup();
  const ws = await connectOpen(h);
  const onclose = ws.onclose;
  h.client.close();
  onclose?.({ code: 1006 }); // would be a stale callback; it is detached anyway
  h.timers.advance(300000);
  await flush();
  assert.equal(h.WS.instances.length, 1);
  assert.equal(h.client.state, 'closed');
});

test('states pass through connecting, open, reconnecting, open, closed', async () => {
  const h = setup();
  await connectOpen(h);
  await dropAndReconnect(h);
  await acceptLatest(h);
  h.client.close();
  assert.deepEqual(h.states, ['connecting', 'open', 'reconnecting', 'open', 'closed']);
});

test('heartbeat sends ping every 30 s; a pong keeps the connection', async () => {
  const h = setup();
  const ws = await connectOpen(h);
  h.timers.advance(30000);
  assert.deepEqual(ws.sentTypes(), ['ping']);
  ws.serverSend({ type: 'pong', data: { server_time: 'x' } });
  h.timers.advance(30000);
  assert.deepEqual(ws.sentTypes(), ['ping', 'ping']);
  ws.serverSend({ type: 'pong', data: { server_time: 'y' } });
  h.timers.advance(15000);
  assert.equal(h.client.state, 'open');
  assert.equal(h.WS.instances.length, 1);
});

test('heartbeat: a missing pong closes the socket and reconnects', async () => {
  const h = setup();
  const ws = await connectOpen(h);
  h.timers.advance(30000);
  assert.deepEqual(ws.sentTypes(), ['ping']);
  h.timers.advance(10000); // pongTimeoutMs without any message
  assert.equal(ws.readyState, 3);
  assert.equal(ws.closedByClient.code, 4000);
  assert.equal(h.client.state, 'reconnecting');
  assert.equal(h.errors.at(-1).code, 'HEARTBEAT_TIMEOUT');
  h.timers.advance(1000);
  await flush();
  assert.equal(h.WS.instances.length, 2);
  assert.equal(h.WS.live().length, 1);
});

test('heartbeat: any message counts as liveness', async () => {
  const h = setup();
  const ws = await connectOpen(h);
  h.timers.advance(30000);
  h.timers.advance(5000);
  ws.serverSend({ type: 'order:status', id: 'e1', seq: 1, data: { order_id: 'o1', status: 'ready', version: 2 } });
  h.timers.advance(9000);
  assert.equal(h.client.state, 'open');
  assert.equal(h.WS.instances.length, 1);
});

test('heartbeatMs option is honoured', async () => {
  const h = setup({ heartbeatMs: 5000 });
  const ws = await connectOpen(h);
  h.timers.advance(5000);
  assert.deepEqual(ws.sentTypes(), ['ping']);
});

test('a socket that never authenticates times out and reconnects', async () => {
  const h = setup();
  h.client.connect();
  await flush();
  h.WS.last.serverOpen();
  h.timers.advance(15000);
  assert.equal(h.client.state, 'reconnecting');
  assert.equal(h.errors.at(-1).code, 'CONNECT_TIMEOUT');
  h.timers.advance(1000);
  await flush();
  assert.equal(h.WS.instances.length, 2);
  assert.equal(h.WS.live().length, 1);
});

test('a throwing handler does not break the client', async () => {
  const h = setup();
  const origError = console.error;
  console.error = () => {};
  try {
    h.client.on('order:created', () => { throw new Error('app bug'); });
    const ws = await connectOpen(h);
    ws.serverSend({ type: 'order:created', id: 'e1', seq: 1, data: { order: { id: 'o1', version: 1 } } });
    ws.serverSend({ type: 'order:created', id: 'e2', seq: 2, data: { order: { id: 'o2', version: 1 } } });
  } finally {
    console.error = origError;
  }
  assert.equal(h.events.length, 2);
  assert.equal(h.client.lastSeq, 2);
});

test('on() returns an unsubscribe function', async () => {
  const h = setup();
  const got = [];
  const off = h.client.on('order:status', (e) => got.push(e.seq));
  const ws = await connectOpen(h);
  ws.serverSend({ type: 'order:status', id: 'a', seq: 1, data: { order_id: 'o1', version: 1 } });
  off();
  ws.serverSend({ type: 'order:status', id: 'b', seq: 2, data: { order_id: 'o1', version: 2 } });
  assert.deepEqual(got, [1]);
});

test('constructor validates its options', () => {
  assert.throws(() => new RealtimeClient({ mode: 'direct', getToken: () => 't', WebSocket: class {} }), /url/);
  assert.throws(() => new RealtimeClient({ mode: 'bogus', url: HUB_URL, getToken: () => 't', WebSocket: class {} }), /mode/);
  assert.throws(() => new RealtimeClient({ mode: 'direct', url: HUB_URL, WebSocket: class {} }), /getToken/);
});

test('ping() sends now when open, arms the pong watchdog, and refuses when not open', async () => {
  const h = setup();
  assert.equal(h.client.ping(), false);
  const ws = await connectOpen(h);
  assert.equal(h.client.ping(), true);
  assert.deepEqual(ws.sentTypes(), ['ping']);
  h.timers.advance(10000);
  assert.equal(h.client.state, 'reconnecting');
});

test('debug logging follows localStorage.DEBUG_WS and survives a throwing localStorage', async () => {
  const orig = Object.getOwnPropertyDescriptor(globalThis, 'localStorage');
  const origDebug = console.debug;
  const logged = [];
  console.debug = (...a) => logged.push(a.join(' '));
  try {
    Object.defineProperty(globalThis, 'localStorage', { configurable: true, get() { throw new Error('SecurityError'); } });
    const quiet = setup({ debug: undefined });
    await connectOpen(quiet);
    assert.equal(logged.length, 0);

    Object.defineProperty(globalThis, 'localStorage', { configurable: true, value: { getItem: (k) => (k === 'DEBUG_WS' ? 'true' : null) } });
    const loud = setup({ debug: undefined });
    await connectOpen(loud);
    assert.ok(logged.some((l) => l.includes('[realtime]') && l.includes('state')), 'state changes are logged');
    assert.ok(logged.every((l) => !l.includes('tok-1')), 'tokens are never logged');
  } finally {
    console.debug = origDebug;
    if (orig) Object.defineProperty(globalThis, 'localStorage', orig); else delete globalThis.localStorage;
  }
});

test('soak: hundreds of reconnects and thousands of events keep timers, sockets and caches bounded', async () => {
  const h = setup({ dedupeSize: 100, versionCacheSize: 50 });
  let seq = 0;
  await connectOpen(h);
  for (let cycle = 0; cycle < 300; cycle++) {
    for (let i = 0; i < 10; i++) {
      seq++;
      h.WS.last.serverSend({ type: 'order:updated', id: `e${seq}`, seq, data: { order: { id: `o${seq % 80}`, version: seq } } });
    }
    h.timers.advance(30000);
    h.WS.last.serverSend({ type: 'pong', data: {} });
    h.WS.last.serverClose(1011);
    h.timers.advance(30000);
    const ws = await acceptLatest(h);
    ws.serverSend({ type: 'replay', data: { since: seq, latest_seq: seq, events: [] } });
    assert.ok(h.timers.active <= 4, `cycle ${cycle}: ${h.timers.active} timers`);
    assert.equal(h.WS.live().length, 1);
  }
  assert.equal(h.events.length, 3000);
  assert.equal(h.client.lastSeq, 3000);
  assert.ok(h.client._gate._seenIds.size <= 100);
  assert.ok(h.client._gate._versions.size <= 50);
  h.client.close();
  assert.equal(h.timers.active, 0);
});

test('a 1008 close after RATE_LIMITED reconnects with backoff (abuse, not an auth failure)', async () => {
  const h = setup();
  const ws = await connectOpen(h);
  ws.serverSend({ type: 'error', data: { code: 'RATE_LIMITED', message: 'slow down' } });
  ws.serverClose(1008);
  assert.equal(h.client.state, 'reconnecting');
  h.timers.advance(1000);
  await flush();
  assert.equal(h.WS.instances.length, 2);
});
