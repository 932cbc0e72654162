// Floor plan page: tables positioned by x/y/width/height/rotation, coloured by status, live from table:updated.

import { pageContext, renderContext, checkContext, devTokens, createClient, api, bindConnectionState, bindLiveView, bindStaleState, showSnapshotError, el, toast, HttpProblem } from './common.js';
import { FloorPlan, TABLE_STATUSES, statusClass } from './floor-model.js';

const ctx = await pageContext('server');
renderContext(ctx);
const tokens = devTokens(ctx);
const client = createClient(ctx, tokens);
const plan = new FloorPlan();
bindConnectionState(client);
const isOnline = bindStaleState(client);
window.realtimeClient = client; // for debugging in DevTools and for end-to-end tests

const floorNode = document.getElementById('floor');
const banner = document.getElementById('banner');
document.getElementById('legend').replaceChildren(...TABLE_STATUSES.map((s) => el('li', { class: statusClass(s) }, s)));
const dialog = document.getElementById('table-dialog');
let editing = null; // the table id the dialog is open for

function render() {
  const rect = floorNode.getBoundingClientRect();
  const placed = plan.layout(rect.width || 800, rect.height || 600);
  if (placed.length === 0) {
    floorNode.replaceChildren(el('p', { class: 'empty' }, 'No tables yet.'));
    return;
  }
  // A phone is too narrow for the room's shape to stay readable: the tables become a grid of cards instead.
  const compact = (rect.width || 800) < 560;
  floorNode.classList.toggle('compact', compact);
  floorNode.replaceChildren(...placed.map(({ table: t, left, top, width, height, rotation }) => {
    // Text follows the table's size, never below what a host can read at arm's length (13 px); small tables keep
    // their label and status and drop the details.
    const size = compact ? 16 : Math.max(13, Math.min(22, Math.min(width, height) / 5));
    const roomy = compact || Math.min(width, height) >= 70;
    return el('button', {
      type: 'button',
      class: `table ${statusClass(t.status)}`,
      dataset: { tableId: t.id, status: t.status ?? '' },
      title: `${t.label} — ${t.status}: click to change`,
      'aria-label': `Table ${t.label}, ${t.status}`,
      style: compact ? { fontSize: `${size}px` } : { left: `${left}px`, top: `${top}px`, width: `${width}px`, height: `${height}px`, transform: `rotate(${rotation}deg)`, fontSize: `${size}px` },
      onclick: () => openDialog(t.id),
    },
    el('span', { class: 'label' }, t.label ?? '?'),
    el('span', { class: 'table-status' }, t.status ?? ''),
    roomy ? el('span', { class: 'seats' }, `${t.seats ?? '?'} seats`) : null,
    roomy && t.current_order_id ? el('span', { class: 'current-order', dataset: { orderId: t.current_order_id } }, plan.orderLabel(t)) : null);
  }));
}

function openDialog(tableId) {
  const t = plan.tables.get(tableId);
  if (!t) return;
  editing = tableId;
  document.getElementById('dialog-label').textContent = t.label ?? '?';
  document.getElementById('dialog-current').textContent = `Now ${t.status}, ${t.seats ?? '?'} seats${t.current_order_id ? `, ${plan.orderLabel(t)}` : ''}.`;
  document.getElementById('dialog-statuses').replaceChildren(...TABLE_STATUSES.map((s) =>
    el('button', { type: 'button', class: `choice ${statusClass(s)}`, dataset: { status: s }, disabled: s === t.status || !isOnline(), onclick: () => setStatus(tableId, s) }, s)));
  if (!dialog.open) dialog.showModal();
}

// A server changes a table's status with PUT /api/tables/{id}, sending the version it saw: a table someone else
// changed meanwhile answers 409 and the dialog shows the newer state.
async function setStatus(tableId, status) {
  const t = plan.tables.get(tableId);
  if (!t) return;
  try {
    const updated = await api(tokens, `/api/tables/${encodeURIComponent(t.id)}`, {
      method: 'PUT',
      body: {
        label: t.label, seats: t.seats, status, current_order_id: status === 'available' ? null : t.current_order_id ?? null,
        x: t.x, y: t.y, width: t.width, height: t.height, rotation: t.rotation, expected_version: t.version,
      },
    });
    if (updated?.id) plan.applyTable(updated);
    dialog.close();
    render();
  } catch (err) {
    const conflict = err instanceof HttpProblem && err.status === 409;
    toast(conflict ? `Table changed elsewhere: ${err.message}` : `Could not change the table: ${err.message}`, 'error');
    if (conflict) { await loadSnapshot(); openDialog(tableId); }
  }
}

dialog.addEventListener('close', () => { editing = null; });

async function loadSnapshot() {
  try {
    const [tables, orders] = await Promise.all([
      api(tokens, '/api/tables'),
      api(tokens, '/api/orders').catch(() => []), // order numbers are a nicety; a role may not list orders
    ]);
    for (const o of Array.isArray(orders) ? orders : []) plan.applyOrder(o);
    for (const t of Array.isArray(tables) ? tables : []) plan.applyTable(t);
    if (banner.dataset.kind === 'snapshot') banner.hidden = true;
    render();
    if (editing) openDialog(editing);
  } catch (err) {
    showSnapshotError(banner, 'the floor plan', err);
  }
}

bindLiveView(client, { banner, applyEvent: (e) => plan.applyEvent(e), render: () => { render(); if (editing) openDialog(editing); }, loadSnapshot });

window.addEventListener('resize', render);
render();
if (checkContext(ctx)) client.connect();
window.addEventListener('pagehide', () => client.close());
// Back/forward cache: a restored page reconnects (and resumes from its last seq).
window.addEventListener('pageshow', (e) => { if (e.persisted) client.connect(); });
