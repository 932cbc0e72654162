// Compiled (never run) by `tsc --noEmit`: how an app uses the package, written against its published types. A
// declaration that stops matching this use fails the type check.
import { RealtimeClient, BROADCAST_EVENTS, backoffDelay, type Order, type RealtimeEvent, type ClientState } from '@restaurant-os/realtime';
import { createOrderStore } from '@restaurant-os/realtime/stores';
import { useOrders, useRestaurantEvents, useRealtimeConnection } from '@restaurant-os/realtime/react';

const client = new RealtimeClient({
  getToken: async () => 'jwt',
  subscriptions: [{ events: ['order:created', 'order:status'], filters: { table_number: 'T5' } }],
  window: null,
  document: null,
});

const off: () => void = client.on('order:created', (event) => {
  const order: Order = event.data!.order;
  const total: number = order.total;
  void total;
});
off();
client.on('order:status', (event) => {
  const status: 'ready' | string = event.data!.status;
  const version: number = event.data!.version;
  void status; void version;
});
client.on('state', (state: ClientState, previous: ClientState) => void [state, previous]);
client.on('*', (event: RealtimeEvent) => void event.seq);
const pinged: boolean = client.ping();
const delay: number = backoffDelay(3, { baseMs: 1000 });
const types: readonly string[] = BROADCAST_EVENTS;
void [pinged, delay, types];

const orders: ReadonlyMap<string, Order> = createOrderStore(client).getSnapshot();
void orders;

export function Board(): number {
  const state: ClientState = useRealtimeConnection(client);
  const open: ReadonlyMap<string, Order> = useOrders(client);
  const recent: readonly RealtimeEvent[] = useRestaurantEvents(client, ['notification:kitchen'], { limit: 5 });
  void state;
  return open.size + recent.length;
}

// @ts-expect-error: an unknown mode is a type error
new RealtimeClient({ getToken: () => 'jwt', mode: 'carrier-pigeon' });
