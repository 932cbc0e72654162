// Event console: every message the connection receives, subscribe/unsubscribe controls, pause and clear.

import { pageContext, renderContext, checkContext, devTokens, createClient, bindConnectionState, bindStaleState, showConnectionError, el } from './common.js';
import { BROADCAST_EVENTS } from './restaurant-os-realtime.js';

const MAX_ROWS = 500; // the console runs for hours: keep the DOM bounded

const ctx = await pageContext('manager');
renderContext(ctx);
const tokens = devTokens(ctx);
const client = createClient(ctx, tokens);
bindConnectionState(client);
bindStaleState(client);
window.realtimeClient = client; // for debugging in DevTools and for end-to-end tests

const logNode = document.getElementById('log');
const typesNode = document.getElementById('event-types');
const filterNode = document.getElementById('table-filter');
const pauseBtn = document.getElementById('pause');
const pausedCount = document.getElementById('paused-count');
const lastSeqNode = document.getElementById('last-seq');
const subsNode = document.getElementById('active-subs');
const banner = document.getElementById('banner');

for (const t of BROADCAST_EVENTS) {
  typesNode.append(el('label', { class: 'check' }, el('input', { type: 'checkbox', value: t }), ` ${t}`));
}

let paused = false;
let missed = 0;
// order_id → order number, learned from order:created/updated, so order:status rows read as a kitchen says them.
const orderNumbers = new Map();

function checkedTypes() {
  return [...typesNode.querySelectorAll('input:checked')].map((i) => i.value);
}

function showSubs() {
  const subs = client.subscriptions;
  subsNode.textContent = subs.length ? subs.map((s) => JSON.stringify(s)).join('  ') : '(default: every event the role allows)';
}

function addRow({ type, seq, json, kind }) {
  if (paused) {
    missed++;
    pausedCount.textContent = `${missed} message(s) not shown while paused`;
    return;
  }
  const row = el('tr', { class: `row ${kind ?? ''}`, dataset: { type } },
    el('td', { class: 'time' }, new Date().toISOString().slice(11, 23)),
    el('td', { class: 'type' }, type),
    el('td', { class: 'seq' }, seq ?? ''),
    el('td', {}, el('details', {}, el('summary', {}, summarize(json)), el('pre', {}, JSON.stringify(json, null, 2)))));
  logNode.prepend(row);
  while (logNode.rows.length > MAX_ROWS) logNode.deleteRow(logNode.rows.length - 1);
  lastSeqNode.textContent = client.lastSeq ?? '–';
}

function summarize(m) {
  const d = m?.data;
  if (!d) return JSON.stringify(m ?? null).slice(0, 160);
  if (m.type === 'error') return `${d.code}: ${d.message}`;
  if (d.order) return `order #${d.order.order_number ?? d.order.id} ${d.order.status ?? ''} v${d.order.version ?? '?'}`;
  if (d.order_id && d.status) return `order #${orderNumbers.get(d.order_id) ?? d.order_id} ${d.previous_status ?? '?'} → ${d.status}`;
  if (d.table) return `table ${d.table.label} ${d.table.status}`;
  if (d.payment) return `payment ${d.payment.amount} ${d.payment.payment_method} ${d.payment.payment_status}`;
  if (d.notification) return `${d.notification.kind}: ${d.notification.message}`;
  if (Array.isArray(d.orders)) return `${d.orders.length} order(s)`;
  if (d.station) {
    const who = `${d.station.station ?? `unnamed ${String(d.station.connection_id).slice(0, 8)}…`} (${d.station.role})`;
    return m.type === 'station:alert' ? `${d.alert} ${d.state}: ${who}` : `${who} ${d.change} → ${d.station.status}`;
  }
  if (m.type === 'replay' && Array.isArray(d.events)) return `${d.events.length} event(s) since ${d.since}, latest ${d.latest_seq}`;
  if (m.type === 'resync') return `since ${d.since}, latest ${d.latest_seq}: ${d.reason}`;
  if (m.type === 'subscribed' || m.type === 'unsubscribed') return `${(d.events ?? []).join(', ')}${d.filters ? ` ${JSON.stringify(d.filters)}` : ''} (active: ${JSON.stringify(d.active)})`;
  return JSON.stringify(d).slice(0, 120);
}

// Every frame the server sends, before dedupe/ordering (that is what a console is for).
client.on('message', (m) => {
  const order = m.data?.order;
  if (order?.id && order.order_number) orderNumbers.set(order.id, order.order_number);
  addRow({ type: m.type, seq: m.seq, json: m, kind: m.type === 'error' ? 'error' : '' });
});
// 'message' fires before the client applies a frame; the last applied seq is known once it has.
const showLastSeq = () => { lastSeqNode.textContent = client.lastSeq ?? '–'; };
client.on('*', showLastSeq);
client.on('replay', showLastSeq);
client.on('resync', showLastSeq);
// Conditions the client detected itself (timeouts, negotiate failures, policy closes).
client.on('error', (e) => {
  if (e.source !== 'server') addRow({ type: `client: ${e.code}`, json: e, kind: 'error' });
  showConnectionError(client, banner, e);
});
client.on('drop', (d) => addRow({ type: `dropped (${d.reason})`, seq: d.event.seq, json: d.event, kind: 'dropped' }));
client.on('resync', (r) => addRow({ type: 'client: resync — reload snapshots', json: r, kind: 'warn' }));
client.on('state', (s) => {
  addRow({ type: `state: ${s}`, json: { state: s }, kind: 'state' });
  if (s === 'open') banner.hidden = true;
});

document.getElementById('subscribe').addEventListener('click', () => {
  const events = checkedTypes();
  if (!events.length) return addRow({ type: 'client: choose at least one event type', json: {}, kind: 'error' });
  const table = filterNode.value.trim();
  client.subscribe(events, table ? { table_number: table } : undefined);
  showSubs();
});
document.getElementById('unsubscribe').addEventListener('click', () => {
  const events = checkedTypes();
  if (!events.length) return addRow({ type: 'client: choose at least one event type', json: {}, kind: 'error' });
  client.unsubscribe(events);
  showSubs();
});
pauseBtn.addEventListener('click', () => {
  paused = !paused;
  pauseBtn.textContent = paused ? 'Resume' : 'Pause';
  pauseBtn.setAttribute('aria-pressed', String(paused));
  if (!paused) { missed = 0; pausedCount.textContent = ''; }
});
document.getElementById('clear').addEventListener('click', () => logNode.replaceChildren());
document.getElementById('ping').addEventListener('click', () => {
  if (!client.ping()) addRow({ type: 'client: not connected', json: { state: client.state }, kind: 'error' });
});
document.getElementById('refresh-token').addEventListener('click', () => client.refreshToken());
document.getElementById('reconnect').addEventListener('click', () => { client.close(); client.connect(); });

showSubs();
if (checkContext(ctx)) client.connect();
window.addEventListener('pagehide', () => client.close());
// Back/forward cache: a restored page reconnects (and resumes from its last seq).
window.addEventListener('pageshow', (e) => { if (e.persisted) client.connect(); });
