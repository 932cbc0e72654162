// Floor plan page: tables positioned by x/y/width/height/rotation, coloured by status, live from table:updated.

import { pageContext, renderContext, devTokens, createClient, api, bindConnectionState, bindLiveView, el, toast } from './common.js';
import { FloorPlan, TABLE_STATUSES, statusClass } from './floor-model.js';

const ctx = await pageContext('server');
renderContext(ctx);
const tokens = devTokens(ctx);
const client = createClient(ctx, tokens);
const plan = new FloorPlan();
bindConnectionState(client);
window.realtimeClient = client; // for debugging in DevTools and for end-to-end tests

const floorNode = document.getElementById('floor');
const banner = document.getElementById('banner');
document.getElementById('legend').replaceChildren(...TABLE_STATUSES.map((s) => el('li', { class: statusClass(s) }, s)));

function render() {
  const rect = floorNode.getBoundingClientRect();
  const placed = plan.layout(rect.width || 800, rect.height || 600);
  if (placed.length === 0) {
    floorNode.replaceChildren(el('p', { class: 'empty' }, 'No tables yet.'));
    return;
  }
  floorNode.replaceChildren(...placed.map(({ table: t, left, top, width, height, rotation }) =>
    el('div', {
      class: `table ${statusClass(t.status)}`,
      dataset: { tableId: t.id, status: t.status ?? '' },
      title: `${t.label} — ${t.status}`,
      style: { left: `${left}px`, top: `${top}px`, width: `${width}px`, height: `${height}px`, transform: `rotate(${rotation}deg)` },
    },
    el('div', { class: 'label' }, t.label ?? '?'),
    el('div', { class: 'seats' }, `${t.seats ?? '?'} seats`),
    el('div', { class: 'table-status' }, t.status ?? ''),
    t.current_order_id ? el('div', { class: 'current-order', dataset: { orderId: t.current_order_id } }, plan.orderLabel(t)) : null)));
}

async function loadSnapshot() {
  try {
    const [tables, orders] = await Promise.all([
      api(tokens, '/api/tables'),
      api(tokens, '/api/orders').catch(() => []), // order numbers are a nicety; a role may not list orders
    ]);
    for (const o of Array.isArray(orders) ? orders : []) plan.applyOrder(o);
    for (const t of Array.isArray(tables) ? tables : []) plan.applyTable(t);
    render();
  } catch (err) {
    toast(`Could not load tables: ${err.message}`, 'error');
  }
}

bindLiveView(client, { banner, applyEvent: (e) => plan.applyEvent(e), render, loadSnapshot });

window.addEventListener('resize', render);
render();
client.connect();
window.addEventListener('pagehide', () => client.close());
// Back/forward cache: a restored page reconnects (and resumes from its last seq).
window.addEventListener('pageshow', (e) => { if (e.persisted) client.connect(); });
