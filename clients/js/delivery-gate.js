// The delivery rules of the browser client, with no socket, timers or events of its own: which server events reach
// the app, in which order, and which are dropped. RealtimeClient feeds it and emits what it returns.
//
// - An event whose `seq` is at or below the last applied seq, or whose `id` was already applied (bounded LRU), is
//   dropped. Seq gaps are normal (a connection sees a filtered subset) and never treated as loss.
// - An order or table event older (by `version`) than one already delivered is dropped; a kds:update loses the
//   orders it holds that are stale.
// - While a replay is due (a `resume` was sent, or events beat the handshake of a reconnect), live events with a
//   seq are held, then merged with the replay in seq order.

/** A Map used as a bounded LRU set/map: the oldest insertion is evicted past `limit`. */
class BoundedMap {
  constructor(limit) { this.limit = limit; this.map = new Map(); }
  has(k) { return this.map.has(k); }
  get(k) { return this.map.get(k); }
  set(k, v) {
    if (this.map.has(k)) this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value);
  }
  get size() { return this.map.size; }
}

export function seqOf(e) {
  return typeof e?.seq === 'number' && Number.isFinite(e.seq) ? e.seq : null;
}

/**
 * Each method returns what to do, in order: `{ deliver: event }` (possibly a narrowed copy) or
 * `{ drop: event, reason }` with reason 'stale-seq' | 'duplicate-id' | 'stale-version'.
 */
export class DeliveryGate {
  /** @param {{initialSeq?: number|null, dedupeSize?: number, versionCacheSize?: number}} [o] */
  constructor(o = {}) {
    this._lastSeq = typeof o.initialSeq === 'number' ? o.initialSeq : null;
    this._seenIds = new BoundedMap(o.dedupeSize ?? 2048);
    this._versions = new BoundedMap(o.versionCacheSize ?? 10000);
    this._held = [];
    this._replayPending = false;
  }

  /** The last seq applied (null before the first). */
  get lastSeq() { return this._lastSeq; }

  /** True between a `resume` and its `replay`/`resync` (or its timeout). */
  get replayPending() { return this._replayPending; }

  /** A `resume` was sent: hold live seq events until the replay answers. */
  beginReplay() { this._replayPending = true; }

  /**
   * A live event. Held when a replay is pending or `holdSeqEvents` (events that beat a reconnect's handshake would
   * move lastSeq past what the resume has yet to replay); otherwise applied now.
   */
  offer(event, holdSeqEvents = false) {
    if ((this._replayPending || holdSeqEvents) && seqOf(event) !== null) {
      this._held.push(event);
      return [];
    }
    return [this._apply(event)];
  }

  /** The replay arrived: its events and everything held, in seq order. */
  replayed(events) {
    return this._applyInOrder(events.concat(this._endReplay()));
  }

  /** History no longer reaches back: everything up to latestSeq is in the snapshots the app reloads. */
  resynced(latestSeq) {
    const held = this._endReplay();
    if (typeof latestSeq === 'number' && (this._lastSeq === null || latestSeq > this._lastSeq)) this._lastSeq = latestSeq;
    return this._applyInOrder(held);
  }

  /** No answer to the resume in time: deliver what is held (the app is told to reload). */
  timedOut() {
    return this._applyInOrder(this._endReplay());
  }

  /** The connection is gone: forget held events (the next resume replays them) and any pending replay. */
  reset() {
    this._held = [];
    this._replayPending = false;
  }

  _endReplay() {
    const held = this._held;
    this._held = [];
    this._replayPending = false;
    return held;
  }

  _applyInOrder(events) {
    const withSeq = events.filter((e) => seqOf(e) !== null).sort((a, b) => a.seq - b.seq);
    return [...events.filter((e) => seqOf(e) === null), ...withSeq].map((e) => this._apply(e));
  }

  _apply(e) {
    const seq = seqOf(e);
    if (seq !== null && this._lastSeq !== null && seq <= this._lastSeq) return { drop: e, reason: 'stale-seq' };
    if (e.id != null && this._seenIds.has(e.id)) return { drop: e, reason: 'duplicate-id' };
    const filtered = this._filterVersions(e);
    if (!filtered) return { drop: e, reason: 'stale-version' };
    if (e.id != null) this._seenIds.set(e.id, true);
    if (seq !== null) this._lastSeq = seq;
    return { deliver: filtered };
  }

  /** Returns the event to deliver (possibly with stale kds orders removed), or null if it is stale. */
  _filterVersions(e) {
    const d = e.data ?? {};
    const check = (key, version) => {
      if (typeof version !== 'number') return true;
      const known = this._versions.get(key);
      if (known !== undefined && version < known) return false;
      this._versions.set(key, known === undefined ? version : Math.max(known, version));
      return true;
    };
    switch (e.type) {
      case 'order:created':
      case 'order:updated':
        return d.order?.id == null || check(`order:${d.order.id}`, d.order.version) ? e : null;
      case 'order:status':
        return d.order_id == null || check(`order:${d.order_id}`, d.version) ? e : null;
      case 'table:updated':
        return d.table?.id == null || check(`table:${d.table.id}`, d.table.version) ? e : null;
      case 'kds:update': {
        if (!Array.isArray(d.orders) || d.orders.length === 0) return e;
        const fresh = d.orders.filter((o) => o?.id == null || check(`order:${o.id}`, o.version));
        if (fresh.length === 0) return null;
        return fresh.length === d.orders.length ? e : { ...e, data: { ...d, orders: fresh } };
      }
      default:
        return e;
    }
  }
}
