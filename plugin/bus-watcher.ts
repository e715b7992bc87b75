// Watches the PM2 bus for apps whose process ends (stop, restart, crash): PM2 reports each as an `exit`
// process event within milliseconds, long before a missed heartbeat would.
import { loadPm2Bus } from './pm2-package.js';

export interface ProcessExit {
  pmId: number;
  name: string;
  /** The PM2 event: `exit` (any end of the process) or `stop`. */
  event: string;
}

export interface BusWatcher {
  close(): void;
}

interface ProcessEventPacket {
  event?: string;
  process?: { pm_id?: number | string; name?: string };
}

const EXIT_EVENTS = new Set(['exit', 'stop']);

export interface WatchOptions {
  /** The caller's own app, whose exits are not reported. */
  ignorePmId?: number;
  /** The PM2 home of the daemon (default: this process's, PM2_HOME or ~/.pm2). */
  pm2Home?: string;
  /** How long the first connection to the daemon's bus may take before the watcher gives up. */
  connectTimeoutMs?: number;
}

/** Subscribes to the bus of the PM2 daemon; rejects when no daemon answers there. */
export async function watchProcessExits(
  onExit: (exit: ProcessExit) => void,
  { ignorePmId, pm2Home, connectTimeoutMs = 10_000 }: WatchOptions = {},
): Promise<BusWatcher> {
  const pm2 = loadPm2Bus(pm2Home);
  const bus = pm2.socket();
  bus.on('process:event', (packet: ProcessEventPacket | undefined) => {
    if (!packet?.event || !EXIT_EVENTS.has(packet.event)) return;
    const pmId = Number(packet.process?.pm_id);
    if (!Number.isInteger(pmId) || pmId === ignorePmId) return;
    onExit({ pmId, name: packet.process?.name ?? String(pmId), event: packet.event });
  });
  // Once connected, the socket reconnects by itself if the daemon's end goes away (PM2 restarting its bus).
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      bus.close();
      reject(new Error(`no PM2 daemon answered on ${pm2.path} within ${connectTimeoutMs / 1000} s`));
    }, connectTimeoutMs);
    bus.connect(pm2.path).once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { close: () => bus.close() };
}
