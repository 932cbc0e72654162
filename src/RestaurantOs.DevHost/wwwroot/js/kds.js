// KDS board page: tickets by status column, fed by kds:update and order events (newest version wins),
// with buttons that advance an order's status over HTTP (optimistic concurrency via expected_version).

import { params, pageContext, renderContext, devTokens, createClient, api, bindConnectionState, bindLiveView, el, toast, HttpProblem } from './common.js';
import { KdsBoard, COLUMNS, actionsFor, elapsedMinutes, isUrgent, URGENT_AFTER_MINUTES } from './kds-model.js';

const ctx = await pageContext('kitchen');
renderContext(ctx);
const tokens = devTokens(ctx);
const client = createClient(ctx, tokens);
const board = new KdsBoard();
// ?urgent_after=<minutes> lets a demo or an end-to-end test see urgency without waiting 15 minutes.
const urgentAfter = Number.isFinite(Number(params.get('urgent_after'))) && params.get('urgent_after') !== null
  ? Number(params.get('urgent_after')) : URGENT_AFTER_MINUTES;
window.realtimeClient = client; // for debugging in DevTools and for end-to-end tests
const pending = new Set(); // order ids with a status change in flight
bindConnectionState(client);

const boardNode = document.getElementById('board');
const banner = document.getElementById('banner');
const alertsNode = document.getElementById('alerts');
const offlineNode = document.getElementById('offline');
const lastUpdateNode = document.getElementById('last-update');

// Words that make a note or a notification an allergy warning: shown in red on the ticket and as a banner.
const ALLERGY = /\b(allerg\w*|anaphyla\w*|nuts?|peanuts?|gluten|celiac|coeliac|dairy|lactose|shellfish|sesame|soy|eggs?)\b/i;
const isAllergy = (text) => typeof text === 'string' && ALLERGY.test(text);

// A kitchen that lost its connection must see it at once: the whole board is dimmed with the time since the last
// update, ages keep ticking, and status taps are refused (buttons disabled) until the connection is back.
let online = false;
let everOpen = false;
let lastUpdate = Date.now();
client.on('message', () => { lastUpdate = Date.now(); });
client.on('state', (s) => {
  online = s === 'open';
  if (online) { everOpen = true; lastUpdate = Date.now(); }
  showOffline();
  render();
});

function showOffline() {
  const stale = everOpen && !online;
  document.body.classList.toggle('stale', stale);
  offlineNode.hidden = !stale;
  if (stale) lastUpdateNode.textContent = `${Math.max(0, Math.round((Date.now() - lastUpdate) / 1000))} s ago`;
}
setInterval(showOffline, 1000);

// Kitchen notifications (86'd items, allergy alerts): a banner each, until someone acknowledges it.
client.on('notification:kitchen', (e) => {
  const n = e.data?.notification ?? {};
  const allergy = isAllergy(n.message);
  const node = el('div', { class: `alert${allergy ? ' allergy' : ''}`, role: 'alert', dataset: { notificationId: n.id ?? '' } },
    allergy ? el('strong', { class: 'allergy-label' }, 'ALLERGY') : el('strong', {}, 'Kitchen'), ' ',
    el('span', { class: 'message' }, n.message ?? ''),
    n.table_number ? el('span', { class: 'table-number' }, ` — Table ${n.table_number}`) : null,
    el('button', { type: 'button', class: 'ack', onclick: () => node.remove() }, 'Acknowledge'));
  alertsNode.append(node);
});

function itemNode(item) {
  return el('li', { class: 'item' },
    el('span', { class: 'qty' }, `${item.quantity ?? 1}×`), ' ',
    el('span', { class: 'name' }, item.name ?? item.menu_item_id ?? 'item'),
    item.modifiers?.length ? el('ul', { class: 'mods' }, item.modifiers.map((m) => el('li', {}, m))) : null,
    item.special_instructions ? el('div', { class: `instructions${isAllergy(item.special_instructions) ? ' allergy' : ''}` }, item.special_instructions) : null);
}

function ticketNode(t, now) {
  const minutes = elapsedMinutes(t.created_at, now);
  const urgent = isUrgent(t, now, urgentAfter);
  const allergy = isAllergy(t.notes) || (t.items ?? []).some((i) => isAllergy(i.special_instructions));
  return el('article', { class: `ticket${urgent ? ' urgent' : ''}${allergy ? ' allergy' : ''}`, dataset: { orderId: t.id, status: t.status } },
    el('header', {},
      el('span', { class: 'order-number' }, `#${t.order_number ?? '?'}`),
      t.table_number ? el('span', { class: 'table-number' }, `Table ${t.table_number}${t.seat_number ? ` · seat ${t.seat_number}` : ''}`) : el('span', { class: 'type' }, t.type ?? ''),
      allergy ? el('span', { class: 'allergy-label' }, 'ALLERGY') : null,
      el('span', { class: 'elapsed', title: t.created_at ?? '' }, `${minutes} min`)),
    el('div', { class: 'ticket-status' }, t.status, t.customer_name ? el('span', { class: 'customer' }, ` · ${t.customer_name}`) : null),
    el('ul', { class: 'items' }, (t.items ?? []).map(itemNode)),
    t.notes ? el('div', { class: `notes${isAllergy(t.notes) ? ' allergy' : ''}` }, t.notes) : null,
    el('div', { class: 'actions' }, actionsFor(t).map((a) =>
      el('button', { type: 'button', disabled: pending.has(t.id) || !online, title: online ? '' : 'Offline: reconnecting', dataset: { action: a.status }, onclick: () => advance(t, a.status) }, a.label))));
}

function render() {
  const now = Date.now();
  const cols = board.columns();
  boardNode.replaceChildren(...COLUMNS.map((c) =>
    el('section', { class: 'column', dataset: { column: c.key } },
      el('h2', {}, c.title, ' ', el('span', { class: 'count' }, String(cols[c.key].length))),
      el('div', { class: 'tickets' }, cols[c.key].map((t) => ticketNode(t, now))))));
}

async function loadSnapshot() {
  const mark = board.mark();
  try {
    const orders = await api(tokens, '/api/orders');
    board.applySnapshot(Array.isArray(orders) ? orders : [], mark);
    render();
  } catch (err) {
    toast(`Could not load orders: ${err.message}`, 'error');
  }
}

async function advance(ticket, status) {
  if (!online) { toast('Offline: the change was not sent. Try again when the board is live.', 'error'); return; }
  pending.add(ticket.id);
  render();
  try {
    const updated = await api(tokens, `/api/orders/${encodeURIComponent(ticket.id)}/status`, {
      method: 'POST',
      body: { status, expected_version: ticket.version },
    });
    if (updated && updated.id === ticket.id) board.applyOrder(updated);
  } catch (err) {
    const conflict = err instanceof HttpProblem && err.status === 409;
    toast(conflict ? `Order changed elsewhere: ${err.message}` : `Could not update order: ${err.message}`, 'error');
    if (conflict) await loadSnapshot();
  } finally {
    pending.delete(ticket.id);
    render();
  }
}

bindLiveView(client, { banner, applyEvent: (e) => board.applyEvent(e), render, loadSnapshot });

render();
setInterval(render, 15000); // elapsed minutes and urgency move with the clock, also while offline
client.connect();
window.addEventListener('pagehide', () => client.close());
// Back/forward cache: a restored page reconnects (and resumes from its last seq).
window.addEventListener('pageshow', (e) => { if (e.persisted) client.connect(); });
