import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flush } from './fakes.mjs';
import { setup, connectOpen, acceptLatest, dropAndReconnect, HUB_URL } from './harness.mjs';

function fakeFetch(responder) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init });
    const r = await responder(url, init, calls.length);
    return { ok: r.status >= 200 && r.status < 300, status: r.status, json: async () => r.body };
  };
  return { fetch, calls };
}

test('negotiate mode: fetch with the bearer token, then open the returned url', async () => {
  const negotiated = 'ws://host.test/client/hubs/restaurant?access_token=svc-token-1';
  const f = fakeFetch(() => ({ status: 200, body: { baseUrl: 'ws://host.test/client/hubs/restaurant', url: negotiated, accessToken: 'svc-token-1' } }));
  const h = setup({ mode: 'negotiate', url: undefined, apiBase: 'http://host.test/', fetch: f.fetch });
  await h.client.connect();
  assert.equal(f.calls.length, 1);
  assert.equal(f.calls[0].url, 'http://host.test/api/negotiate');
  assert.equal(f.calls[0].init.headers.Authorization, 'Bearer tok-1');
  assert.equal(h.WS.instances.length, 1);
  assert.equal(h.WS.last.url, negotiated);
  await acceptLatest(h);
  assert.equal(h.client.state, 'open');
  assert.deepEqual(h.WS.last.sent, [], 'no auth message needed: the url carries the token');
});

test('negotiate mode: each reconnect negotiates again with a fresh token', async () => {
  const f = fakeFetch((url, init, n) => ({ status: 200, body: { url: `ws://host.test/client/hubs/restaurant?access_token=svc-${n}` } }));
  const h = setup({ mode: 'negotiate', url: undefined, apiBase: 'http://host.test', fetch: f.fetch });
  await connectOpen(h);
  await dropAndReconnect(h);
  assert.equal(f.calls.length, 2);
  assert.equal(f.calls[1].init.headers.Authorization, 'Bearer tok-2');
  assert.match(h.WS.last.url, /svc-2$/);
});

test('negotiate mode: 401 is terminal, 503 retries with backoff', async () => {
  const f401 = fakeFetch(() => ({ status: 401, body: {} }));
  const h = setup({ mode: 'negotiate', url: undefined, apiBase: 'http://host.test', fetch: f401.fetch });
  await h.client.connect();
  assert.equal(h.client.state, 'closed');
  assert.equal(h.errors.at(-1).code, 'UNAUTHORIZED');
  assert.equal(h.errors.at(-1).terminal, true);
  assert.equal(h.WS.instances.length, 0);
  assert.equal(h.timers.active, 0);

  const f503 = fakeFetch((u, i, n) => (n === 1 ? { status: 503, body: {} } : { status: 200, body: { url: 'ws://x/y?access_token=z' } }));
  const h2 = setup({ mode: 'negotiate', url: undefined, apiBase: 'http://host.test', fetch: f503.fetch });
  await h2.client.connect();
  assert.equal(h2.client.state, 'reconnecting');
  assert.equal(h2.errors.at(-1).code, 'NEGOTIATE_FAILED');
  h2.timers.advance(1000);
  await flush();
  assert.equal(f503.calls.length, 2);
  assert.equal(h2.WS.instances.length, 1);
});

test('direct mode: the token travels in the url query', async () => {
  const h = setup({ url: `${HUB_URL}?hub=x` });
  await h.client.connect();
  assert.equal(h.WS.last.url, `${HUB_URL}?hub=x&token=tok-1`);
});

test('direct mode: falls back to an auth message if the server did not take the url token', async () => {
  const h = setup();
  await h.client.connect();
  const ws = h.WS.last;
  ws.serverOpen();
  ws.serverSend({ type: 'connected', data: { authenticated: false } });
  assert.deepEqual(ws.sent, [{ type: 'auth', token: 'tok-1' }]);
  assert.equal(h.client.state, 'connecting');
  ws.serverSend({ type: 'authenticated', data: { authenticated: true, role: 'kitchen' } });
  assert.equal(h.client.state, 'open');
});

test('first-message mode: auth is the first frame; open only after authenticated', async () => {
  const h = setup({ mode: 'first-message', subscriptions: [{ events: ['kds:update'] }] });
  await h.client.connect();
  const ws = h.WS.last;
  assert.equal(ws.url, HUB_URL, 'no token in the url');
  ws.serverOpen();
  assert.deepEqual(ws.sent, [{ type: 'auth', token: 'tok-1' }]);
  ws.serverSend({ type: 'connected', data: { authenticated: false, auth_timeout_seconds: 10 } });
  assert.equal(ws.sent.length, 1, 'auth is not sent twice');
  assert.equal(h.client.state, 'connecting');
  ws.serverSend({ type: 'authenticated', data: { authenticated: true, user_id: 'u1', role: 'kitchen', restaurant_id: 'r1' } });
  assert.equal(h.client.state, 'open');
  assert.equal(h.client.connection.role, 'kitchen');
  assert.deepEqual(ws.sent.map((m) => m.type), ['auth', 'subscribe']);
});

