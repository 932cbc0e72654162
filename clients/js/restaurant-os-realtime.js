// Restaurant OS Realtime — browser client (plain ES module, no dependencies, no build step).
// Package: @restaurant-os/realtime (clients/js); DevHost serves this same file at /js/restaurant-os-realtime.js.
//
// Owns exactly ONE WebSocket and ONE set of timers per RealtimeClient object, driven by a single state
// machine: idle -> connecting -> open -> reconnecting -> open ... -> closed. Every asynchronous step
// (token, negotiate, socket events, timers) is tagged with a generation number; close() or a new attempt
// bumps the generation, so a late callback from an abandoned attempt can never open a second socket or
// start a second timer (the seed's duplicate-socket and timer-leak bugs).
//
// Delivery guarantees to the app (the rules live in delivery-gate.js):
// - events are deduplicated by event `id` (bounded LRU) and by `seq` (anything at or below the last applied
//   seq is dropped); seq gaps are NORMAL (a connection sees a filtered subset) and are never treated as loss;
// - after a reconnect the client sends `resume` with the last applied seq; live events that arrive while
//   the replay is in flight are held and merged with the replay in seq order;
// - an order (or table) event whose `version` is older than one already delivered is dropped.

import { DeliveryGate } from './delivery-gate.js';

/** Broadcast event types a client may subscribe to. */
export const BROADCAST_EVENTS = Object.freeze([
  'order:created', 'order:updated', 'order:status', 'payment:processed', 'kds:update', 'table:updated',
  'notification:kitchen', 'notification:customer', 'notification:refund', 'presence:updated', 'station:alert',
]);

/** Server error codes after which the client does not reconnect (a new token is needed). */
export const TERMINAL_ERROR_CODES = Object.freeze(['UNAUTHORIZED', 'TENANT_VIOLATION']);

/** Client states, in the order a healthy client passes through them. */
export const CLIENT_STATES = Object.freeze(['idle', 'connecting', 'open', 'reconnecting', 'closed']);

const WS_OPEN = 1;
const MAX_FRAME_BYTES = 64 * 1024;
const REPLY_TYPES = new Set(['connected', 'authenticated', 'subscribed', 'unsubscribed', 'pong', 'replay', 'resync', 'error']);

/**
 * Reconnect delay for a 0-based attempt: "full jitter" — uniform in [min, ceiling] where
 * ceiling = min(max, base * 2^attempt). The floor keeps a client from reconnecting in a hot loop when
 * random() happens to be close to 0.
 * @param {number} attempt
 * @param {{baseMs?: number, maxMs?: number, minMs?: number, random?: () => number}} [o]
 */
export function backoffDelay(attempt, o = {}) {
  const base = o.baseMs ?? 1000;
  const max = o.maxMs ?? 30000;
  const min = Math.min(o.minMs ?? 250, max);
  const random = o.random ?? Math.random;
  const ceiling = Math.min(max, base * 2 ** Math.min(Math.max(attempt, 0), 30));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.max(min, Math.round(r * ceiling));
}

function debugEnabledByStorage() {
  try {
    return globalThis.localStorage?.getItem('DEBUG_WS') === 'true';
  } catch {
    return false; // localStorage may throw (sandboxed iframe, privacy mode) or not exist (Node, workers)
  }
}

function redact(url) {
  return String(url).replace(/([?&](?:token|access_token)=)[^&]*/g, '$1***');
}

/** The `exp` of a JWT in epoch ms, or null when the token is not a JWT with a numeric exp. */
export function jwtExpiryMs(token) {
  try {
    const part = String(token).split('.')[1];
    if (!part) return null;
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const exp = JSON.parse(globalThis.atob(b64))?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
  } catch {
    return null;
  }
}

/** The client-visible subscription model: a compacted log replayed in order after every reconnect. */
function normalizeEvents(events) {
  if (typeof events === 'string') events = [events];
  if (!Array.isArray(events) || events.length === 0 || events.some((e) => typeof e !== 'string' || e === '')) {
    throw new TypeError('events must be a non-empty array of event type strings');
  }
  return [...new Set(events)];
}

