// Home page: pick a restaurant, connect mode and role; the page links carry them as query parameters.

import { params, listRestaurants, el } from './common.js';

const select = document.getElementById('restaurant');
const mode = document.getElementById('mode');
const role = document.getElementById('role');
mode.value = params.get('mode') || 'negotiate';
role.value = params.get('role') || '';

function updateLinks() {
  for (const a of document.querySelectorAll('#pages a[data-page]')) {
    const q = new URLSearchParams();
    if (select.value) q.set('restaurant_id', select.value);
    if (mode.value !== 'negotiate') q.set('mode', mode.value);
    if (role.value) q.set('role', role.value);
    const qs = q.toString();
    a.href = qs ? `${a.dataset.page}?${qs}` : a.dataset.page;
  }
}

try {
  const restaurants = await listRestaurants();
  select.replaceChildren(...restaurants.map((r) => el('option', { value: r.id }, `${r.name} (${r.id.slice(0, 8)}…)`)));
  if (params.get('restaurant_id')) select.value = params.get('restaurant_id');
} catch (err) {
  select.replaceChildren(el('option', { value: params.get('restaurant_id') ?? '' }, `could not load /dev/restaurants: ${err.message}`));
}
for (const c of [select, mode, role]) c.addEventListener('change', updateLinks);
updateLinks();
