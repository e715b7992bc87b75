// The rooms of docs/architecture.md, checked on the source: core/ imports only itself; registry/, runtime/ and tui/
// import core/ and nothing of another room; gateway/ enters runtime/ by its front door (index.ts); plugin/ enters
// registry/, tui/ and gateway/ only by their front doors;
// examples/ use the package (`mesh/runtime`) as a user does. Unit tests beside the code are exempt (they may use
// test fixtures).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import test from 'ava';
import { ROOT } from './support/processes.js';

/** Room → the other rooms it may enter, by their index.ts only. */
const MAY_ENTER: Record<string, string[]> = {
  core: [],
  registry: [],
  runtime: [],
  tui: [],
  plugin: ['registry', 'tui', 'gateway'],
  gateway: ['runtime'],
  examples: [],
  bench: ['registry', 'runtime', 'tui', 'test'],
};

/** Rooms entered by another door than index.ts: the bench borrows the tests' harness (a real PostgreSQL server). */
const OTHER_DOORS: Record<string, (path: string) => boolean> = { test: (path) => path.startsWith('support/') };

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The relative specifiers a file imports (static, dynamic, and `typeof import(…)`), as paths from the root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((s) => relative(ROOT, normalize(join(ROOT, dirname(file), s))));
}

/** The import of `target` (a path from the root) by a file of `room`, when the table above forbids it. */
function breach(room: string, target: string): string | undefined {
  const [targetRoom, ...rest] = target.split('/');
  if (targetRoom === room || targetRoom === 'core') return room === 'core' && targetRoom !== 'core' ? 'core imports only core' : undefined;
  if (room === 'core') return 'core imports only core';
  if (!MAY_ENTER[room]!.includes(targetRoom!)) return `${room}/ may not import ${targetRoom}/`;
  if (OTHER_DOORS[targetRoom!]) return OTHER_DOORS[targetRoom!]!(rest.join('/')) ? undefined : `${targetRoom}/ is entered by its support/ only`;
  if (rest.join('/') !== 'index.js') return `${targetRoom}/ is entered by its index.ts only`;
  return undefined;
}

test('every import across rooms goes to core/ or through a front door the architecture allows', (t) => {
  const breaches: string[] = [];
  let checked = 0;
  for (const room of Object.keys(MAY_ENTER)) {
    for (const file of sourceFiles(room)) {
      for (const target of importsOf(file)) {
        checked++;
        const why = breach(room, target);
        if (why) breaches.push(`${file} imports ${target}: ${why}`);
      }
    }
  }
  t.true(checked > 300, `imports checked: ${checked}`);
  t.deepEqual(breaches, []);
});

test('the checker sees a breach when there is one', (t) => {
  t.is(breach('runtime', 'registry/store/index.js'), 'runtime/ may not import registry/');
  t.is(breach('plugin', 'registry/store/index.js'), 'registry/ is entered by its index.ts only');
  t.is(breach('plugin', 'registry/index.js'), undefined);
  t.is(breach('core', 'registry/index.js'), 'core imports only core');
  t.is(breach('tui', 'core/text/table.js'), undefined);
});
