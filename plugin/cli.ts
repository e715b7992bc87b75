#!/usr/bin/env node
// pm2-mesh: runs a command and turns any failure into one line on stderr and an exit code. When PM2 starts
// this file as the module (it launches a package's `bin` rather than its `main`), it is the module instead.
import { CliError, toCliError } from './errors.js';
import { moduleName } from './package-info.js';

function startedAsPm2Module(): boolean {
  return process.env.pmx_module === 'true' && process.env.name === moduleName() && process.env[moduleName()] !== undefined;
}

if (startedAsPm2Module()) {
  await import('./module.js').catch((error: Error) => {
    console.error(`[mesh] cannot load the module: ${error.message}`);
    process.exit(1);
  });
} else {
  try {
    const { main } = await import('./dispatch.js');
    const code = await main(process.argv.slice(2));
    if (code !== null) process.exitCode = code;
  } catch (thrown) {
    const error = toCliError(thrown);
    if (error instanceof CliError) {
      process.stderr.write(`pm2-mesh: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      const err = error as Error;
      process.stderr.write(`pm2-mesh: ${process.env.DEBUG ? (err.stack ?? err.message) : err.message}\n`);
      process.exitCode = 1;
    }
  }
}
