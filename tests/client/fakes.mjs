// Deterministic fakes for the realtime client tests: virtual timers and a scriptable WebSocket.
// No sleeping: time only moves when a test calls timers.advance(ms).

export class FakeTimers {
  constructor() {
    this.now = 0;
    this.nextId = 1;
    this.timers = new Map(); // id -> { at, fn, interval }
    this.log = [];           // every setTimeout/setInterval call: { kind, ms }
    this.setTimeout = (fn, ms) => this._add(fn, ms, false);
    this.setInterval = (fn, ms) => this._add(fn, ms, true);
    this.clearTimeout = (id) => { this.timers.delete(id); };
    this.clearInterval = (id) => { this.timers.delete(id); };
  }

  _add(fn, ms, interval) {
    const id = this.nextId++;
    const delay = Math.max(0, Number(ms) || 0);
    this.timers.set(id, { at: this.now + delay, fn, interval: interval ? Math.max(1, delay) : 0 });
    this.log.push({ kind: interval ? 'interval' : 'timeout', ms: delay });
    return id;
  }

  /** Number of timers (timeouts + intervals) still scheduled. */
  get active() { return this.timers.size; }

  /** Delays of the timeouts scheduled so far, in order. */
  timeoutDelays() { return this.log.filter((t) => t.kind === 'timeout').map((t) => t.ms); }

  /** Move virtual time forward, firing due timers in time order (a timer scheduled while firing also runs if due). */
  advance(ms) {
    const end = this.now + ms;
    for (;;) {
      let nextId = null;
      let next = null;
      for (const [id, t] of this.timers) {
        if (t.at <= end && (next === null || t.at < next.at || (t.at === next.at && id < nextId))) { next = t; nextId = id; }
      }
      if (next === null) break;
      this.now = next.at;
      if (next.interval) next.at += next.interval; else this.timers.delete(nextId);
      next.fn();
    }
    this.now = end;
  }
}

export function makeFakeWebSocket() {
  class FakeWebSocket {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;
    static instances = [];

    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      this.closedByClient = null;
      this.onopen = this.onmessage = this.onerror = this.onclose = null;
      FakeWebSocket.instances.push(this);
    }

    send(text) {
      if (this.readyState !== 1) throw new Error('InvalidStateError: send on a socket that is not open');
      this.sent.push(JSON.parse(text));
    }

    close(code = 1000, reason = '') {
      if (this.readyState === 3) return;
      this.readyState = 3;
      this.closedByClient = { code, reason };
    }

    // ---- server side of the script
    serverOpen() { this.readyState = 1; this.onopen?.({}); }
    serverSend(obj) { this.onmessage?.({ data: typeof obj === 'string' ? obj : JSON.stringify(obj) }); }
    serverClose(code = 1006, reason = '') { this.readyState = 3; this.onclose?.({ code, reason, wasClean: code !== 1006 }); }

    sentTypes() { return this.sent.map((m) => m.type); }

    static get last() { return FakeWebSocket.instances[FakeWebSocket.instances.length - 1]; }
    /** Sockets the client has not closed and the server has not closed. */
    static live() { return FakeWebSocket.instances.filter((w) => w.readyState !== 3); }
  }
  return FakeWebSocket;
}

/** Let pending promise callbacks (token, fetch, json) run. */
export async function flush(rounds = 10) {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

export function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

let eventCounter = 0;
/** A broadcast envelope as the server sends it. */
export function ev(type, seq, data = {}, extra = {}) {
  eventCounter++;
  return { type, id: extra.id ?? `evt-${type}-${seq ?? 'noseq'}-${eventCounter}`, restaurant_id: 'r1', ...(seq == null ? {} : { seq }), data, timestamp: '2026-11-26T15:00:00Z', ...extra };
}

export function orderEvent(type, seq, orderId, version, status = 'preparing', extra = {}) {
  return ev(type, seq, { order: { id: orderId, status, version, items: [] } }, extra);
}