function normalizeFilters(filters) {
  if (filters == null) return null;
  if (typeof filters !== 'object' || Array.isArray(filters)) throw new TypeError('filters must be an object');
  const out = {};
  for (const k of Object.keys(filters).sort()) {
    if (filters[k] !== undefined && filters[k] !== null && filters[k] !== '') out[k] = filters[k];
  }
  return Object.keys(out).length ? out : null;
}

export class RealtimeClient {
  /**
   * @param {object} options see restaurant-os-realtime.d.ts (RealtimeClientOptions)
   */
  constructor(options) {
    if (!options || typeof options !== 'object') throw new TypeError('options are required');
    const mode = options.mode ?? 'negotiate';
    if (!['negotiate', 'direct', 'first-message'].includes(mode)) {
      throw new TypeError(`mode must be 'negotiate', 'direct' or 'first-message' (got '${mode}')`);
    }
    if (typeof options.getToken !== 'function') throw new TypeError('getToken must be a function returning a token');
    if (mode !== 'negotiate' && !options.url) throw new TypeError(`url (the ws:// or wss:// hub URL) is required in '${mode}' mode`);
    const g = globalThis;
    this._mode = mode;
    this._url = options.url ?? null;
    this._apiBase = (options.apiBase ?? g.location?.origin ?? '').replace(/\/+$/, '');
    this._getToken = options.getToken;
    // The screen's station and device, sent with `auth` ('first-message' mode); otherwise the token names them.
    this._station = options.station ?? null;
    this._device = options.device ?? null;
    this._WebSocket = options.WebSocket ?? g.WebSocket;
    this._fetch = options.fetch ?? ((...a) => g.fetch(...a));
    this._setTimeout = options.setTimeout ?? ((f, ms) => g.setTimeout(f, ms));
    this._clearTimeout = options.clearTimeout ?? ((h) => g.clearTimeout(h));
    this._setInterval = options.setInterval ?? ((f, ms) => g.setInterval(f, ms));
    this._clearInterval = options.clearInterval ?? ((h) => g.clearInterval(h));
    this._random = options.random ?? Math.random;
    this._now = options.now ?? (() => Date.now());
    this._refreshLeadMs = options.tokenRefreshLeadMs ?? 60000;
    this._debug = options.debug ?? debugEnabledByStorage();
    this._maxDelay = options.maxReconnectDelayMs ?? 30000;
    this._baseDelay = options.baseReconnectDelayMs ?? 1000;
    this._minDelay = options.minReconnectDelayMs ?? 250;
    this._heartbeatMs = options.heartbeatMs ?? 30000;
    this._pongTimeoutMs = options.pongTimeoutMs ?? 10000;
    this._connectTimeoutMs = options.connectTimeoutMs ?? 15000;
    this._stableAfterMs = options.stableAfterMs ?? 10000;
    this._replayTimeoutMs = options.replayTimeoutMs ?? 10000;
    if (typeof this._WebSocket !== 'function') throw new TypeError('no WebSocket constructor available: pass options.WebSocket');
    // Where the browser says it is back: `online` on the window, `visibilitychange` on the document.
    this._wakeWindow = options.window !== undefined ? options.window : (g.window ?? null);
    this._wakeDocument = options.document !== undefined ? options.document : (g.document ?? null);
    this._onWake = (ev) => this._wake(ev?.type ?? 'wake');
    this._wakeAttached = false;

    this._state = 'idle';
    this._gen = 0;              // bumped on every new attempt and on close(): stale callbacks compare and bail
    this._ws = null;
    this._timers = { reconnect: null, heartbeat: null, watchdog: null, stable: null, replay: null, refresh: null };
    this._attempt = 0;          // reconnect attempts since the last stable connection
    this._handlers = new Map();
    // What reaches the app and in which order: seq, id and version checks, events held during a replay.
    this._gate = new DeliveryGate({ initialSeq: options.initialSeq, dedupeSize: options.dedupeSize, versionCacheSize: options.versionCacheSize });
    this._subLog = [];          // [{type:'subscribe'|'unsubscribe', events, filters?}], compacted
    this._pendingToken = null;  // a token given to refreshToken() while no socket could take it
    this._token = null;         // the token the current connection authenticated (or is authenticating) with
    this._authSent = false;
    this._authenticated = false;
    this._lastErrorCode = null; // last server error code on the current socket (explains a following close)
    this._authTimeoutRetried = false;
    this._closedBy = null;      // 'user' | 'terminal'
    this._connection = null;
    this._connectPromise = null;
    for (const s of options.subscriptions ?? []) this._recordSubscribe(normalizeEvents(s.events), normalizeFilters(s.filters));
  }

