import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as mod from '../../clients/js/restaurant-os-realtime.js';

const dir = new URL('../../clients/js/', import.meta.url);

// Values the .d.ts declares (types and interfaces have no runtime counterpart and are ignored).
function declaredValueExports(dts) {
  const names = new Set();
  const re = /^export\s+declare\s+(?:class|function|const|let|var|enum)\s+([A-Za-z_$][\w$]*)/gm;
  for (const m of dts.matchAll(re)) names.add(m[1]);
  return [...names].sort();
}

// Exports the module source declares, read as text (so a re-export or rename in the file is noticed too).
function sourceValueExports(js) {
  const names = new Set();
  for (const m of js.matchAll(/^export\s+(?:class|function|async\s+function|const|let|var)\s+([A-Za-z_$][\w$]*)/gm)) names.add(m[1]);
  for (const m of js.matchAll(/^export\s*\{([^}]*)\}/gm)) {
    for (const part of m[1].split(',')) {
      const name = part.trim().split(/\s+as\s+/).pop();
      if (name) names.add(name);
    }
  }
  return [...names].sort();
}

test('.d.ts declares exactly the values the module exports', async () => {
  const dts = await readFile(new URL('restaurant-os-realtime.d.ts', dir), 'utf8');
  const js = await readFile(new URL('restaurant-os-realtime.js', dir), 'utf8');
  const declared = declaredValueExports(dts);
  assert.ok(declared.includes('RealtimeClient'));
  assert.deepEqual(declared, sourceValueExports(js), 'text of the .d.ts vs text of the .js');
  assert.deepEqual(declared, Object.keys(mod).sort(), 'text of the .d.ts vs the loaded module');
});

test('.d.ts declares every public RealtimeClient member', async () => {
  const dts = await readFile(new URL('restaurant-os-realtime.d.ts', dir), 'utf8');
  const body = dts.slice(dts.indexOf('export declare class RealtimeClient'));
  const proto = Object.getOwnPropertyNames(mod.RealtimeClient.prototype).filter((n) => n !== 'constructor' && !n.startsWith('_'));
  assert.ok(proto.length >= 9);
  for (const name of proto) assert.match(body, new RegExp(`\\b${name}\\b[?]?[(:]`), `member ${name} is declared`);
});
