// Framework-free stores over one RealtimeClient: immutable snapshots plus subscribe/getSnapshot, the shape React's
// useSyncExternalStore (and most UI frameworks) take. The React hooks in react.js are built on these. The event and
// order stores hold what arrived while someone was subscribed; the state store reads the client's state live.

const CLOSED_ORDER_STATUSES = new Set(['completed', 'cancelled']);

/** A tiny external store: immutable snapshots, listeners told after each change, the client listened to lazily. */
function externalStore(client, channel, initial, reduce) {
  let snapshot = initial;
  let off = null;
  const listeners = new Set();
  const onMessage = (message) => {
    const next = reduce(snapshot, message);
    if (next === snapshot) return;
    snapshot = next;
    for (const listener of [...listeners]) listener();
  };
  return {
    subscribe(listener) {
      listeners.add(listener);
      off ??= client.on(channel, onMessage);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && off) { off(); off = null; }
      };
    },
    getSnapshot: () => snapshot,
  };
}

/**
 * The most recent broadcast events (oldest first, at most `limit`), of the given types or of all ('*').
 * @param {import('./restaurant-os-realtime.js').RealtimeClient} client
 * @param {string | string[]} [types]
 * @param {{limit?: number}} [options]
 */
export function createEventStore(client, types = '*', { limit = 100 } = {}) {
  const wanted = types === '*' ? null : new Set(Array.isArray(types) ? types : [types]);
  return externalStore(client, '*', [], (events, event) =>
    wanted && !wanted.has(event.type) ? events : [...events, event].slice(-limit));
}

/**
 * The open orders of the restaurant as the screen has seen them, by id (insertion order = first seen). An
 * `order:status` updates the status of a known order; completed and cancelled orders leave the map.
 * @param {import('./restaurant-os-realtime.js').RealtimeClient} client
 */
export function createOrderStore(client) {
  return externalStore(client, '*', new Map(), (orders, event) => {
    if ((event.type === 'order:created' || event.type === 'order:updated') && event.data?.order) {
      const order = event.data.order;
      const known = orders.get(order.id);
      if (known && known.version > order.version) return orders;
      const next = new Map(orders);
      if (CLOSED_ORDER_STATUSES.has(order.status)) next.delete(order.id); else next.set(order.id, order);
      return next;
    }
    if (event.type === 'order:status' && event.data) {
      const known = orders.get(event.data.order_id);
      if (!known || known.version > event.data.version) return orders;
      const next = new Map(orders);
      if (CLOSED_ORDER_STATUSES.has(event.data.status)) next.delete(known.id);
      else next.set(known.id, { ...known, status: event.data.status, previous_status: event.data.previous_status, version: event.data.version });
      return next;
    }
    return orders;
  });
}

/** The client's connection state ('idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'), read live. */
export function createStateStore(client) {
  return {
    subscribe: (listener) => client.on('state', () => listener()),
    getSnapshot: () => client.state,
  };
}
