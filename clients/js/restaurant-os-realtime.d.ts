// Type declarations for restaurant-os-realtime.js (the Restaurant OS Realtime browser client).

/** Broadcast event types a client may subscribe to. */
export declare const BROADCAST_EVENTS: readonly BroadcastEventType[];
/** Server error codes after which the client does not reconnect on its own (a new token is needed). */
export declare const TERMINAL_ERROR_CODES: readonly ['UNAUTHORIZED', 'TENANT_VIOLATION'];
/** Client states, in the order a healthy client passes through them. */
export declare const CLIENT_STATES: readonly ClientState[];

/**
 * Reconnect delay for a 0-based attempt: full jitter, uniform in [minMs, min(maxMs, baseMs * 2^attempt)].
 * Defaults: baseMs 1000, maxMs 30000, minMs 250, random Math.random.
 */
export declare function backoffDelay(
  attempt: number,
  options?: { baseMs?: number; maxMs?: number; minMs?: number; random?: () => number },
): number;

/** The `exp` claim of a JWT in epoch milliseconds, or null for tokens that are not JWTs with a numeric exp. */
export declare function jwtExpiryMs(token: string): number | null;

export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';
export type ConnectMode = 'negotiate' | 'direct' | 'first-message';

export type BroadcastEventType =
  | 'order:created' | 'order:updated' | 'order:status' | 'payment:processed' | 'kds:update' | 'table:updated'
  | 'notification:kitchen' | 'notification:customer' | 'notification:refund'
  | 'presence:updated' | 'station:alert';

export type ReplyType =
  | 'connected' | 'authenticated' | 'subscribed' | 'unsubscribed' | 'pong' | 'replay' | 'resync' | 'error';

export type OrderStatus =
  | 'new' | 'pending' | 'confirmed' | 'preparing' | 'ready' | 'served' | 'picked-up' | 'completed' | 'cancelled';

export type ServerErrorCode =
  | 'INVALID_MESSAGE' | 'UNKNOWN_TYPE' | 'MESSAGE_TOO_BIG' | 'UNAUTHORIZED' | 'AUTH_TIMEOUT' | 'TENANT_VIOLATION'
  | 'NOT_AUTHENTICATED' | 'FORBIDDEN' | 'UNKNOWN_EVENT' | 'INVALID_FILTER' | 'SUBSCRIPTION_LIMIT' | 'RATE_LIMITED'
  | 'INTERNAL_ERROR';

/** Codes the client raises itself (never sent by the server). */
export type ClientErrorCode =
  | 'TOKEN_ERROR' | 'NEGOTIATE_FAILED' | 'SOCKET_ERROR' | 'CONNECT_TIMEOUT' | 'HEARTBEAT_TIMEOUT' | 'INVALID_FRAME'
  | 'POLICY_VIOLATION' | 'MESSAGE_TOO_BIG';

export interface OrderItem {
  id: string;
  menu_item_id: string;
  name: string;
  quantity: number;
  /** Integer cents. */
  price: number;
  modifiers: string[];
  special_instructions: string | null;
}

export interface Order {
  id: string;
  restaurant_id: string;
  order_number: string;
  type: string;
  status: OrderStatus;
  previous_status: OrderStatus | null;
  items: OrderItem[];
  subtotal: number;
  tax: number;
  tip: number;
  total: number;
  table_number: string | null;
  seat_number: number | null;
  customer_name: string | null;
  notes: string | null;
  payment_status: string;
  created_at: string;
  updated_at: string;
  version: number;
  status_version?: number;
}

export interface KdsOrder {
  id: string;
  order_number: string;
  status: OrderStatus;
  items: OrderItem[];
  prep_time: number | null;
  table_number: string | null;
  created_at: string;
  version: number;
}

export interface Table {
  id: string;
  restaurant_id: string;
  label: string;
  seats: number;
  status: 'available' | 'occupied' | 'reserved' | 'unavailable' | 'cleaning' | 'paid' | string;
  current_order_id: string | null;
  x: number;
  y: number;
  width: number;
  height: number;
  rotation: number;
  updated_at: string;
  version: number;
}

export interface Payment {
  id: string;
  restaurant_id: string;
  order_id: string;
  amount: number;
  payment_method: 'cash' | 'card' | 'house_account' | 'gift_card' | 'other' | string;
  payment_status: 'pending' | 'paid' | 'refunded' | 'failed' | string;
  created_at: string;
}