  /** Current state: 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'. */
  get state() { return this._state; }
  /** Highest seq applied (delivered) so far, or null if none. */
  get lastSeq() { return this._gate.lastSeq; }
  /** Data of the last `connected`/`authenticated` reply (connection_id, user_id, role, restaurant_id…). */
  get connection() { return this._connection; }
  /** The subscribe/unsubscribe messages the client re-sends after every reconnect, in order. */
  get subscriptions() { return this._subLog.map((m) => ({ ...m, events: [...m.events] })); }

  /**
   * Register a handler. Channels: an event/reply type ('order:created', 'pong', …), '*' (every delivered
   * broadcast event), 'message' (every raw frame received), 'state', 'error', 'resync', 'replay', 'drop'.
   * @returns {() => void} unsubscribe function
   */
  on(type, handler) {
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    let set = this._handlers.get(type);
    if (!set) this._handlers.set(type, (set = new Set()));
    const entry = (...a) => handler(...a); // wrap so the same function can be registered twice independently
    set.add(entry);
    return () => { set.delete(entry); };
  }

  /** Start connecting. Idempotent while connecting/open/reconnecting. Never rejects. */
  connect() {
    if (this._state === 'connecting' || this._state === 'open' || this._state === 'reconnecting') {
      return this._connectPromise ?? Promise.resolve();
    }
    this._closedBy = null;
    this._attempt = 0;
    this._authTimeoutRetried = false;
    this._attachWakeListeners();
    this._setState('connecting');
    return (this._connectPromise = this._openSocket());
  }

  /** Close the socket, cancel every timer and pending step. No reconnect follows. */
  close(code = 1000, reason = 'client close') {
    this._closedBy = 'user';
    this._pendingToken = null; // a later connect() asks getToken() for a token that is fresh then
    this._shutdown(code, reason);
  }

  /**
   * Subscribe to event types (optionally filtered, e.g. {table_number:'T5'}). Remembered and re-sent after
   * every reconnect; sent now if the connection is open.
   */
  subscribe(events, filters) {
    const ev = normalizeEvents(events);
    const f = normalizeFilters(filters);
    this._recordSubscribe(ev, f);
    if (this._state === 'open') this._send(f ? { type: 'subscribe', events: ev, filters: f } : { type: 'subscribe', events: ev });
  }

  /** Unsubscribe from event types (every filter variant). Remembered across reconnects. */
  unsubscribe(events) {
    const ev = normalizeEvents(events);
    this._recordUnsubscribe(ev);
    if (this._state === 'open') this._send({ type: 'unsubscribe', events: ev });
  }

  /**
   * Give the connection a new token. With an open socket, sends `auth` on it (the server answers
   * `authenticated`). Otherwise the token is used by the next connect; a client closed by an auth failure
   * reconnects with it. Without an argument, getToken() is called.
   */
  async refreshToken(token) {
    if (token === undefined || token === null) token = await this._getToken();
    if (typeof token !== 'string' || token === '') throw new TypeError('token must be a non-empty string');
    if (this._closedBy === 'user') return; // closed on purpose: nothing to authenticate
    if (this._ws && this._ws.readyState === WS_OPEN) {
      this._authSent = true;
      if (this._send(this._authMessage(token))) this._token = token;
      return;
    }
    this._pendingToken = token;
    if (this._state === 'closed' && this._closedBy === 'terminal') await this.connect();
  }

  /**
   * Send a `ping` now (the heartbeat does this every heartbeatMs). If no message at all arrives within
   * pongTimeoutMs, the connection is considered dead and replaced. Returns false when not open.
   */
  /** An `auth` message for `token`, naming the station and device when the options do. */
  _authMessage(token) {
    const message = { type: 'auth', token };
    if (this._station) message.station = this._station;
    if (this._device) message.device = this._device;
    return message;
  }

  ping() {
    if (this._state !== 'open') return false;
    // The heartbeat doubles as a delivery receipt: the last seq this screen applied (omitted until there is one).
    const applied = this._gate.lastSeq;
    const sent = this._send(applied === null ? { type: 'ping' } : { type: 'ping', applied_seq: applied });
    if (sent && this._timers.watchdog == null) this._setWatchdog(this._pongTimeoutMs, 'heartbeat-timeout');
    return sent;
  }