test('first-message mode: auth names the station and device, on connect and on every refresh', async () => {
  const h = setup({ mode: 'first-message', station: 'grill-kds-1', device: 'tablet-7' });
  await h.client.connect();
  const ws = h.WS.last;
  ws.serverOpen();
  assert.deepEqual(ws.sent, [{ type: 'auth', token: 'tok-1', station: 'grill-kds-1', device: 'tablet-7' }]);
  ws.serverSend({ type: 'authenticated', data: { authenticated: true, user_id: 'u1', role: 'kitchen', restaurant_id: 'r1' } });
  await h.client.refreshToken('tok-2');
  assert.deepEqual(ws.sent.at(-1), { type: 'auth', token: 'tok-2', station: 'grill-kds-1', device: 'tablet-7' });
});

test('refreshToken sends auth on the open socket and opens no new socket', async () => {
  const h = setup();
  const ws = await connectOpen(h);
  await h.client.refreshToken('new-token');
  assert.deepEqual(ws.sent, [{ type: 'auth', token: 'new-token' }]);
  ws.serverSend({ type: 'authenticated', data: { authenticated: true } });
  assert.equal(h.client.state, 'open');
  assert.equal(ws.sent.length, 1, 'a refresh does not re-send subscriptions or resume');
  await h.client.refreshToken(); // from getToken
  assert.deepEqual(ws.sent.at(-1), { type: 'auth', token: 'tok-2' });
  assert.equal(h.WS.instances.length, 1);
});

test('refreshToken after a terminal auth failure reconnects with the new token', async () => {
  const h = setup();
  const ws = await connectOpen(h);
  ws.serverSend({ type: 'error', data: { code: 'UNAUTHORIZED', message: 'expired' } });
  assert.equal(h.client.state, 'closed');
  await h.client.refreshToken('fresh');
  await flush();
  assert.equal(h.WS.instances.length, 2);
  assert.match(h.WS.last.url, /token=fresh$/);
  await acceptLatest(h);
  assert.equal(h.client.state, 'open');
});

test('refreshToken after close() does not reconnect', async () => {
  const h = setup();
  await connectOpen(h);
  h.client.close();
  await h.client.refreshToken('fresh');
  await flush();
  assert.equal(h.WS.instances.length, 1);
  assert.equal(h.client.state, 'closed');
  await h.client.connect(); // a later connect asks getToken, it does not reuse a token handed over while closed
  assert.match(h.WS.last.url, /token=tok-2$/);
});

test('a failing getToken is reported and retried with backoff', async () => {
  let n = 0;
  const h = setup({ getToken: async () => { if (++n === 1) throw new Error('dev token endpoint down'); return 'ok'; } });
  await h.client.connect();
  assert.equal(h.errors.at(-1).code, 'TOKEN_ERROR');
  assert.equal(h.client.state, 'reconnecting');
  h.timers.advance(1000);
  await flush();
  assert.equal(h.WS.instances.length, 1);
  assert.match(h.WS.last.url, /token=ok$/);
});

const b64url = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (expSeconds, sub = 'u1') => `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub, exp: expSeconds })}.sig`;

test('jwtExpiryMs reads exp from a JWT and tolerates anything else', async () => {
  const { jwtExpiryMs } = await import('../../clients/js/restaurant-os-realtime.js');
  assert.equal(jwtExpiryMs(jwt(1800000000)), 1800000000 * 1000);
  assert.equal(jwtExpiryMs('opaque-token'), null);
  assert.equal(jwtExpiryMs('a.!!!.c'), null);
  assert.equal(jwtExpiryMs(`${b64url({})}.${b64url({ sub: 'x' })}.s`), null);
});

test('a JWT is refreshed with getToken shortly before it expires, on the same socket', async () => {
  const T = 1_800_000_000_000;
  let n = 0;
  const tokens = [jwt(T / 1000 + 3600), jwt(T / 1000 + 7200)];
  const h = setup({ getToken: () => tokens[n++], heartbeatMs: 1e9 });
  h.client._now = () => T + h.timers.now; // virtual clock aligned with the fake timers
  const ws = await connectOpen(h);
  assert.equal(n, 1);
  h.timers.advance(3540000 - 1); // exp - 60 s lead
  await flush();
  assert.equal(n, 1, 'not yet');
  h.timers.advance(1);
  await flush();
  assert.equal(n, 2);
  assert.deepEqual(ws.sent, [{ type: 'auth', token: tokens[1] }]);
  ws.serverSend({ type: 'authenticated', data: { authenticated: true } });
  assert.equal(h.WS.instances.length, 1);
  assert.equal(h.client.state, 'open');
  assert.ok(h.timers.active >= 1, 'the next refresh is scheduled from the new token');
  h.client.close();
  assert.equal(h.timers.active, 0);
});

test('the now option drives the refresh schedule', async () => {
  const T = 1_800_000_000_000;
  const h = setup({ getToken: () => jwt(T / 1000 + 600), now: () => T, heartbeatMs: 1e9 });
  const ws = await connectOpen(h);
  h.timers.advance(540000); // 10 min lifetime: lead is 60 s
  await flush();
  assert.equal(ws.sent.length, 1);
  assert.equal(ws.sent[0].type, 'auth');
});

test('a token handed over while reconnecting is used once, and forgotten by close()', async () => {
  const h = setup();
  await connectOpen(h);
  h.WS.last.serverClose(1011);
  await h.client.refreshToken('handed-over');
  h.timers.advance(1000);
  await flush();
  assert.match(h.WS.last.url, /token=handed-over$/);
  h.WS.last.serverClose(1011);
  await h.client.refreshToken('stale-later');
  h.client.close();
  await h.client.connect();
  assert.match(h.WS.last.url, /token=tok-2$/);
});
