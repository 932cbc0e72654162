import type { BroadcastEventType, ClientState, Order, RealtimeClient, RealtimeEvent } from './restaurant-os-realtime.js';

/** A framework-free store: subscribe/getSnapshot, as React's useSyncExternalStore takes them. */
export interface ExternalStore<T> {
  subscribe(listener: () => void): () => void;
  getSnapshot(): T;
}

/** The most recent broadcast events (oldest first, at most options.limit, default 100) of the given types. */
export declare function createEventStore(
  client: RealtimeClient,
  types?: BroadcastEventType | BroadcastEventType[] | '*',
  options?: { limit?: number },
): ExternalStore<readonly RealtimeEvent[]>;

/** Open orders by id, from order:created / order:updated / order:status; completed and cancelled ones leave. */
export declare function createOrderStore(client: RealtimeClient): ExternalStore<ReadonlyMap<string, Order>>;

/** The client's connection state. */
export declare function createStateStore(client: RealtimeClient): ExternalStore<ClientState>;