  // ---------------------------------------------------------------- connection lifecycle

  async _openSocket() {
    this._teardownSocket(1000, 'replaced');
    const gen = ++this._gen;
    let token;
    try {
      token = this._pendingToken ?? (await this._getToken());
    } catch (err) {
      if (gen !== this._gen) return;
      this._emitError({ code: 'TOKEN_ERROR', message: `getToken failed: ${err?.message ?? err}`, terminal: false, source: 'client' });
      this._scheduleReconnect();
      return;
    }
    if (gen !== this._gen) return;
    this._pendingToken = null;
    if (typeof token !== 'string' || token === '') {
      this._emitError({ code: 'TOKEN_ERROR', message: 'getToken returned no token', terminal: false, source: 'client' });
      this._scheduleReconnect();
      return;
    }

    let url;
    if (this._mode === 'negotiate') {
      try {
        const res = await this._fetch(`${this._apiBase}/api/negotiate`, {
          method: 'GET',
          headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
        });
        if (gen !== this._gen) return;
        if (res.status === 401 || res.status === 403) {
          this._terminal({ code: 'UNAUTHORIZED', message: `negotiate refused the token (HTTP ${res.status})`, source: 'negotiate' });
          return;
        }
        if (!res.ok) throw new Error(`negotiate failed with HTTP ${res.status}`);
        const body = await res.json();
        if (gen !== this._gen) return;
        if (!body || typeof body.url !== 'string') throw new Error('negotiate response has no url');
        url = body.url;
      } catch (err) {
        if (gen !== this._gen) return;
        this._emitError({ code: 'NEGOTIATE_FAILED', message: String(err?.message ?? err), terminal: false, source: 'negotiate' });
        this._scheduleReconnect();
        return;
      }
    } else if (this._mode === 'direct') {
      url = this._url + (this._url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token);
    } else {
      url = this._url;
    }

    this._log('opening', redact(url), 'mode', this._mode);
    let ws;
    try {
      ws = new this._WebSocket(url);
    } catch (err) {
      this._emitError({ code: 'SOCKET_ERROR', message: String(err?.message ?? err), terminal: false, source: 'client' });
      this._scheduleReconnect();
      return;
    }
    this._ws = ws;
    this._token = token;
    this._authSent = false;
    this._authenticated = false;
    this._lastErrorCode = null;
    this._setWatchdog(this._connectTimeoutMs, 'connect-timeout');

    ws.onopen = () => {
      if (gen !== this._gen) return;
      this._log('socket open');
      if (this._mode === 'first-message') {
        this._authSent = true;
        this._send(this._authMessage(token));
      }
    };
    ws.onmessage = (ev) => {
      if (gen !== this._gen) return;
      this._onFrame(ev.data, token);
    };
    ws.onerror = () => {
      if (gen !== this._gen) return;
      this._log('socket error'); // a close event follows; that is where we decide
    };
    ws.onclose = (ev) => {
      if (gen !== this._gen) return;
      this._onSocketClosed(ev?.code ?? 1006, ev?.reason ?? '');
    };
  }

  _onSocketClosed(code, reason) {
    this._log('socket closed', code, reason, 'last error', this._lastErrorCode);
    const lastError = this._lastErrorCode;
    this._detach();
    this._clearConnectionTimers();
    if (code === 1008) {
      if (lastError === 'AUTH_TIMEOUT' && !this._authTimeoutRetried) {
        // We failed to authenticate in time (slow token?). One retry with a fresh token is reasonable.
        this._authTimeoutRetried = true;
        this._scheduleReconnect();
        return;
      }
      if (lastError === 'RATE_LIMITED') { this._scheduleReconnect(); return; }
      this._terminal({
        code: lastError ?? 'POLICY_VIOLATION',
        message: `server closed the connection with 1008 (policy violation${reason ? `: ${reason}` : ''}); a new token is needed`,
        closeCode: code,
        source: 'close',
      });
      return;
    }
    this._scheduleReconnect();
  }

