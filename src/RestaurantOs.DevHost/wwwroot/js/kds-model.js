// KDS board model: pure state + rules, no DOM (unit-tested in tests/client/kds-model.test.mjs).
//
// Tickets are keyed by order id; a newer `version` always wins, and an order that became completed or
// cancelled leaves the board and is remembered (a bounded tombstone) so a late, older event cannot bring
// it back.

/** Board columns, left to right, and the statuses each one shows. */
export const COLUMNS = Object.freeze([
  { key: 'incoming', title: 'New', statuses: ['new', 'pending', 'confirmed'] },
  { key: 'preparing', title: 'Preparing', statuses: ['preparing'] },
  { key: 'ready', title: 'Ready', statuses: ['ready'] },
  { key: 'served', title: 'Served / picked up', statuses: ['served', 'picked-up'] },
]);

export const FINAL_STATUSES = Object.freeze(['completed', 'cancelled']);
export const URGENT_AFTER_MINUTES = 15;

/** The column key for a status, or null when the status does not belong on the board. */
export function columnFor(status) {
  const c = COLUMNS.find((col) => col.statuses.includes(status));
  return c ? c.key : null;
}

/**
 * Buttons for a ticket: the legal next steps (new→pending→confirmed→preparing→ready,
 * ready→served|picked-up|completed, served|picked-up→completed).
 */
export function actionsFor(ticket) {
  switch (ticket.status) {
    case 'new': return [{ label: 'Accept', status: 'pending' }];
    case 'pending': return [{ label: 'Confirm', status: 'confirmed' }];
    case 'confirmed': return [{ label: 'Start', status: 'preparing' }];
    case 'preparing': return [{ label: 'Ready', status: 'ready' }];
    case 'ready':
      return [
        ticket.type === 'dine-in' || (ticket.type == null && ticket.table_number)
          ? { label: 'Served', status: 'served' }
          : { label: 'Picked up', status: 'picked-up' },
        { label: 'Complete', status: 'completed' },
      ];
    case 'served':
    case 'picked-up':
      return [{ label: 'Complete', status: 'completed' }];
    default:
      return [];
  }
}

/** Whole minutes since created_at (never negative; 0 for an unparseable time). */
export function elapsedMinutes(createdAt, nowMs) {
  const t = Date.parse(createdAt);
  if (!Number.isFinite(t)) return 0;
  return Math.max(0, Math.floor((nowMs - t) / 60000));
}

/** A ticket is urgent once it has waited 15 minutes and is not yet handed over. */
export function isUrgent(ticket, nowMs, afterMinutes = URGENT_AFTER_MINUTES) {
  const col = columnFor(ticket.status);
  return (col === 'incoming' || col === 'preparing' || col === 'ready') && elapsedMinutes(ticket.created_at, nowMs) >= afterMinutes;
}

const TICKET_FIELDS = ['id', 'order_number', 'type', 'status', 'items', 'table_number', 'seat_number', 'customer_name', 'notes', 'prep_time', 'created_at', 'updated_at', 'version'];

export class KdsBoard {
  constructor({ tombstoneLimit = 5000 } = {}) {
    this.tickets = new Map();
    this.gone = new Map();  // order id -> version at which it left the board
    this.touched = new Map(); // order id -> change counter at the last applied change
    this.counter = 0;
    this.tombstoneLimit = tombstoneLimit;
  }

  /** A marker for applySnapshot: changes applied after it survive a snapshot that misses them. */
  mark() { return this.counter; }

  _isStale(id, version) {
    if (typeof version !== 'number') return false;
    const cur = this.tickets.get(id);
    if (cur && typeof cur.version === 'number' && version < cur.version) return true;
    const goneAt = this.gone.get(id);
    return goneAt !== undefined && version <= goneAt;
  }

  _touch(id) { this.touched.set(id, ++this.counter); }

  _remove(id, version) {
    this.tickets.delete(id);
    this.touched.delete(id);
    this.gone.set(id, typeof version === 'number' ? version : Number.MAX_SAFE_INTEGER);
    if (this.gone.size > this.tombstoneLimit) this.gone.delete(this.gone.keys().next().value);
  }

  /** Apply a full or partial order (order events, kds:update entries, snapshots). Returns true if the board changed. */
  applyOrder(order) {
    if (!order || order.id == null) return false;
    if (this._isStale(order.id, order.version)) return false;
    if (FINAL_STATUSES.includes(order.status) || (order.status && columnFor(order.status) === null)) {
      const had = this.tickets.has(order.id);
      this._remove(order.id, order.version);
      return had;
    }
    const prev = this.tickets.get(order.id) ?? {};
    const next = { ...prev };
    for (const f of TICKET_FIELDS) if (order[f] !== undefined) next[f] = order[f];
    if (!next.status || !Array.isArray(next.items)) return false; // not enough to draw a ticket yet
    this.tickets.set(order.id, next);
    this._touch(order.id);
    return true;
  }

  /** Apply an `order:status` event. Unknown orders are ignored (the order event that follows draws them). */
  applyStatus({ order_id: id, status, version }) {
    if (id == null || this._isStale(id, version)) return false;
    if (FINAL_STATUSES.includes(status)) {
      const had = this.tickets.has(id);
      this._remove(id, version);
      return had;
    }
    const cur = this.tickets.get(id);
    if (!cur) return false;
    this.tickets.set(id, { ...cur, status, version: typeof version === 'number' ? version : cur.version });
    this._touch(id);
    return true;
  }

  /** Apply a `kds:update` batch. */
  applyKds(orders) {
    let changed = false;
    for (const o of orders ?? []) changed = this.applyOrder(o) || changed;
    return changed;
  }

  /** Apply any delivered realtime event. Returns true if the board changed. */
  applyEvent(e) {
    switch (e?.type) {
      case 'order:created':
      case 'order:updated':
        return this.applyOrder(e.data?.order);
      case 'order:status':
        return this.applyStatus(e.data ?? {});
      case 'kds:update':
        return this.applyKds(e.data?.orders);
      default:
        return false;
    }
  }

  /**
   * Apply an HTTP snapshot of active orders. Tickets missing from it are removed unless an event touched
   * them after `mark` (taken before the request was sent), so a change racing the snapshot is kept.
   */
  applySnapshot(orders, mark = Number.MAX_SAFE_INTEGER) {
    const ids = new Set();
    for (const o of orders ?? []) {
      if (o?.id == null) continue;
      ids.add(o.id);
      this.applyOrder(o);
    }
    for (const id of [...this.tickets.keys()]) {
      if (!ids.has(id) && (this.touched.get(id) ?? 0) <= mark) {
        this.tickets.delete(id);
        this.touched.delete(id);
      }
    }
  }

  /** Tickets per column, oldest first. */
  columns() {
    const out = Object.fromEntries(COLUMNS.map((c) => [c.key, []]));
    for (const t of this.tickets.values()) {
      const col = columnFor(t.status);
      if (col) out[col].push(t);
    }
    for (const list of Object.values(out)) {
      list.sort((a, b) => (Date.parse(a.created_at) || 0) - (Date.parse(b.created_at) || 0) || String(a.order_number).localeCompare(String(b.order_number)));
    }
    return out;
  }
}
