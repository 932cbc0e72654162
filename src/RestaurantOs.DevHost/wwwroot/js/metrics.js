// Metrics page: polls GET /dev/metrics every 2 s (one timer; the next poll is scheduled after the last ends).

import { params, el, renderContext, listRestaurants, restaurantName } from './common.js';

const POLL_MS = 2000;
const HISTORY = 60;

let restaurants = [];
try { restaurants = await listRestaurants(); } catch { /* names are a nicety */ }
// Metrics tag restaurants by id without dashes; connections that have not authenticated yet are "pending".
const nameOf = (id) => (id === 'pending' ? 'not yet authenticated' : restaurantName(restaurants, id) ?? `restaurant ${String(id).slice(0, 8)}…`);
renderContext({ restaurantId: params.get('restaurant_id') ?? '', restaurantName: restaurantName(restaurants, params.get('restaurant_id') ?? '') ?? 'all', role: '—', mode: '—' });

const $ = (id) => document.getElementById(id);
const history = { mps: [], conns: [] };
let timer = null;
let stopped = false;

const fmt = (n, digits = 0) => (typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : '–');

// Each chart says what it shows: the window it covers and the top of its scale.
function spark(svgId, values) {
  const line = $(svgId).querySelector('polyline');
  const caption = document.querySelector(`[data-caption-for="${svgId}"]`);
  const max = Math.max(...values, 1);
  if (caption) caption.textContent = `last ${Math.round((values.length * POLL_MS) / 1000)} s · peak ${fmt(Math.max(...values, 0), 1)}`;
  if (values.length < 2) { line.setAttribute('points', ''); return; }
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
  const at = Date.parse(m.generated_at ?? '');
  $('generated-at').textContent = Number.isFinite(at) ? `updated ${new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })}` : '–';
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

// When polls fail the numbers on screen are old: dim them and say since when, as the live pages do.
let lastOk = null;
function showStale(failed, message) {
  const stale = failed && lastOk !== null;
  document.body.classList.toggle('stale', stale);
  $('offline').hidden = !stale;
  if (stale) $('last-update').textContent = `${Math.round((Date.now() - lastOk) / 1000)} s ago`;
  const banner = $('banner');
  banner.hidden = !failed;
  if (failed) banner.textContent = `Could not read /dev/metrics: ${message}. Retrying every ${POLL_MS / 1000} s…`;
}

async function poll() {
  timer = null;
  const state = $('poll-state');
  try {
    const res = await fetch('/dev/metrics', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    show(await res.json());
    lastOk = Date.now();
    state.textContent = 'ok';
    state.dataset.state = 'open';
    showStale(false);
  } catch (err) {
    state.textContent = 'failed';
    state.dataset.state = 'reconnecting';
    showStale(true, err.message);
  }
  if (!stopped) timer = setTimeout(poll, POLL_MS);
}

document.addEventListener('visibilitychange', () => {
  // A hidden tab does not need numbers; resume at once when it is shown again.
  if (document.hidden) { stopped = true; if (timer) clearTimeout(timer); timer = null; }
  else if (stopped) { stopped = false; poll(); }
});
poll();