  _scheduleReconnect() {
    if (this._closedBy) return;
    this._teardownSocket(1000, 'reconnecting');
    this._clearConnectionTimers();
    this._clearTimer('reconnect');
    const delay = backoffDelay(this._attempt, { baseMs: this._baseDelay, maxMs: this._maxDelay, minMs: this._minDelay, random: this._random });
    this._attempt++;
    this._setState('reconnecting');
    this._log('reconnect in', delay, 'ms (attempt', this._attempt, ')');
    const gen = ++this._gen; // invalidates anything still in flight from the previous attempt
    this._timers.reconnect = this._setTimeout(() => {
      this._timers.reconnect = null;
      if (gen !== this._gen || this._closedBy) return;
      this._connectPromise = this._openSocket();
    }, delay);
  }

  _attachWakeListeners() {
    if (this._wakeAttached) return;
    this._wakeWindow?.addEventListener?.('online', this._onWake);
    this._wakeDocument?.addEventListener?.('visibilitychange', this._onWake);
    this._wakeAttached = true;
  }

  _detachWakeListeners() {
    if (!this._wakeAttached) return;
    this._wakeWindow?.removeEventListener?.('online', this._onWake);
    this._wakeDocument?.removeEventListener?.('visibilitychange', this._onWake);
    this._wakeAttached = false;
  }

  /**
   * The network is back or the page is visible again (a tablet that slept). Waiting out the backoff (up to
   * maxReconnectDelayMs) would leave the screen showing old tickets: a pending reconnect happens now. An open
   * socket may have died while the device slept without any close event, so it is probed with a ping, and the
   * watchdog replaces it if nothing answers within pongTimeoutMs. An attempt already in flight is left alone, so
   * a wake never opens a second socket.
   */
  _wake(reason) {
    if (this._closedBy) return;
    if (reason === 'visibilitychange' && this._wakeDocument?.visibilityState !== 'visible') return;
    if (this._state === 'reconnecting' && this._timers.reconnect != null) {
      this._log('wake (', reason, '): reconnecting now');
      this._clearTimer('reconnect');
      this._connectPromise = this._openSocket();
    } else if (this._state === 'open') {
      this.ping();
    }
  }

  _terminal(err) {
    this._closedBy = 'terminal';
    this._emitError({ ...err, terminal: true });
    this._shutdown(1000, 'terminal error');
  }

  _shutdown(code, reason) {
    this._gen++;
    this._detachWakeListeners();
    this._teardownSocket(code, reason);
    this._clearAllTimers();
    this._gate.reset();
    this._authenticated = false;
    this._setState('closed');
  }

  _detach() {
    const ws = this._ws;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    this._ws = null;
    this._gate.reset();
    this._authenticated = false;
  }

  _teardownSocket(code, reason) {
    const ws = this._ws;
    if (!ws) return;
    this._detach();
    try { ws.close(code, reason); } catch { /* already closing or invalid state: nothing to clean up */ }
  }

  // ---------------------------------------------------------------- timers (one set per client)

  _clearTimer(name) {
    const h = this._timers[name];
    if (h == null) return;
    if (name === 'heartbeat') this._clearInterval(h); else this._clearTimeout(h);
    this._timers[name] = null;
  }

  _clearConnectionTimers() {
    for (const n of ['heartbeat', 'watchdog', 'stable', 'replay', 'refresh']) this._clearTimer(n);
  }

  _clearAllTimers() {
    for (const n of Object.keys(this._timers)) this._clearTimer(n);
  }

  _setWatchdog(ms, why) {
    this._clearTimer('watchdog');
    const gen = this._gen;
    this._timers.watchdog = this._setTimeout(() => {
      this._timers.watchdog = null;
      if (gen !== this._gen) return;
      this._log('watchdog fired:', why);
      this._emitError({ code: why === 'connect-timeout' ? 'CONNECT_TIMEOUT' : 'HEARTBEAT_TIMEOUT', message: `no message from the server (${why})`, terminal: false, source: 'client' });
      this._teardownSocket(4000, why);
      this._scheduleReconnect();
    }, ms);
  }

