// Durability with real processes and real files: every registration acknowledged with 200 survives kill -9
// mid-storm; SIGTERM saves and exits 0; foreign, corrupt, newer or busy data files are refused and left untouched.
import test from 'ava';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import { createRegistry } from '../registry/index.js';
import { APPLICATION_ID, SCHEMA_VERSION } from '../registry/storage/sqlite/schema.js';
import { tempDir } from './support/processes.js';
import { agentPayload, getJson, postHeartbeat, runRegistryToExit, spawnRegistry } from './support/registry.js';
import { waitFor } from './support/wait.js';

test('kill -9 in the middle of a registration storm: every acknowledged agent is there after the restart', async (t) => {
  const { dir, remove } = tempDir();
  t.teardown(remove);
  const dataFile = join(dir, 'storm.db');
  const first = await spawnRegistry({ args: ['--data-file', dataFile] });
  t.teardown(() => void first.stop('SIGKILL'));

  const acknowledged = new Set<string>();
  let failed = 0;
  let killed = false;
  const started = Date.now();
  const worker = async (w: number) => {
    for (let i = 0; !killed || i < 0; i++) {
      const id = `storm-${w}-${String(i).padStart(6, '0')}`;
      const payload = agentPayload(id, {
        http_port: 10_000 + w,
        tools: [
          { function_name: `f${i}`, capability: `cap-${i % 50}`, version: `1.${i % 7}.0`, tags: ['storm', `w${w}`] },
          {
            function_name: `g${i}`,
            capability: `use-${w}`,
            dependencies: [`cap-${(i + 1) % 50}`, { capability: `cap-${(i + 2) % 50}`, tags: ['+storm'] }],
          },
        ],
      });
      try {
        const answer = await postHeartbeat(first.url, payload);
        if (answer.status === 200) acknowledged.add(id);
        else failed++;
      } catch {
        return; // the registry is gone
      }
    }
  };
  const workers = Array.from({ length: 16 }, (_, w) => worker(w));
  // Kill once a good number went through, with requests certainly in flight.
  while (acknowledged.size < 600 && Date.now() - started < 20_000) await new Promise((resolve) => setTimeout(resolve, 10));
  const stormMs = Date.now() - started;
  const ackedAtKill = acknowledged.size;
  killed = true;
  first.child.kill('SIGKILL');
  await Promise.all(workers);
  t.is(await first.exited, 'SIGKILL');
  t.is(failed, 0, 'no registration was refused during the storm');
  t.log(
    `storm: ${ackedAtKill} registrations acknowledged in ${stormMs} ms (${Math.round((ackedAtKill * 1000) / stormMs)} POST/s, 16 connections, 2 tools each), then kill -9 (${acknowledged.size} acknowledged in all)`,
  );
  t.log(`files left by the crash: ${readdirSync(dir).sort().join(', ')}`);

  const second = await spawnRegistry({ args: ['--data-file', dataFile] });
  t.teardown(() => void second.stop('SIGKILL'));
  const { body } = await getJson(second.url, '/agents');
  const present = new Set<string>(body.agents.map((a: any) => a.id));
  const lost = [...acknowledged].filter((id) => !present.has(id));
  t.deepEqual(lost, [], `acknowledged but lost after kill -9: ${lost.length}`);
  t.true(
    body.agents.every((a: any) => a.status === 'unknown'),
    'restored agents wait for their next heartbeat (grace)',
  );
  const sample = body.agents.find((a: any) => a.id === [...acknowledged][0]);
  t.is(sample.capabilities.length, 2, 'the whole registration came back, not only the id');
  t.log(`after restart: ${present.size} agents (${present.size - acknowledged.size} more than acknowledged: written before the kill, answer lost)`);
  t.regex(second.output(), /replayed \d+ journal records/);
  t.is(await second.stop('SIGTERM'), 0);
});

