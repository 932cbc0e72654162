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

/**
 * Page context from the query string: restaurant_id (default: the first demo restaurant), role, sub, mode.
 * Returns { restaurantId, restaurantName, role, sub, mode, restaurants }.
 */
export async function pageContext(defaultRole) {
  const role = params.get('role') || defaultRole;
  const mode = params.get('mode') || 'negotiate';
  let restaurants = [];
  try { restaurants = await listRestaurants(); } catch (err) { console.warn('could not list restaurants', err); }
  const restaurantId = params.get('restaurant_id') || restaurants[0]?.id || '';
  const restaurantName = restaurants.find((r) => r.id === restaurantId)?.name ?? restaurantId;
  const sub = params.get('sub') || `dev-${role}`;
  return { restaurantId, restaurantName, role, sub, mode, restaurants };
}

/** A token source for the page: a fresh development token for every (re)connect; the last one is kept for HTTP calls. */
export function devTokens(ctx) {
  let last = null;
  const get = async () => {
    const q = new URLSearchParams({ restaurant_id: ctx.restaurantId, role: ctx.role, sub: ctx.sub });
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
      el('a', { href: linkWithContext('metrics.html', ctx) }, 'Metrics')),
  );
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
      banner.hidden = true;
      if (!loadedOnce) { loadedOnce = true; loadSnapshot(); }
    }
  });
  client.on('*', (e) => { if (applyEvent(e)) render(); });
  client.on('resync', () => loadSnapshot());
  client.on('error', (e) => {
    if (e.terminal) {
      banner.hidden = false;
      banner.replaceChildren(`Disconnected: ${e.code} ${e.message} `,
        el('button', { type: 'button', onclick: () => client.refreshToken() }, 'Reconnect with a new token'));
    } else if (e.source === 'server') {
      toast(`${e.code}: ${e.message}`, 'error');
    }
  });
}