  /**
   * The server closes a connection whose token has expired (UNAUTHORIZED, terminal), so a long-running screen
   * sends a fresh token shortly before the current one expires. Opaque (non-JWT) tokens are not refreshed.
   */
  _scheduleTokenRefresh() {
    this._clearTimer('refresh');
    const exp = jwtExpiryMs(this._token);
    if (exp === null) return;
    const lifetime = exp - this._now();
    const lead = Math.min(this._refreshLeadMs, Math.max(1000, lifetime / 10));
    const delay = Math.min(Math.max(1000, lifetime - lead), 2147483647); // setTimeout's 32-bit limit
    const gen = this._gen;
    this._timers.refresh = this._setTimeout(async () => {
      this._timers.refresh = null;
      if (gen !== this._gen) return;
      let token;
      try {
        token = await this._getToken();
      } catch (err) {
        if (gen !== this._gen) return;
        this._emitError({ code: 'TOKEN_ERROR', message: `token refresh failed: ${err?.message ?? err}`, terminal: false, source: 'client' });
        if (this._now() < exp - 1000) this._timers.refresh = this._setTimeout(() => { this._timers.refresh = null; if (gen === this._gen) this._scheduleTokenRefresh(); }, 5000);
        return;
      }
      if (gen !== this._gen || typeof token !== 'string' || token === '') return;
      this._log('refreshing token before it expires');
      if (this._send(this._authMessage(token))) this._token = token;
    }, delay);
  }

  _startHeartbeat() {
    this._clearTimer('heartbeat');
    const gen = this._gen;
    this._timers.heartbeat = this._setInterval(() => {
      if (gen === this._gen) this.ping();
    }, this._heartbeatMs);
  }

  // ---------------------------------------------------------------- inbound

  _onFrame(raw, token) {
    // Any frame proves the connection is alive: cancel the pong wait (not the connect timeout before auth).
    if (this._authenticated) this._clearTimer('watchdog');
    let msg;
    try {
      msg = JSON.parse(typeof raw === 'string' ? raw : new TextDecoder().decode(raw));
    } catch {
      this._emitError({ code: 'INVALID_FRAME', message: 'received a frame that is not JSON', terminal: false, source: 'client' });
      return;
    }
    if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') return;
    this._emit('message', msg);

    switch (msg.type) {
      case 'connected':
      case 'authenticated': {
        const data = msg.data ?? {};
        const ok = msg.type === 'authenticated' || data.authenticated === true;
        // The hello can race the reply to a first-message auth: an unauthenticated `connected` that arrives
        // after `authenticated` must not make the connection look unauthenticated again.
        if (ok || !this._authenticated) this._connection = data;
        this._emit(msg.type, msg);
        if (ok) this._onAuthenticated();
        else if (!this._authSent) {
          // Server did not take the token from the URL: fall back to the first-message handshake.
          this._authSent = true;
          this._send({ type: 'auth', token });
        }
        return;
      }
      case 'error': {
        const data = msg.data ?? {};
        this._lastErrorCode = data.code ?? null;
        if (TERMINAL_ERROR_CODES.includes(data.code)) {
          this._terminal({ code: data.code, message: data.message ?? '', source: 'server' });
          return;
        }
        this._emitError({ code: data.code ?? 'UNKNOWN', message: data.message ?? '', terminal: false, source: 'server' });
        return;
      }
      case 'replay':
        this._onReplay(msg.data ?? {});
        return;
      case 'resync':
        this._onResync(msg.data ?? {});
        return;
      default:
        if (REPLY_TYPES.has(msg.type)) { this._emit(msg.type, msg); return; }
        this._onEvent(msg);
    }
  }

  _onAuthenticated() {
    this._scheduleTokenRefresh();
    if (this._authenticated) return; // a token refresh on an open connection: nothing else to do
    this._authenticated = true;
    this._clearTimer('watchdog');
    this._authTimeoutRetried = false;
    this._setState('open');
    this._startHeartbeat();
    const gen = this._gen;
    this._timers.stable = this._setTimeout(() => {
      this._timers.stable = null;
      if (gen === this._gen) this._attempt = 0; // only a connection that stayed up resets the backoff
    }, this._stableAfterMs);
    // Subscriptions first, so the replay is filtered like the live stream will be.
    for (const m of this._subLog) this._send(m);
    if (this._gate.lastSeq !== null) {
      this._gate.beginReplay(); // events that beat the hello are held already; they merge with the replay
      this._send({ type: 'resume', since: this._gate.lastSeq });
      this._timers.replay = this._setTimeout(() => {
        this._timers.replay = null;
        if (gen !== this._gen || !this._gate.replayPending) return;
        // No answer to resume: flush what we hold and tell the app to reload, since we may have a hole.
        this._emit('resync', { since: this._gate.lastSeq, latest_seq: null, reason: 'replay-timeout' });
        this._deliver(this._gate.timedOut());
      }, this._replayTimeoutMs);
    }
  }