/** Pids of the snapshot processes working on `dataFile` (they name the task and the file in their arguments). */
function snapshotProcesses(dataFile: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (args.some((a) => a.endsWith('snapshot-process.js')) && args.includes(dataFile)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

test('kill -9 while the snapshot process works: it gives up, and every acknowledged agent is there after the restart', async (t) => {
  const { dir, remove } = tempDir();
  t.teardown(remove);
  const dataFile = join(dir, 'snap.db');
  const first = await spawnRegistry({ args: ['--data-file', dataFile] });
  t.teardown(() => void first.stop('SIGKILL'));
  const acknowledged = new Set<string>();
  let stop = false;
  const description = 'a tool that does something useful, described at some length '.repeat(8);
  const worker = async (w: number) => {
    for (let i = 0; !stop; i++) {
      const id = `snap-${w}-${String(i).padStart(6, '0')}`;
      const tools = Array.from({ length: 8 }, (_, k) => ({ function_name: `f${k}`, capability: `cap-${(i + k) % 40}`, description }));
      try {
        if ((await postHeartbeat(first.url, agentPayload(id, { tools }))).status === 200) acknowledged.add(id);
      } catch {
        return;
      }
    }
  };
  const workers = Array.from({ length: 8 }, (_, w) => worker(w));
  // The first snapshot starts ~2 s after the first change; kill the registry as soon as its process shows up.
  let snapshotPids: number[] = [];
  const deadline = Date.now() + 30_000;
  while (snapshotPids.length === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    snapshotPids = snapshotProcesses(dataFile);
  }
  t.true(snapshotPids.length > 0, 'a snapshot process ran');
  first.child.kill('SIGKILL');
  stop = true;
  await Promise.all(workers);
  t.is(await first.exited, 'SIGKILL');
  const killedAt = Date.now();
  await waitFor(
    'the snapshot processes gone',
    () => snapshotPids.every((pid) => !existsSync(`/proc/${pid}`) || /^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))),
    15_000,
    20,
  );
  t.log(`${acknowledged.size} registrations acknowledged; the orphaned snapshot process ended ${Date.now() - killedAt} ms after the kill`);

  const second = await spawnRegistry({ args: ['--data-file', dataFile] });
  t.teardown(() => void second.stop('SIGKILL'));
  const present = new Set<string>((await getJson(second.url, '/agents')).body.agents.map((a: any) => a.id));
  const lost = [...acknowledged].filter((id) => !present.has(id));
  t.deepEqual(lost, [], `acknowledged but lost: ${lost.length}`);
  t.is(await second.stop('SIGTERM'), 0);
  t.deepEqual(readdirSync(dir), ['snap.db'], 'no temp file or journal left after a clean stop');
});

test('SIGTERM saves and exits 0: the data file holds everything, no journal left behind', async (t) => {
  const { dir, remove } = tempDir();
  t.teardown(remove);
  const dataFile = join(dir, 'term.db');
  const registry = await spawnRegistry({ args: ['--data-file', dataFile], env: { MCP_MESH_REGISTRY_TIMEOUT: '30' } });
  t.teardown(() => void registry.stop('SIGKILL'));
  t.is((await postHeartbeat(registry.url, agentPayload('keep-00000001', { tools: [{ function_name: 'f', capability: 'c' }] }))).status, 200);
  t.regex(registry.output(), /registry: register keep-00000001 keep http:\/\/127\.0\.0\.1:9000 tools=1/);
  t.is(await registry.stop('SIGTERM'), 0);
  t.regex(registry.output(), /SIGTERM, saving and exiting/);
  t.deepEqual(readdirSync(dir), ['term.db'], 'snapshot only: journal retired, lock released');

  const again = await createRegistry({ port: 0, dataFile, log: () => {} });
  t.teardown(() => again.close());
  t.is((await getJson(again.url, '/agents/keep-00000001')).body.capabilities[0].name, 'c');
});

/** Starts main.js on `file` expecting a refusal; returns its output after checking the file is untouched. */
async function expectRefused(t: any, file: string, pattern: RegExp): Promise<string> {
  const before = readFileSync(file);
  const dirBefore = readdirSync(join(file, '..')).sort();
  const { code, output } = await runRegistryToExit(['--port', '0', '--data-file', file]);
  t.is(code, 1, output);
  t.regex(output, pattern);
  t.regex(output, /Nothing was changed/);
  t.notRegex(output, /listening/);
  t.true(readFileSync(file).equals(before), 'the file is byte for byte what it was');
  t.deepEqual(readdirSync(join(file, '..')).sort(), dirBefore, 'no file added or removed next to it');
  return output;
}

test('a file that is not a database, or a foreign SQLite database, is refused and left untouched', async (t) => {
  const { dir, remove } = tempDir();
  t.teardown(remove);
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'these are my notes, not a registry\n'.repeat(20));
  await expectRefused(t, text, /notes\.txt as the registry data file: it is not an SQLite database/);

  const SQL = await initSqlJs();
  const db = new SQL.Database();
  db.run("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); INSERT INTO users (email) VALUES ('a@b.c');");
  const foreign = join(dir, 'app.sqlite');
  writeFileSync(foreign, db.export());
  db.close();
  await expectRefused(t, foreign, /another application \(application_id 0, tables: users\)/);
});

test('a corrupt database and a newer schema are refused and left untouched', async (t) => {
  const { dir, remove } = tempDir();
  t.teardown(remove);
  const good = join(dir, 'good.db');
  const registry = await createRegistry({ port: 0, dataFile: good, log: () => {} });
  for (let i = 0; i < 200; i++) await postHeartbeat(registry.url, agentPayload(`c-${String(i).padStart(8, '0')}`, { description: 'x'.repeat(500) }));
  await registry.close();
  const bytes = readFileSync(good);
  t.true(bytes.length > 8192, `a multi-page file (${bytes.length} bytes)`);

  const damaged = join(dir, 'damaged.db');
  const copy = Buffer.from(bytes);
  copy.fill(0xa5, 4096 + 100, copy.length - 100); // everything after the first page overwritten
  writeFileSync(damaged, copy);
  await expectRefused(t, damaged, /damaged\.db as the registry data file: (the database is corrupt|it cannot be opened)/);

  const truncated = join(dir, 'truncated.db');
  writeFileSync(truncated, bytes.subarray(0, 5000));
  await expectRefused(t, truncated, /truncated\.db as the registry data file: (the database is corrupt|it cannot be opened)/);

  const SQL = await initSqlJs();
  const db = new SQL.Database();
  db.run(`PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = 99; CREATE TABLE future (x);`);
  const newer = join(dir, 'newer.db');
  writeFileSync(newer, db.export());
  db.close();
  await expectRefused(t, newer, new RegExp(`written by a newer pm2-mesh \\(schema version 99, this one knows up to ${SCHEMA_VERSION}\\)`));
});

