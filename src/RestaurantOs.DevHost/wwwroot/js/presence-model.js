// Presence panel model: the restaurant's screens by key, from GET /api/presence and the presence events. Pure state,
// no DOM (unit-tested in tests/client/presence-model.test.mjs).

export const STATUS_ORDER = Object.freeze({ gone: 0, behind: 1, live: 2 });

export class PresenceBoard {
  constructor() {
    this.screens = new Map(); // key -> entry
    this.latestSeq = 0;
  }

  /** Replace everything with a GET /api/presence answer. */
  applySnapshot(list) {
    this.screens.clear();
    for (const s of list?.stations ?? []) if (s?.key) this.screens.set(s.key, s);
    if (typeof list?.latest_seq === 'number') this.latestSeq = list.latest_seq;
  }

  /** An entry from an event: a newer version wins; an unnamed screen that left is removed. Returns true on change. */
  applyEntry(entry, change) {
    if (!entry?.key) return false;
    const cur = this.screens.get(entry.key);
    if (cur && typeof cur.version === 'number' && typeof entry.version === 'number' && entry.version < cur.version) return false;
    if (change === 'left' && !entry.station) return this.screens.delete(entry.key);
    this.screens.set(entry.key, entry);
    if (typeof entry.latest_seq === 'number') this.latestSeq = Math.max(this.latestSeq, entry.latest_seq);
    return true;
  }

  applyEvent(e) {
    switch (e?.type) {
      case 'presence:updated': return this.applyEntry(e.data?.station, e.data?.change);
      case 'station:alert': return this.applyEntry(e.data?.station, null);
      default:
        if (typeof e?.seq === 'number' && e.seq > this.latestSeq) { this.latestSeq = e.seq; return true; }
        return false;
    }
  }

  /** Screens in trouble first (gone, then behind), then named stations before unnamed ones, then by name. */
  list() {
    return [...this.screens.values()].sort((a, b) =>
      (STATUS_ORDER[a.status] ?? 3) - (STATUS_ORDER[b.status] ?? 3)
      || Number(!a.station) - Number(!b.station)
      || String(a.station ?? a.connection_id).localeCompare(String(b.station ?? b.connection_id), undefined, { numeric: true }));
  }

  /** The alerts in force, oldest first. */
  alerts() {
    return this.list().filter((s) => s.alert).sort((a, b) => String(a.alert_since).localeCompare(String(b.alert_since)));
  }

  counts() {
    const c = { live: 0, behind: 0, gone: 0 };
    for (const s of this.screens.values()) if (s.status in c) c[s.status]++;
    return c;
  }
}

/** How far a screen trails: "12 events" (or "" when it is level or never reported). */
export function lagText(screen, latestSeq) {
  if (typeof screen?.applied_seq !== 'number') return '';
  const lag = Math.max(0, (screen.latest_seq ?? latestSeq ?? 0) - screen.applied_seq);
  return lag === 0 ? 'up to date' : `${lag} event${lag === 1 ? '' : 's'} behind`;
}

/** "42 s ago", "5 min ago", "2 h ago" for an ISO timestamp; '' for none. */
export function ago(iso, now = Date.now()) {
  const t = Date.parse(iso ?? '');
  if (!Number.isFinite(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}