export interface Notification {
  id: string;
  restaurant_id: string;
  kind: string;
  order_id: string | null;
  table_number: string | null;
  message: string;
  created_at: string;
}

export interface EventDataMap {
  'order:created': { order: Order };
  'order:updated': { order: Order };
  'order:status': { order_id: string; status: OrderStatus; previous_status: OrderStatus | null; version: number };
  'payment:processed': { payment: Payment };
  'kds:update': { orders: KdsOrder[] };
  'table:updated': { table: Table };
  'notification:kitchen': { notification: Notification };
  'notification:customer': { notification: Notification };
  'notification:refund': { notification: Notification };
  'presence:updated': { change: 'joined' | 'left' | 'behind' | 'caught_up'; station: StationPresence };
  'station:alert': { alert: 'gone' | 'behind'; state: 'raised' | 'cleared'; station: StationPresence };
}

/** One screen of the restaurant (docs/events.md, station presence), as events and GET /api/presence carry it. */
export interface StationPresence {
  restaurant_id: string;
  /** `s.{station}`, or `c.{connection id}` for an unnamed screen. */
  key: string;
  station?: string | null;
  device?: string | null;
  role: string;
  user_id: string;
  connection_id: string;
  transport: string;
  connected_since: string;
  last_seen_at: string;
  applied_seq?: number | null;
  applied_at?: string | null;
  latest_seq?: number | null;
  status: 'live' | 'behind' | 'gone';
  gone_since?: string | null;
  alert?: 'gone' | 'behind' | null;
  alert_since?: string | null;
  version: number;
}

/** A server-to-client envelope. Broadcast events carry id, restaurant_id and seq (kds:update has no seq). */
export interface Envelope<T extends string = string, D = unknown> {
  type: T;
  id?: string;
  restaurant_id?: string;
  seq?: number;
  data?: D;
  timestamp: string;
}

export type RealtimeEvent<T extends BroadcastEventType = BroadcastEventType> = Envelope<T, EventDataMap[T]>;

export interface ConnectionInfo {
  connection_id?: string;
  authenticated: boolean;
  user_id?: string | null;
  role?: string | null;
  restaurant_id?: string | null;
  auth_timeout_seconds?: number;
}

export interface ReplyDataMap {
  connected: ConnectionInfo;
  authenticated: ConnectionInfo;
  subscribed: { events: string[]; filters: Record<string, string> | null; active: string[] };
  unsubscribed: { events: string[]; filters: Record<string, string> | null; active: string[] };
  pong: { server_time: number | string | null };
}

/** What 'error' handlers receive: a server `error` message or a condition the client detected. */
export interface RealtimeError {
  code: ServerErrorCode | ClientErrorCode | string;
  message: string;
  /** True when the client stopped and will not reconnect by itself (call refreshToken(token) or connect()). */
  terminal: boolean;
  source: 'server' | 'client' | 'negotiate' | 'close';
  /** The WebSocket close code, when a close caused the error. */
  closeCode?: number;
}

export interface ResyncInfo {
  since: number | null;
  latest_seq: number | null;
  /** Server reason, or 'replay-timeout' when the server never answered `resume`. */
  reason: string;
}

export interface ReplayInfo {
  since: number | null;
  latest_seq: number | null;
  count: number;
}

export interface DropInfo {
  reason: 'stale-seq' | 'duplicate-id' | 'stale-version';
  event: Envelope;
}

export interface Subscription {
  events: string[];
  filters?: { table_number?: string } & Record<string, string>;
}

