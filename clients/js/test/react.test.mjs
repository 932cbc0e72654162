// The React hooks rendered by React itself (react-test-renderer), over a real RealtimeClient wired to a scripted
// WebSocket and manual timers: events from the "server" re-render the component, unmounting closes the client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'react';
import TestRenderer from 'react-test-renderer';
import { RealtimeClient } from '@restaurant-os/realtime';
import { useOrders, useRestaurantEvents, useRealtimeConnection } from '@restaurant-os/realtime/react';

const { act } = TestRenderer;
globalThis.IS_REACT_ACT_ENVIRONMENT = true;

/** A WebSocket the test plays the server of. */
function scriptedSocket() {
  const sockets = [];
  class Socket {
    constructor(url) { this.url = url; this.readyState = 0; this.sent = []; sockets.push(this); }
    send(text) { this.sent.push(JSON.parse(text)); }
    close() { this.readyState = 3; }
    open() { this.readyState = 1; this.onopen?.({}); }
    receive(message) { this.onmessage?.({ data: JSON.stringify(message) }); }
  }
  return { Socket, sockets };
}

function newClient() {
  const { Socket, sockets } = scriptedSocket();
  const client = new RealtimeClient({
    mode: 'direct',
    url: 'ws://host.test/client/hubs/restaurant',
    getToken: () => 'jwt',
    WebSocket: Socket,
    setTimeout: () => 0, clearTimeout: () => {}, setInterval: () => 0, clearInterval: () => {},
    window: null, document: null,
  });
  return { client, sockets };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function Board({ client }) {
  const state = useRealtimeConnection(client);
  const orders = useOrders(client);
  const notes = useRestaurantEvents(client, 'notification:kitchen');
  return createElement('div', null,
    createElement('span', { id: 'state' }, state),
    ...[...orders.values()].map((o) => createElement('span', { key: o.id, className: 'order' }, `${o.order_number}:${o.status}`)),
    ...notes.map((n) => createElement('span', { key: n.id, className: 'note' }, n.data.notification.message)));
}

const texts = (renderer, className) => renderer.root.findAll((n) => n.props.className === className).map((n) => n.children.join(''));

test('the hooks connect, re-render on events, and close the client on unmount', async () => {
  const { client, sockets } = newClient();
  let renderer;
  await act(async () => { renderer = TestRenderer.create(createElement(Board, { client })); await flush(); });
  assert.equal(renderer.root.findByProps({ id: 'state' }).children.join(''), 'connecting');
  assert.equal(sockets.length, 1);

  const ws = sockets[0];
  await act(async () => {
    ws.open();
    ws.receive({ type: 'connected', data: { connection_id: 'c1', authenticated: true, role: 'kitchen', restaurant_id: 'r1' }, timestamp: 'now' });
    await flush();
  });
  assert.equal(renderer.root.findByProps({ id: 'state' }).children.join(''), 'open');

  await act(async () => {
    ws.receive({ type: 'order:created', id: 'e1', restaurant_id: 'r1', seq: 1, data: { order: { id: 'o1', order_number: '101', status: 'pending', version: 1 } }, timestamp: 'now' });
    ws.receive({ type: 'order:status', id: 'e2', restaurant_id: 'r1', seq: 2, data: { order_id: 'o1', status: 'preparing', previous_status: 'pending', version: 2 }, timestamp: 'now' });
    ws.receive({ type: 'notification:kitchen', id: 'e3', restaurant_id: 'r1', seq: 3, data: { notification: { id: 'n1', message: 'Allergy: nuts, table 5' } }, timestamp: 'now' });
    await flush();
  });
  assert.deepEqual(texts(renderer, 'order'), ['101:preparing']);
  assert.deepEqual(texts(renderer, 'note'), ['Allergy: nuts, table 5']);

  await act(async () => {
    ws.receive({ type: 'order:status', id: 'e4', restaurant_id: 'r1', seq: 4, data: { order_id: 'o1', status: 'cancelled', previous_status: 'preparing', version: 3 }, timestamp: 'now' });
    await flush();
  });
  assert.deepEqual(texts(renderer, 'order'), []);

  await act(async () => { renderer.unmount(); await flush(); });
  assert.equal(client.state, 'closed');
});
