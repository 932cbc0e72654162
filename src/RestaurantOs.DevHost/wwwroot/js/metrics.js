// Metrics page: polls GET /dev/metrics every 2 s (one timer; the next poll is scheduled after the last ends).

import { params, el, renderContext, listRestaurants } from './common.js';

const POLL_MS = 2000;
const HISTORY = 60;

let restaurants = [];
try { restaurants = await listRestaurants(); } catch { /* names are a nicety */ }
const nameOf = (id) => restaurants.find((r) => r.id === id)?.name ?? id;
renderContext({ restaurantId: params.get('restaurant_id') ?? '', restaurantName: nameOf(params.get('restaurant_id') ?? '') || 'all', role: '—', mode: '—' });

const $ = (id) => document.getElementById(id);
const history = { mps: [], conns: [] };
let timer = null;
let stopped = false;

const fmt = (n, digits = 0) => (typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : '–');

function spark(svgId, values) {
  const line = $(svgId).querySelector('polyline');
  if (values.length < 2) { line.setAttribute('points', ''); return; }
  const max = Math.max(...values, 1);
  const step = 120 / (HISTORY - 1);
  const start = HISTORY - values.length;
  line.setAttribute('points', values.map((v, i) => `${((start + i) * step).toFixed(1)},${(29 - (v / max) * 28).toFixed(1)}`).join(' '));
}

function kvTable(id, obj, label = (k) => k) {
  const entries = Object.entries(obj ?? {}).sort((a, b) => b[1] - a[1]);
  $(id).tBodies[0].replaceChildren(...(entries.length
    ? entries.map(([k, v]) => el('tr', {}, el('th', {}, label(k)), el('td', {}, fmt(v))))
    : [el('tr', {}, el('td', { colspan: 2, class: 'muted' }, 'none'))]));
}

function push(list, v) {
  list.push(typeof v === 'number' && Number.isFinite(v) ? v : 0);
  if (list.length > HISTORY) list.shift();
}

function show(m) {
  const conns = Object.values(m.active_connections ?? {}).reduce((a, b) => a + (Number(b) || 0), 0);
  $('generated-at').textContent = m.generated_at ?? '–';
  $('m-mps').textContent = fmt(m.messages_per_second, 1);
  $('m-conns').textContent = String(conns);
  $('m-authfail').textContent = fmt(m.auth_failures);
  $('m-reconn').textContent = fmt(m.reconnections);
  $('m-reconn-rate').textContent = `${fmt(m.reconnection_rate_per_minute, 2)} / min`;
  const p = m.processing_ms ?? {};
  $('m-proc').textContent = `p50 ${fmt(p.p50, 1)} · p90 ${fmt(p.p90, 1)} · p99 ${fmt(p.p99, 1)}`;
  push(history.mps, m.messages_per_second);
  push(history.conns, conns);
  spark('spark-mps', history.mps);
  spark('spark-conns', history.conns);
  kvTable('t-conns', m.active_connections, nameOf);
  kvTable('t-events', m.events_by_type);
  kvTable('t-errors', m.errors_by_type);
}

async function poll() {
  timer = null;
  const state = $('poll-state');
  try {
    const res = await fetch('/dev/metrics', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    show(await res.json());
    state.textContent = 'ok';
    state.dataset.state = 'open';
  } catch (err) {
    state.textContent = `failed (${err.message})`;
    state.dataset.state = 'reconnecting';
  }
  if (!stopped) timer = setTimeout(poll, POLL_MS);
}

document.addEventListener('visibilitychange', () => {
  // A hidden tab does not need numbers; resume at once when it is shown again.
  if (document.hidden) { stopped = true; if (timer) clearTimeout(timer); timer = null; }
  else if (stopped) { stopped = false; poll(); }
});
poll();
