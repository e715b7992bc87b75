import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadPm2Api, pm2BinPath, pm2PackageDir } from './pm2-package.js';

// Outside PM2 (as here) the pm2 beside the package is used: in a checkout, the dev dependency.
test('outside PM2, the pm2 beside the package: its bin and its API', async (t) => {
  const dir = pm2PackageDir();
  t.true(existsSync(join(dir, 'package.json')));
  t.true(existsSync(pm2BinPath()));
  const api = await loadPm2Api();
  t.is(typeof api.connect, 'function');
  t.is(typeof api.launchBus, 'function');
});