test('a pre-release data file (schema version 1) or journal (v1) is refused and left untouched', async (t) => {
  const { dir, remove } = tempDir();
  t.teardown(remove);
  const dataFile = join(dir, 'v1.db');
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  db.run(`CREATE TABLE agents (id TEXT PRIMARY KEY); PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = 1;`);
  writeFileSync(dataFile, db.export());
  db.close();
  await expectRefused(t, dataFile, new RegExp(`written by a pre-release pm2-mesh \\(schema version 1, this one reads ${SCHEMA_VERSION}\\)`));

  const journaled = join(dir, 'journaled.db');
  writeFileSync(`${journaled}.mesh-journal.1`, 'pm2-mesh-registry journal v1\n');
  const { code, output } = await runRegistryToExit(['--port', '0', '--data-file', journaled]);
  t.is(code, 1, output);
  t.regex(output, /not a pm2-mesh registry journal \(unknown header\)\. Nothing was changed/);
  t.is(readFileSync(`${journaled}.mesh-journal.1`, 'utf8'), 'pm2-mesh-registry journal v1\n');
});

test('journals: a torn last line is dropped, a damaged line before good ones refuses the start', async (t) => {
  const { dir, remove } = tempDir();
  t.teardown(remove);
  const dataFile = join(dir, 'j.db');
  const registry = await spawnRegistry({ args: ['--data-file', dataFile] });
  for (let i = 0; i < 3; i++) await postHeartbeat(registry.url, agentPayload(`j-0000000${i}`));
  await registry.stop('SIGKILL');
  const journal = readdirSync(dir).find((name) => name.includes('.mesh-journal.'))!;
  t.truthy(journal, 'the kill left a journal');
  const journalPath = join(dir, journal);
  const original = readFileSync(journalPath, 'utf8');

  // A damaged line in the middle: refuse, touch nothing.
  const lines = original.split('\n');
  lines[2] = lines[2]!.replace(/j-0000000/, 'j-9999999');
  writeFileSync(journalPath, lines.join('\n'));
  const { code, output } = await runRegistryToExit(['--port', '0', '--data-file', dataFile]);
  t.is(code, 1);
  t.regex(output, /line 3 is damaged \(checksum mismatch\)/);
  t.is(readFileSync(journalPath, 'utf8'), lines.join('\n'));

  // A torn tail (the crash cut the last write): the complete lines count, the torn one is dropped.
  writeFileSync(journalPath, original + original.split('\n')[1]!.slice(0, 40));
  const restarted = await spawnRegistry({ args: ['--data-file', dataFile] });
  t.teardown(() => void restarted.stop('SIGKILL'));
  t.regex(restarted.output(), /ignoring the torn last line/);
  t.is((await getJson(restarted.url, '/agents')).body.count, 3);
  t.is(await restarted.stop('SIGTERM'), 0);
});

test('one registry per data file: a second one is refused while the first runs', async (t) => {
  const { dir, remove } = tempDir();
  t.teardown(remove);
  const dataFile = join(dir, 'busy.db');
  const first = await spawnRegistry({ args: ['--data-file', dataFile] });
  t.teardown(() => void first.stop('SIGKILL'));
  const { code, output } = await runRegistryToExit(['--port', '0', '--data-file', dataFile]);
  t.is(code, 1);
  t.regex(output, new RegExp(`in use by another registry \\(pid ${first.pid}\\)`));
  t.is(await first.stop('SIGTERM'), 0);
  t.false(existsSync(`${dataFile}.lock`));
});

test('main.js: flags and MCP_MESH_REGISTRY_* variables, usage errors exit 2', async (t) => {
  const usage = await runRegistryToExit(['--port', 'abc']);
  t.is(usage.code, 2);
  t.regex(usage.output, /--port: expected a number/);
  const unknown = await runRegistryToExit(['--bogus']);
  t.is(unknown.code, 2);
  t.regex(unknown.output, /unknown option --bogus/);
  const help = await runRegistryToExit(['--help']);
  t.is(help.code, 0);
  t.regex(help.output, /--data-file <file>/);

  const registry = await spawnRegistry({ args: [], env: { MCP_MESH_REGISTRY_TOKEN: 'tok', MCP_MESH_REGISTRY_PUBLIC_READ: 'true' } });
  t.teardown(() => void registry.stop('SIGKILL'));
  t.is((await postHeartbeat(registry.url, agentPayload('env-00000001'))).status, 401);
  t.is((await postHeartbeat(registry.url, agentPayload('env-00000001'), 'tok')).status, 200);
  t.is((await getJson(registry.url, '/agents')).status, 200);
  t.is(await registry.stop('SIGINT'), 0);
});
