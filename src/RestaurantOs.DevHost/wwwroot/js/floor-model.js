// Floor plan model: pure state + layout, no DOM (unit-tested in tests/client/floor-model.test.mjs).

export const TABLE_STATUSES = Object.freeze(['available', 'occupied', 'reserved', 'unavailable', 'cleaning', 'paid']);

/** CSS class for a table status (unknown statuses get a neutral class rather than breaking the page). */
export function statusClass(status) {
  return TABLE_STATUSES.includes(status) ? `table-${status}` : 'table-unknown';
}

export class FloorPlan {
  constructor() {
    this.tables = new Map();
    this.orders = new Map(); // order id -> { order_number, status, total, version }
  }

  /** Apply a table (snapshot row or table:updated). A lower version never overwrites a higher one. */
  applyTable(table) {
    if (!table || table.id == null) return false;
    const cur = this.tables.get(table.id);
    if (cur && typeof cur.version === 'number' && typeof table.version === 'number' && table.version < cur.version) return false;
    this.tables.set(table.id, { ...cur, ...table });
    return true;
  }

  /** Remember what the floor shows about an order (its number on the table it occupies). */
  applyOrder(order) {
    if (!order || order.id == null) return false;
    const cur = this.orders.get(order.id);
    if (cur && typeof cur.version === 'number' && typeof order.version === 'number' && order.version < cur.version) return false;
    this.orders.set(order.id, { ...cur, ...order });
    return true;
  }

  applyEvent(e) {
    switch (e?.type) {
      case 'table:updated': return this.applyTable(e.data?.table);
      case 'order:created':
      case 'order:updated': return this.applyOrder(e.data?.order);
      case 'order:status': {
        const d = e.data ?? {};
        const cur = this.orders.get(d.order_id);
        if (!cur) return false;
        return this.applyOrder({ id: d.order_id, status: d.status, version: d.version });
      }
      default: return false;
    }
  }

  /** Text describing the table's current order, or '' when it has none. */
  orderLabel(table) {
    if (!table.current_order_id) return '';
    const o = this.orders.get(table.current_order_id);
    if (!o) return 'order';
    const num = o.order_number != null ? `#${o.order_number}` : 'order';
    return o.status ? `${num} · ${o.status}` : num;
  }

  /**
   * Positions scaled to fit a viewport of (width × height) with a margin, preserving aspect ratio.
   * Returns [{ table, left, top, width, height, rotation }] in viewport pixels.
   */
  layout(viewWidth, viewHeight, margin = 16) {
    const list = [...this.tables.values()].sort((a, b) => String(a.label).localeCompare(String(b.label), undefined, { numeric: true }));
    if (list.length === 0) return [];
    const num = (v, d) => (typeof v === 'number' && Number.isFinite(v) ? v : d);
    let maxX = 0;
    let maxY = 0;
    for (const t of list) {
      maxX = Math.max(maxX, num(t.x, 0) + num(t.width, 80));
      maxY = Math.max(maxY, num(t.y, 0) + num(t.height, 80));
    }
    const scale = Math.min((viewWidth - 2 * margin) / Math.max(maxX, 1), (viewHeight - 2 * margin) / Math.max(maxY, 1), 4);
    return list.map((t) => ({
      table: t,
      left: margin + num(t.x, 0) * scale,
      top: margin + num(t.y, 0) * scale,
      width: num(t.width, 80) * scale,
      height: num(t.height, 80) * scale,
      rotation: num(t.rotation, 0),
    }));
  }
}
