// KDS board page: tickets by status column, fed by kds:update and order events (newest version wins),
// with buttons that advance an order's status over HTTP (optimistic concurrency via expected_version).

import { params, pageContext, renderContext, checkContext, devTokens, createClient, api, bindConnectionState, bindLiveView, bindStaleState, showSnapshotError, el, toast, HttpProblem } from './common.js';
import { KdsBoard, COLUMNS, actionsFor, elapsedMinutes, isUrgent, URGENT_AFTER_MINUTES } from './kds-model.js';

const ctx = await pageContext('kitchen');
// A KDS is a station: ?station= names it (presence shows it, and alerts when it drops); unnamed, it is "kds-1".
ctx.station ??= 'kds-1';
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

// Words that make a note or a notification an allergy warning: shown in red on the ticket and as a banner.
const ALLERGY = /\b(allerg\w*|anaphyla\w*|nuts?|peanuts?|gluten|celiac|coeliac|dairy|lactose|shellfish|sesame|soy|eggs?)\b/i;
const isAllergy = (text) => typeof text === 'string' && ALLERGY.test(text);

// A kitchen that lost its connection must see it at once: the whole board is dimmed with the time since the last
// update, ages keep ticking, and status taps are refused (buttons disabled) until the connection is back.
const isOnline = bindStaleState(client, { onChange: () => render() });

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
  // The age turns amber at two thirds of the urgency threshold (10 of 15 minutes), red when urgent.
  const aging = !urgent && isUrgent(t, now, (urgentAfter * 2) / 3);
  const allergy = isAllergy(t.notes) || (t.items ?? []).some((i) => isAllergy(i.special_instructions));
  return el('article', { class: `ticket${urgent ? ' urgent' : ''}${aging ? ' aging' : ''}${allergy ? ' allergy' : ''}`, dataset: { orderId: t.id, status: t.status } },
    el('header', {},
      el('span', { class: 'order-number' }, `#${t.order_number ?? '?'}`),
      t.table_number ? el('span', { class: 'table-number' }, `Table ${t.table_number}${t.seat_number ? ` · seat ${t.seat_number}` : ''}`) : el('span', { class: 'type' }, t.type ?? ''),
      allergy ? el('span', { class: 'allergy-label' }, 'ALLERGY') : null,
      el('span', { class: 'elapsed', title: t.created_at ?? '' }, `${minutes} min`)),
    el('div', { class: 'ticket-status' }, t.status, t.customer_name ? el('span', { class: 'customer' }, ` · ${t.customer_name}`) : null),
    el('ul', { class: 'items' }, (t.items ?? []).map(itemNode)),
    t.notes ? el('div', { class: `notes${isAllergy(t.notes) ? ' allergy' : ''}` }, t.notes) : null,
    el('div', { class: 'actions' }, actionsFor(t).map((a) =>
      el('button', { type: 'button', disabled: pending.has(t.id) || !isOnline(), title: isOnline() ? '' : 'Offline: reconnecting', dataset: { action: a.status }, onclick: () => advance(t, a.status) }, a.label))));
}

function render() {
  const now = Date.now();
  const cols = board.columns();
  boardNode.replaceChildren(...COLUMNS.map((c) =>
    el('section', { class: 'column', dataset: { column: c.key } },
      el('h2', {}, c.title, ' ', el('span', { class: 'count' }, String(cols[c.key].length))),
      el('div', { class: 'tickets' }, cols[c.key].map((t) => ticketNode(t, now))))));
  fitColumns();
}

// A wall screen cannot scroll: each column shows the tickets that fit (oldest first, so the most urgent stay) and
// "+N more" for the rest. Phones stack the columns and scroll, so nothing is hidden there.
function fitColumns() {
  if (window.matchMedia('(max-width: 900px)').matches) return;
  for (const column of boardNode.querySelectorAll('.column')) {
    const list = column.querySelector('.tickets');
    const bottom = column.getBoundingClientRect().bottom;
    const tickets = [...list.children];
    let hidden = 0;
    // The oldest ticket always stays, clipped if it is taller than the column.
    for (let i = tickets.length - 1; i >= 1 && tickets[i].getBoundingClientRect().bottom > bottom - 4; i--) {
      tickets[i].hidden = true;
      hidden++;
    }
    // The "+N more" line takes a ticket's place when it does not fit below the last one shown.
    if (hidden > 0) {
      const more = el('div', { class: 'more', dataset: { hidden: String(hidden) } }, `+${hidden} more`);
      list.append(more);
      const shown = tickets.filter((t) => !t.hidden);
      if (more.getBoundingClientRect().bottom > bottom - 4 && shown.length > 1) {
        shown.at(-1).hidden = true;
        more.dataset.hidden = String(hidden + 1);
        more.textContent = `+${hidden + 1} more`;
      }
    }
  }
}

async function loadSnapshot() {
  const mark = board.mark();
  try {
    const orders = await api(tokens, '/api/orders');
    board.applySnapshot(Array.isArray(orders) ? orders : [], mark);
    if (banner.dataset.kind === 'snapshot') banner.hidden = true;
    render();
  } catch (err) {
    showSnapshotError(banner, 'orders', err);
  }
}

async function advance(ticket, status) {
  if (!isOnline()) { toast('Offline: the change was not sent. Try again when the board is live.', 'error'); return; }
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
window.addEventListener('resize', render);
if (checkContext(ctx)) client.connect();
window.addEventListener('pagehide', () => client.close());
// Back/forward cache: a restored page reconnects (and resumes from its last seq).
window.addEventListener('pageshow', (e) => { if (e.persisted) client.connect(); });
