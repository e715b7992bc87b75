// Watches the PM2 bus for apps whose process ends (stop, restart, crash): PM2 reports each as an `exit`
// process event within milliseconds, long before a missed heartbeat would.
import { loadPm2Api } from './pm2-package.js';

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

/** Connects to the PM2 daemon of this process's PM2_HOME; `ignorePmId` is the caller's own app. */
export async function watchProcessExits(onExit: (exit: ProcessExit) => void, { ignorePmId }: { ignorePmId?: number } = {}): Promise<BusWatcher> {
  // Loaded once the registry serves: PM2's library takes a while to load and the registry need not wait.
  const pm2 = await loadPm2Api();
  return new Promise((resolve, reject) => {
    pm2.connect((connectError) => {
      if (connectError) return reject(connectError);
      pm2.launchBus((busError, bus) => {
        if (busError) {
          pm2.disconnect();
          return reject(busError);
        }
        bus.on('process:event', (packet: ProcessEventPacket) => {
          if (!packet?.event || !EXIT_EVENTS.has(packet.event)) return;
          const pmId = Number(packet.process?.pm_id);
          if (!Number.isInteger(pmId) || pmId === ignorePmId) return;
          onExit({ pmId, name: packet.process?.name ?? String(pmId), event: packet.event });
        });
        resolve({
          close() {
            bus.close?.();
            pm2.disconnect();
          },
        });
      });
    });
  });
}
