// Home page: pick a restaurant, connect mode, role and KDS station; the page links carry them as query parameters.

import { params, listRestaurants, el, STATION_NAME } from './common.js';

const select = document.getElementById('restaurant');
const mode = document.getElementById('mode');
const role = document.getElementById('role');
const station = document.getElementById('station');
const banner = document.getElementById('banner');
const roleNote = document.getElementById('role-note');
mode.value = params.get('mode') || 'negotiate';
role.value = params.get('role') || '';
station.value = params.get('station') || '';

const NOTES = {
  customer: 'A customer follows one order: the pages pick the restaurant\'s newest active order (or add order_ids=… to the page URL). The floor plan and presence are not for customers and say so.',
  kitchen: 'The kitchen sees orders and the KDS, no payments, tables or presence.',
};

function updateLinks() {
  for (const a of document.querySelectorAll('#pages a[data-page]')) {
    const q = new URLSearchParams();
    if (select.value) q.set('restaurant_id', select.value);
    if (mode.value !== 'negotiate') q.set('mode', mode.value);
    if (role.value) q.set('role', role.value);
    if (station.value.trim() && a.dataset.page === 'kds.html') q.set('station', station.value.trim());
    const qs = q.toString();
    a.href = qs ? `${a.dataset.page}?${qs}` : a.dataset.page;
  }
  roleNote.hidden = !NOTES[role.value];
  roleNote.textContent = NOTES[role.value] ?? '';
  station.setCustomValidity(station.value && !STATION_NAME.test(station.value) ? 'letters, digits, ".", "_" or "-"' : '');
}

try {
  const restaurants = await listRestaurants();
  if (restaurants.length === 0) {
    banner.hidden = false;
    banner.textContent = 'No restaurants yet: start DevHost with --demo for two demo restaurants, or open a page with ?restaurant_id=<uuid>.';
  }
  select.replaceChildren(...restaurants.map((r) => el('option', { value: r.id }, `${r.name} (${r.id.slice(0, 8)}…)`)));
  if (params.get('restaurant_id')) select.value = params.get('restaurant_id');
} catch (err) {
  banner.hidden = false;
  banner.textContent = `Could not load the restaurants from /dev/restaurants: ${err.message}. Is DevHost running?`;
  select.replaceChildren(el('option', { value: params.get('restaurant_id') ?? '' }, 'unavailable'));
}
for (const c of [select, mode, role, station]) c.addEventListener(c === station ? 'input' : 'change', updateLinks);
updateLinks();
