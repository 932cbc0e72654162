// Presence panel for managers: every screen of the restaurant, live / behind / gone, and the station alerts in force.
// Fed by GET /api/presence and the presence:updated and station:alert events.

import { pageContext, renderContext, checkContext, devTokens, createClient, api, bindConnectionState, bindLiveView, bindStaleState, showSnapshotError, el } from './common.js';
import { PresenceBoard, lagText, ago } from './presence-model.js';

const ctx = await pageContext('manager');
renderContext(ctx);
const tokens = devTokens(ctx);
const client = createClient(ctx, tokens);
const board = new PresenceBoard();
bindConnectionState(client);
bindStaleState(client);
window.realtimeClient = client; // for debugging in DevTools and for end-to-end tests

const banner = document.getElementById('banner');
const alertsNode = document.getElementById('station-alerts');
const summaryNode = document.getElementById('summary');
const rowsNode = document.getElementById('screens');

const time = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '');

function alertNode(s, now) {
  const what = s.alert === 'gone'
    ? `gone since ${time(s.gone_since)} (${ago(s.gone_since, now)})`
    : `behind: ${lagText(s, board.latestSeq)}, last heard ${ago(s.last_seen_at, now)}`;
  return el('div', { class: `station-alert alert-${s.alert}`, role: 'alert', dataset: { key: s.key, alert: s.alert } },
    el('strong', {}, s.alert === 'gone' ? 'STATION DOWN' : 'STATION BEHIND'), ' ',
    el('span', { class: 'name' }, s.station ?? s.connection_id), ` (${s.role}) — ${what}`);
}

function rowNode(s, now) {
  return el('tr', { class: `screen status-${s.status}`, dataset: { key: s.key, status: s.status } },
    el('td', { class: 'name' }, s.station ?? el('span', { class: 'muted' }, `unnamed (${String(s.connection_id).slice(0, 8)}…)`), s.device ? el('div', { class: 'muted' }, s.device) : null),
    el('td', {}, s.role),
    el('td', { class: 'state' }, el('span', { class: `pill pill-${s.status}` }, s.status)),
    el('td', {}, s.status === 'gone' ? `gone ${ago(s.gone_since, now)}` : `since ${time(s.connected_since)}`),
    el('td', {}, ago(s.last_seen_at, now)),
    el('td', { class: 'lag' }, lagText(s, board.latestSeq)),
    el('td', { class: 'muted' }, s.transport));
}

function render() {
  const now = Date.now();
  const counts = board.counts();
  summaryNode.replaceChildren(
    el('span', { class: 'pill pill-live' }, `${counts.live} live`), ' ',
    el('span', { class: 'pill pill-behind' }, `${counts.behind} behind`), ' ',
    el('span', { class: 'pill pill-gone' }, `${counts.gone} gone`), ' ',
    el('span', { class: 'muted' }, `latest seq ${board.latestSeq}`));
  const alerts = board.alerts();
  alertsNode.replaceChildren(...(alerts.length ? alerts.map((s) => alertNode(s, now)) : [el('p', { class: 'muted no-alerts' }, 'No station alerts.')]));
  const screens = board.list();
  rowsNode.replaceChildren(...(screens.length ? screens.map((s) => rowNode(s, now))
    : [el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No screens connected. Open a KDS (kds.html?station=grill-kds-1) to see one.'))]));
}

async function loadSnapshot() {
  try {
    board.applySnapshot(await api(tokens, '/api/presence'));
    if (banner.dataset.kind === 'snapshot') banner.hidden = true;
    render();
  } catch (err) {
    showSnapshotError(banner, 'station presence', err);
  }
}

bindLiveView(client, { banner, applyEvent: (e) => board.applyEvent(e), render, loadSnapshot });
// The list is a snapshot plus events without seq: after every reconnect, read it again.
client.on('state', (s) => { if (s === 'open') loadSnapshot(); });
setInterval(render, 5000); // ages move with the clock

render();
if (checkContext(ctx)) client.connect();
window.addEventListener('pagehide', () => client.close());
window.addEventListener('pageshow', (e) => { if (e.persisted) client.connect(); });
