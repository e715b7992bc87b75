#!/usr/bin/env node
// Foreground runner: node dist/registry/main.js [--host H] [--port P] [--data-file F] [--token T] …
import { runRegistryForeground } from './foreground.js';

const code = await runRegistryForeground(process.argv.slice(2));
if (code !== null) process.exitCode = code;
