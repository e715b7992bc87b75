// The options `install` and `up` share: where the registry listens, and how the package reaches PM2.
import { UsageError } from '../errors.js';
import type { Options, Values } from '../args.js';
import type { InstallForm } from '../module-install.js';

export const moduleOptions: Options = {
  port: { type: 'string', valueName: 'port', description: 'registry port (pm2 set mesh:port; default 8000)' },
  host: { type: 'string', valueName: 'host', description: 'registry bind address (pm2 set mesh:host; default 127.0.0.1)' },
  pack: {
    type: 'boolean',
    description: 'install a packed copy (npm pack tarball; npm fetches its dependencies) instead of linking this folder',
  },
};

export function wantedSettings(values: Values): Record<string, string | undefined> {
  const port = values.port;
  if (typeof port === 'string' && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    throw new UsageError(`--port must be a port number 1-65535 (got "${port}")`);
  }
  const host = values.host;
  if (typeof host === 'string' && !host.trim()) throw new UsageError('--host must not be empty');
  return { port: typeof port === 'string' ? String(Number(port)) : undefined, host: typeof host === 'string' ? host : undefined };
}

export function installForm(values: Values): InstallForm {
  return values.pack ? 'pack' : 'link';
}