  _onReplay(data) {
    const events = Array.isArray(data.events) ? data.events.filter((e) => e && typeof e.type === 'string') : [];
    this._clearTimer('replay');
    this._deliver(this._gate.replayed(events));
    this._emit('replay', { since: data.since ?? null, latest_seq: data.latest_seq ?? null, count: events.length });
  }

  _onResync(data) {
    this._clearTimer('replay');
    // History no longer reaches back: the app reloads snapshots, which hold everything up to latest_seq.
    const outcomes = this._gate.resynced(data.latest_seq);
    this._emit('resync', data);
    this._deliver(outcomes);
  }

  _onEvent(e) {
    // On a reconnect, events can arrive before the `connected` hello (groups deliver first): applying them then
    // would move lastSeq past events the resume has yet to replay, so the gate holds them.
    const resumeAhead = !this._authenticated && this._gate.lastSeq !== null;
    this._deliver(this._gate.offer(e, resumeAhead));
  }

  /** Emits the gate's decisions in order: the event to its type's handlers and '*', or a 'drop'. */
  _deliver(outcomes) {
    for (const o of outcomes) {
      if (o.deliver) {
        this._emit(o.deliver.type, o.deliver);
        this._emit('*', o.deliver);
      } else {
        this._log('drop', o.reason, o.drop.type, o.drop.id, o.drop.seq);
        this._emit('drop', { reason: o.reason, event: o.drop });
      }
    }
  }

  // ---------------------------------------------------------------- outbound

  _send(obj) {
    const ws = this._ws;
    if (!ws || ws.readyState !== WS_OPEN) return false;
    const text = JSON.stringify(obj);
    if (new TextEncoder().encode(text).length > MAX_FRAME_BYTES) {
      this._emitError({ code: 'MESSAGE_TOO_BIG', message: `refusing to send a ${obj.type} frame over 64 KB`, terminal: false, source: 'client' });
      return false;
    }
    this._log('send', obj.type === 'auth' ? '{"type":"auth","token":"***"}' : text);
    ws.send(text);
    return true;
  }

  _recordSubscribe(events, filters) {
    const key = JSON.stringify(filters);
    const dup = this._subLog.find((m) => m.type === 'subscribe' && JSON.stringify(m.filters ?? null) === key
      && m.events.length === events.length && m.events.every((x) => events.includes(x)));
    if (dup) return;
    this._subLog.push(filters ? { type: 'subscribe', events, filters } : { type: 'subscribe', events });
  }

  _recordUnsubscribe(events) {
    // An unsubscribe before any subscribe narrows the server's default set: keep it (merged) at the front.
    // Otherwise it removes those events from earlier subscribes; an empty set is the default again.
    const hasSubscribe = this._subLog.some((m) => m.type === 'subscribe');
    if (!hasSubscribe) {
      const lead = this._subLog.find((m) => m.type === 'unsubscribe');
      if (lead) lead.events = [...new Set([...lead.events, ...events])];
      else this._subLog.unshift({ type: 'unsubscribe', events: [...events] });
      return;
    }
    for (const m of this._subLog) if (m.type === 'subscribe') m.events = m.events.filter((x) => !events.includes(x));
    this._subLog = this._subLog.filter((m) => m.events.length > 0);
  }

  // ---------------------------------------------------------------- plumbing

  _setState(next) {
    if (this._state === next) return;
    const prev = this._state;
    this._state = next;
    this._log('state', prev, '->', next);
    this._emit('state', next, prev);
  }

  _emitError(err) {
    this._log('error', err.code, err.message);
    this._emit('error', err);
  }

  _emit(type, ...args) {
    const set = this._handlers.get(type);
    if (!set) return;
    for (const h of [...set]) {
      try {
        h(...args);
      } catch (err) {
        // A faulty app handler must not break the connection's state machine.
        (globalThis.console?.error ?? (() => {}))('[realtime] handler for', type, 'threw', err);
      }
    }
  }

  _log(...args) {
    if (this._debug) globalThis.console?.debug?.('[realtime]', ...args);
  }
}
