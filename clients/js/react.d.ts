import type { BroadcastEventType, ClientState, Order, RealtimeClient, RealtimeEvent } from './restaurant-os-realtime.js';

export { createEventStore, createOrderStore, createStateStore, type ExternalStore } from './stores.js';

/** The most recent events (oldest first, at most options.limit, default 100) of the given types. */
export declare function useRestaurantEvents(
  client: RealtimeClient,
  types?: BroadcastEventType | BroadcastEventType[] | '*',
  options?: { limit?: number },
): readonly RealtimeEvent[];

/** Open orders by id, kept current from order:created / order:updated / order:status. */
export declare function useOrders(client: RealtimeClient): ReadonlyMap<string, Order>;

/** Connects the client while mounted, closes it on unmount; returns its state. */
export declare function useRealtimeConnection(client: RealtimeClient): ClientState;
