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

function itemNode(item) {
  return el('li', { class: 'item' },
    el('span', { class: 'qty' }, `${item.quantity ?? 1}×`), ' ',
    el('span', { class: 'name' }, item.name ?? item.menu_item_id ?? 'item'),
    item.modifiers?.length ? el('ul', { class: 'mods' }, item.modifiers.map((m) => el('li', {}, m))) : null,
    item.special_instructions ? el('div', { class: 'instructions' }, item.special_instructions) : null);
}

function ticketNode(t, now) {
  const minutes = elapsedMinutes(t.created_at, now);
  const urgent = isUrgent(t, now, urgentAfter);
  return el('article', { class: `ticket${urgent ? ' urgent' : ''}`, dataset: { orderId: t.id, status: t.status } },
    el('header', {},
      el('span', { class: 'order-number' }, `#${t.order_number ?? '?'}`),
      t.table_number ? el('span', { class: 'table-number' }, `Table ${t.table_number}`) : el('span', { class: 'type' }, t.type ?? ''),
      el('span', { class: 'elapsed', title: t.created_at ?? '' }, `${minutes} min`)),
    el('div', { class: 'ticket-status' }, t.status),
    el('ul', { class: 'items' }, (t.items ?? []).map(itemNode)),
    t.notes ? el('div', { class: 'notes' }, t.notes) : null,
    el('div', { class: 'actions' }, actionsFor(t).map((a) =>
      el('button', { type: 'button', disabled: pending.has(t.id), dataset: { action: a.status }, onclick: () => advance(t, a.status) }, a.label))));
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
setInterval(render, 30000); // elapsed minutes and urgency move with the clock
client.connect();
window.addEventListener('pagehide', () => client.close());
// Back/forward cache: a restored page reconnects (and resumes from its last seq).
window.addEventListener('pageshow', (e) => { if (e.persisted) client.connect(); });
