import { RealtimeClient } from '../../clients/js/restaurant-os-realtime.js';
import { FakeTimers, makeFakeWebSocket, flush } from './fakes.mjs';

export const HUB_URL = 'ws://host.test/client/hubs/restaurant';

/** A client wired to fake timers and a fake WebSocket, with every channel recorded. */
export function setup(options = {}) {
  const timers = new FakeTimers();
  const WS = makeFakeWebSocket();
  let n = 0;
  const client = new RealtimeClient({
    mode: 'direct',
    url: HUB_URL,
    getToken: () => `tok-${++n}`,
    WebSocket: WS,
    setTimeout: timers.setTimeout,
    clearTimeout: timers.clearTimeout,
    setInterval: timers.setInterval,
    clearInterval: timers.clearInterval,
    random: () => 1,
    debug: false,
    ...options,
  });
  const rec = { events: [], errors: [], states: [], drops: [], resyncs: [], messages: [] };
  client.on('*', (e) => rec.events.push(e));
  client.on('error', (e) => rec.errors.push(e));
  client.on('state', (s) => rec.states.push(s));
  client.on('drop', (d) => rec.drops.push(d));
  client.on('resync', (d) => rec.resyncs.push(d));
  client.on('message', (m) => rec.messages.push(m));
  return { client, timers, WS, ...rec };
}

/** Server side of a successful handshake on the newest socket (token accepted from the URL). */
export async function acceptLatest(h, data = {}) {
  await flush();
  const ws = h.WS.last;
  ws.serverOpen();
  ws.serverSend({ type: 'connected', data: { connection_id: `c${h.WS.instances.length}`, authenticated: true, user_id: 'u1', role: 'kitchen', restaurant_id: 'r1', auth_timeout_seconds: 10, ...data }, timestamp: 'now' });
  return ws;
}

/** Connect and complete the handshake. */
export async function connectOpen(h) {
  h.client.connect();
  return acceptLatest(h);
}

/** Drop the current socket from the server side and let the backoff timer fire; returns the new socket (not yet open). */
export async function dropAndReconnect(h, code = 1006) {
  const before = h.WS.instances.length;
  h.WS.last.serverClose(code);
  h.timers.advance(31000);
  await flush();
  if (h.WS.instances.length !== before + 1) throw new Error(`expected exactly one new socket, got ${h.WS.instances.length - before}`);
  return h.WS.last;
}