export interface RealtimeClientOptions {
  /** How to connect. Default 'negotiate'. */
  mode?: ConnectMode;
  /** ws:// or wss:// hub URL; required for 'direct' and 'first-message'. */
  url?: string;
  /** Base URL of the API for 'negotiate' (GET {apiBase}/api/negotiate). Default location.origin. */
  apiBase?: string;
  /** Called before every (re)connect: return the app JWT. */
  getToken: () => string | Promise<string>;
  /**
   * This screen's station (e.g. 'grill-kds-1') and device, for station presence. Sent with `auth` in
   * 'first-message' mode; in the other modes the token names them (a station claim).
   */
  station?: string;
  device?: string;
  /** Subscriptions sent after every (re)connect. */
  subscriptions?: Subscription[];
  /** Resume from this seq on the first connect (e.g. persisted by the app). */
  initialSeq?: number;
  WebSocket?: new (url: string) => WebSocket;
  fetch?: (url: string, init?: any) => Promise<{ ok: boolean; status: number; json(): Promise<any> }>;
  setTimeout?: (fn: () => void, ms: number) => any;
  clearTimeout?: (handle: any) => void;
  setInterval?: (fn: () => void, ms: number) => any;
  clearInterval?: (handle: any) => void;
  /** Clock for token-expiry arithmetic (epoch ms). Default Date.now. */
  now?: () => number;
  /** Send a fresh token (from getToken) this long before a JWT's exp; at most 10% of its lifetime. Default 60000. */
  tokenRefreshLeadMs?: number;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: () => number;
  /** Backoff cap. Default 30000. */
  maxReconnectDelayMs?: number;
  /** Backoff base (first ceiling). Default 1000. */
  baseReconnectDelayMs?: number;
  /** Backoff floor. Default 250. */
  minReconnectDelayMs?: number;
  /** Ping interval. Default 30000. */
  heartbeatMs?: number;
  /** After a ping, how long to wait for any message before reconnecting. Default 10000. */
  pongTimeoutMs?: number;
  /** How long a new socket may take to become authenticated. Default 15000. */
  connectTimeoutMs?: number;
  /** A connection open this long resets the backoff. Default 10000. */
  stableAfterMs?: number;
  /** How long to wait for `replay`/`resync` after `resume`. Default 10000. */
  replayTimeoutMs?: number;
  /** Event ids remembered for deduplication. Default 2048. */
  dedupeSize?: number;
  /** Order/table versions remembered. Default 10000. */
  versionCacheSize?: number;
  /** console.debug logging; default localStorage.DEBUG_WS === 'true'. */
  debug?: boolean;
  /**
   * Where `online` fires (default globalThis.window). When it fires while a reconnect waits out its backoff, the
   * client reconnects at once. Pass null to turn this off.
   */
  window?: WakeTarget | null;
  /**
   * Where `visibilitychange` fires (default globalThis.document). When the page becomes visible again, a waiting
   * reconnect happens at once and an open socket is probed with a ping (a tablet that slept). Pass null to turn off.
   */
  document?: (WakeTarget & { readonly visibilityState?: string }) | null;
}

/** The part of EventTarget the client uses for wake-ups. */
export interface WakeTarget {
  addEventListener(type: string, listener: (event: { type: string }) => void): void;
  removeEventListener(type: string, listener: (event: { type: string }) => void): void;
}

export declare class RealtimeClient {
  constructor(options: RealtimeClientOptions);
  /** Current state of the single connection state machine. */
  readonly state: ClientState;
  /** Highest seq applied so far, or null. */
  readonly lastSeq: number | null;
  /** Data of the last `connected`/`authenticated` reply. */
  readonly connection: ConnectionInfo | null;
  /** The subscribe/unsubscribe messages re-sent after every reconnect, in order. */
  readonly subscriptions: ReadonlyArray<{ type: 'subscribe' | 'unsubscribe'; events: string[]; filters?: Record<string, string> }>;

  /** Start connecting; idempotent while connecting/open/reconnecting. Never rejects. */
  connect(): Promise<void>;
  /** Close the socket and cancel every timer; no reconnect follows. */
  close(code?: number, reason?: string): void;
  /** Subscribe (remembered across reconnects). */
  subscribe(events: string | string[], filters?: { table_number?: string } & Record<string, string>): void;
  /** Unsubscribe (remembered across reconnects). */
  unsubscribe(events: string | string[]): void;
  /** Send a `ping` (with `applied_seq`, the last seq applied, once there is one); if no message arrives within pongTimeoutMs the connection is replaced. False when not open. */
  ping(): boolean;
  /** Send `auth` with a new token on the open socket, or keep it for the next connect. */
  refreshToken(token?: string): Promise<void>;

  on<T extends BroadcastEventType>(type: T, handler: (event: RealtimeEvent<T>) => void): () => void;
  on<T extends keyof ReplyDataMap>(type: T, handler: (message: Envelope<T, ReplyDataMap[T]>) => void): () => void;
  on(type: '*', handler: (event: RealtimeEvent) => void): () => void;
  on(type: 'message', handler: (message: Envelope) => void): () => void;
  on(type: 'state', handler: (state: ClientState, previous: ClientState) => void): () => void;
  on(type: 'error', handler: (error: RealtimeError) => void): () => void;
  on(type: 'resync', handler: (info: ResyncInfo) => void): () => void;
  on(type: 'replay', handler: (info: ReplayInfo) => void): () => void;
  on(type: 'drop', handler: (info: DropInfo) => void): () => void;
}
