// Shared page plumbing for the DevHost pages: query parameters, development tokens, the realtime client,
// HTTP calls with problem details, and small DOM helpers. Development only: /dev/token mints tokens for
// anyone who asks, which is why the DevHost serves it and production does not.

import { RealtimeClient } from './restaurant-os-realtime.js';

export const params = new URLSearchParams(location.search);

/** Build an element: el('div', { class: 'x', dataset: { id: 1 }, onclick }, 'text', child…). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'style' && typeof v === 'object') Object.assign(node.style, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}

/** An HTTP error with the server's RFC 7807 problem details, when there were any. */
export class HttpProblem extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function readProblem(res) {
  try { return await res.json(); } catch { return null; }
}

/** GET /dev/restaurants → [{id, name}]. */
export async function listRestaurants() {
  const res = await fetch('/dev/restaurants', { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new HttpProblem(res.status, await readProblem(res));
  return res.json();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLES = ['owner', 'manager', 'server', 'cashier', 'kitchen', 'expo', 'customer', 'service'];
const MODES = ['negotiate', 'direct', 'first-message'];
/** A station or device name, as the server validates it (StationNames). */
export const STATION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A restaurant's display name, whatever form its id comes in (metrics tag ids without dashes). */
export function restaurantName(restaurants, id) {
  const plain = String(id ?? '').replaceAll('-', '').toLowerCase();
  return restaurants.find((r) => r.id.replaceAll('-', '').toLowerCase() === plain)?.name ?? null;
}

/**
 * Page context from the query string: restaurant_id (default: the first demo restaurant), role, sub, mode, station
 * and, for a customer, order_ids. Returns { restaurantId, restaurantName, role, sub, mode, station, orderIds,
 * restaurants, error }: `error` says what is wrong with the query, and a page with one shows it instead of connecting.
 */
export async function pageContext(defaultRole) {
  const role = (params.get('role') || defaultRole).toLowerCase();
  const mode = params.get('mode') || 'negotiate';
  let restaurants = [];
  try { restaurants = await listRestaurants(); } catch (err) { console.warn('could not list restaurants', err); }
  const restaurantId = params.get('restaurant_id') || restaurants[0]?.id || '';
  const name = restaurantName(restaurants, restaurantId) ?? restaurantId;
  const sub = params.get('sub') || `dev-${role}`;
  const station = params.get('station') || null;
  const orderIds = (params.get('order_ids') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  let error = null;
  if (!UUID.test(restaurantId)) error = restaurantId ? `restaurant_id '${restaurantId}' is not a UUID.` : 'No restaurant: start DevHost with --demo, or add ?restaurant_id=<uuid>.';
  else if (!ROLES.includes(role)) error = `role '${role}' is not one of ${ROLES.join(', ')}.`;
  else if (!MODES.includes(mode)) error = `mode '${mode}' is not one of ${MODES.join(', ')}.`;
  else if (station !== null && !STATION_NAME.test(station)) error = `station '${station}' must be 1-64 letters, digits, '.', '_' or '-'.`;
  else if (orderIds.some((id) => !UUID.test(id))) error = 'order_ids must be UUIDs separated by commas.';
  return { restaurantId, restaurantName: name, role, sub, mode, station, orderIds, restaurants, error };
}

/**
 * A customer token needs the orders it may follow: the ones in ?order_ids=, else the restaurant's most recent active
 * order (found with a manager's development token). Throws when the restaurant has none to follow.
 */
async function customerOrders(ctx) {
  if (ctx.orderIds.length > 0) return ctx.orderIds;
  const q = new URLSearchParams({ restaurant_id: ctx.restaurantId, role: 'manager', sub: 'dev-order-picker' });
  const res = await fetch(`/dev/token?${q}`, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new HttpProblem(res.status, await readProblem(res));
  const { token } = await res.json();
  const orders = await fetch('/api/orders', { headers: { Accept: 'application/json', Authorization: `Bearer ${token}` } });
  if (!orders.ok) throw new HttpProblem(orders.status, await readProblem(orders));
  const list = await orders.json();
  const newest = (Array.isArray(list) ? list : []).sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)))[0];
  if (!newest) throw new Error('This restaurant has no active order for a customer to follow: create one, or add ?order_ids=<uuid>.');
  ctx.orderIds = [newest.id];
  ctx.onOrders?.(ctx.orderIds, newest);
  return ctx.orderIds;
}

/** A token source for the page: a fresh development token for every (re)connect; the last one is kept for HTTP calls. */
export function devTokens(ctx) {
  let last = null;
  const get = async () => {
    const q = new URLSearchParams({ restaurant_id: ctx.restaurantId, role: ctx.role, sub: ctx.sub });
    if (ctx.station) q.set('station', ctx.station);
    if (ctx.role === 'customer') q.set('order_ids', (await customerOrders(ctx)).join(','));
    const res = await fetch(`/dev/token?${q}`, { headers: { Accept: 'application/json' } });
    if (!res.ok) throw new HttpProblem(res.status, await readProblem(res));
    const body = await res.json();
    if (!body?.token) throw new Error('/dev/token returned no token');
    last = body.token;
    return last;
  };
  return { get, current: async () => last ?? get() };
}

/** The hub URL on this host (ws: or wss: to match the page). */
export function hubUrl() {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/client/hubs/restaurant`;
}

/** One realtime client for the page, in the mode chosen by ?mode= (default negotiate). */
export function createClient(ctx, tokens, extra = {}) {
  return new RealtimeClient({
    mode: ctx.mode,
    url: ctx.mode === 'negotiate' ? undefined : hubUrl(),
    apiBase: location.origin,
    getToken: tokens.get,
    ...extra,
  });
}

/** fetch with the bearer token; JSON in and out; throws HttpProblem on a non-2xx answer. */
export async function api(tokens, path, init = {}) {
  const token = await tokens.current();
  const headers = { Accept: 'application/json', Authorization: `Bearer ${token}`, ...(init.headers ?? {}) };
  let body = init.body;
  if (body !== undefined && typeof body !== 'string') {
    body = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(path, { ...init, headers, body });
  if (!res.ok) throw new HttpProblem(res.status, await readProblem(res));
  if (res.status === 204) return null;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

/** Keep #connection-state showing the client's state (text = state, data-state for styling). */
export function bindConnectionState(client, node = document.getElementById('connection-state')) {
  if (!node) return () => {};
  const show = (s) => { node.textContent = s; node.dataset.state = s; };
  show(client.state);
  return client.on('state', show);
}

/** Keep restaurant/role/mode/sub when linking between pages. */
export function linkWithContext(page, ctx) {
  const q = new URLSearchParams();
  if (ctx.restaurantId) q.set('restaurant_id', ctx.restaurantId);
  if (params.get('mode')) q.set('mode', params.get('mode'));
  return `${page}?${q}`;
}

/** Header line: restaurant, role, mode, and navigation. */
export function renderContext(ctx, node = document.getElementById('context')) {
  if (!node) return;
  node.replaceChildren(
    el('span', { class: 'ctx' }, `Restaurant: ${ctx.restaurantName || '(none)'}`),
    el('span', { class: 'ctx' }, `Role: ${ctx.role}`),
    el('span', { class: 'ctx' }, `Mode: ${ctx.mode}`),
    el('nav', {},
      el('a', { href: linkWithContext('index.html', ctx) }, 'Home'),
      el('a', { href: linkWithContext('kds.html', ctx) }, 'KDS'),
      el('a', { href: linkWithContext('floor.html', ctx) }, 'Floor'),
      el('a', { href: linkWithContext('console.html', ctx) }, 'Console'),
      el('a', { href: linkWithContext('presence.html', ctx) }, 'Presence'),
      el('a', { href: linkWithContext('metrics.html', ctx) }, 'Metrics')),
  );
}

/**
 * A page whose query is wrong (ctx.error) shows why in the banner, with a link home, and does not connect.
 * Returns true when the page may go on.
 */
export function checkContext(ctx, banner = document.getElementById('banner')) {
  if (!ctx.error) return true;
  if (banner) {
    banner.hidden = false;
    banner.dataset.kind = 'config';
    banner.replaceChildren(`Cannot open this page: ${ctx.error} `, el('a', { href: 'index.html' }, 'Choose a restaurant and role'));
  }
  const state = document.getElementById('connection-state');
  if (state) { state.textContent = 'not connected'; state.dataset.state = 'closed'; }
  return false;
}

/**
 * An unmistakable stale state for a live page: once the page has been live, losing the connection dims the page
 * (body.stale) and shows #offline with the time since the last update, counting, until the connection is back.
 * Returns a function telling whether the page is live now.
 */
export function bindStaleState(client, { onChange } = {}) {
  const offline = document.getElementById('offline');
  const age = document.getElementById('last-update');
  let online = false;
  let everOpen = false;
  let lastUpdate = Date.now();
  const show = () => {
    const stale = everOpen && !online;
    document.body.classList.toggle('stale', stale);
    if (offline) offline.hidden = !stale;
    if (stale && age) age.textContent = `${Math.max(0, Math.round((Date.now() - lastUpdate) / 1000))} s ago`;
  };
  client.on('message', () => { lastUpdate = Date.now(); });
  client.on('state', (s) => {
    const was = online;
    online = s === 'open';
    if (online) { everOpen = true; lastUpdate = Date.now(); }
    show();
    if (was !== online) onChange?.(online);
  });
  setInterval(show, 1000);
  return () => online;
}

/** Show a transient message in #toast. */
export function toast(message, kind = 'info') {
  const node = document.getElementById('toast');
  if (!node) return;
  node.textContent = message;
  node.dataset.kind = kind;
  node.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { node.hidden = true; }, 5000);
}

/**
 * Wires a live view to its client: load the HTTP snapshot on the first open and on every resync, apply each
 * delivered event to the view's model (re-rendering when it changed), and show errors — terminal ones as a banner
 * with a way to reconnect with a new token.
 */
export function bindLiveView(client, { banner, applyEvent, render, loadSnapshot }) {
  let loadedOnce = false;
  client.on('state', (s) => {
    if (s === 'open') {
      if (banner.dataset.kind !== 'snapshot') banner.hidden = true;
      if (!loadedOnce) { loadedOnce = true; loadSnapshot(); }
    }
  });
  client.on('*', (e) => { if (applyEvent(e)) render(); });
  client.on('resync', () => loadSnapshot());
  client.on('error', (e) => {
    if (!showConnectionError(client, banner, e) && e.source === 'server') toast(`${e.code}: ${e.message}`, 'error');
  });
}

/**
 * Shows a client error that concerns the connection in the banner: a terminal one with a way to reconnect with a new
 * token, a client-side failure (no token, negotiate refused, the socket failed) while the client retries, so a page
 * never sits in "reconnecting" without a reason. Returns false for a server error about one message.
 */
export function showConnectionError(client, banner, e) {
  if (e.terminal) {
    banner.hidden = false;
    banner.dataset.kind = 'terminal';
    banner.replaceChildren(`Disconnected: ${e.code} ${e.message} `,
      el('button', { type: 'button', onclick: () => client.refreshToken() }, 'Reconnect with a new token'));
    return true;
  }
  if (e.source === 'server') return false;
  banner.hidden = false;
  banner.dataset.kind = 'retrying';
  banner.replaceChildren(`Not connected: ${e.code} — ${e.message}. Retrying…`);
  return true;
}

/** Show that the page's snapshot could not be loaded (a refused role, say) until a later load succeeds. */
export function showSnapshotError(banner, what, err) {
  banner.hidden = false;
  banner.dataset.kind = 'snapshot';
  const code = err?.problem?.code ? ` (${err.problem.code})` : '';
  banner.replaceChildren(`Could not load ${what}: ${err?.message ?? err}${code}`);
}
