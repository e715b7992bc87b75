// The registry never loads Node's fetch (undici) while it serves: Koa would for an object or stream body (it asks whether
// the body is a web Response), which costs ~8 MB of RSS for the life of the process. JSON answers go out as strings
// (registry/answer.ts) and the event stream is piped (registry/sse.ts); a new route that sets ctx.body to an object
// shows up here.
import test from 'ava';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { childEnv, DIST } from './support/processes.js';

test('serving every kind of answer loads neither fetch nor web streams', async (t) => {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      [join(DIST, 'test', 'fixtures', 'registry-module-list.js')],
      { env: childEnv(), timeout: 60_000 },
      (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
    );
  });
  const { statuses, modules } = JSON.parse(stdout) as { statuses: number[]; modules: string[] };
  t.deepEqual(statuses, [200, 200, 400, 200, 200, 200, 200, 200, 200, 200, 200, 404, 204]);
  t.deepEqual(
    modules.filter((name) => /undici|internal\/webstreams\/readablestream|internal\/deps\/.*fetch/.test(name)),
    [],
  );
});
