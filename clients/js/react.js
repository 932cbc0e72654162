// React bindings for @restaurant-os/realtime: hooks over one RealtimeClient, built on useSyncExternalStore so a
// component re-renders when, and only when, what it shows changed.

import { useEffect, useMemo, useSyncExternalStore } from 'react';
import { createEventStore, createOrderStore, createStateStore } from './stores.js';

export { createEventStore, createOrderStore, createStateStore } from './stores.js';

/**
 * Recent events of the given types; re-renders on each one. Connect the client yourself (or use
 * useRealtimeConnection); the hook only listens.
 */
export function useRestaurantEvents(client, types = '*', options = {}) {
  const key = Array.isArray(types) ? types.join(',') : types;
  // The store depends on the types' contents and the limit, not on the identity of the array or options object.
  const store = useMemo(() => createEventStore(client, types, options), [client, key, options.limit]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

/** Open orders by id, kept current from order events. */
export function useOrders(client) {
  const store = useMemo(() => createOrderStore(client), [client]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

/**
 * Connects the client while the component is mounted (and closes it on unmount); returns the connection state, so a
 * screen can show "reconnecting" or "offline".
 */
export function useRealtimeConnection(client) {
  useEffect(() => {
    client.connect();
    return () => client.close();
  }, [client]);
  const store = useMemo(() => createStateStore(client), [client]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
