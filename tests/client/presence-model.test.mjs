import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PresenceBoard, lagText, ago } from '../../src/RestaurantOs.DevHost/wwwroot/js/presence-model.js';

const entry = (key, extra = {}) => ({ key, station: key.startsWith('s.') ? key.slice(2) : null, role: 'kitchen', connection_id: `c-${key}`, status: 'live', version: 1, ...extra });

test('a snapshot replaces the screens and sets the latest seq', () => {
  const b = new PresenceBoard();
  b.applyEvent({ type: 'presence:updated', data: { change: 'joined', station: entry('s.old') } });
  b.applySnapshot({ stations: [entry('s.grill'), entry('c.x1')], latest_seq: 42 });
  assert.deepEqual([...b.screens.keys()].sort(), ['c.x1', 's.grill']);
  assert.equal(b.latestSeq, 42);
});

test('an older version never overwrites a newer one', () => {
  const b = new PresenceBoard();
  b.applyEvent({ type: 'station:alert', data: { alert: 'gone', state: 'raised', station: entry('s.grill', { status: 'gone', alert: 'gone', version: 3 }) } });
  assert.equal(b.applyEvent({ type: 'presence:updated', data: { change: 'left', station: entry('s.grill', { status: 'gone', version: 2 }) } }), false);
  assert.equal(b.screens.get('s.grill').alert, 'gone');
});

test('an unnamed screen that leaves is removed; a named station stays, gone', () => {
  const b = new PresenceBoard();
  b.applySnapshot({ stations: [entry('c.tab'), entry('s.pass')], latest_seq: 0 });
  b.applyEvent({ type: 'presence:updated', data: { change: 'left', station: entry('c.tab', { status: 'gone', version: 2 }) } });
  b.applyEvent({ type: 'presence:updated', data: { change: 'left', station: entry('s.pass', { status: 'gone', version: 2 }) } });
  assert.deepEqual([...b.screens.keys()], ['s.pass']);
  assert.equal(b.screens.get('s.pass').status, 'gone');
});

test('trouble sorts first and alerts list only screens with an alert, oldest first', () => {
  const b = new PresenceBoard();
  b.applySnapshot({ stations: [
    entry('s.b-live'),
    entry('s.a-behind', { status: 'behind', alert: 'behind', alert_since: '2026-01-01T10:05:00Z' }),
    entry('s.c-gone', { status: 'gone', alert: 'gone', alert_since: '2026-01-01T10:01:00Z' }),
    entry('c.unnamed'),
  ], latest_seq: 9 });
  assert.deepEqual(b.list().map((s) => s.key), ['s.c-gone', 's.a-behind', 's.b-live', 'c.unnamed']);
  assert.deepEqual(b.alerts().map((s) => s.key), ['s.c-gone', 's.a-behind']);
  assert.deepEqual(b.counts(), { live: 2, behind: 1, gone: 1 });
});

test('lag and age read as a manager says them', () => {
  assert.equal(lagText({ applied_seq: 10, latest_seq: 38 }, 0), '28 events behind');
  assert.equal(lagText({ applied_seq: 10, latest_seq: 10 }, 0), 'up to date');
  assert.equal(lagText({}, 5), '');
  const now = Date.parse('2026-01-01T10:10:00Z');
  assert.equal(ago('2026-01-01T10:09:18Z', now), '42 s ago');
  assert.equal(ago('2026-01-01T10:00:00Z', now), '10 min ago');
  assert.equal(ago(null, now), '');
});
