// Runs one task of the snapshot process (snapshot-process.ts) in a child process and collects its answer.
import { fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { SavedAgent } from '../index.js';
import type { SavedEventRow } from './image.js';
import type { SnapshotReply, SnapshotTask } from './snapshot-process.js';

const PROCESS_PATH = fileURLToPath(new URL('./snapshot-process.js', import.meta.url));

export interface SnapshotResult {
  seq: number;
  nextEventId: number;
  replayed: number;
  saved: boolean;
}

export interface LoadInfo {
  seq: number;
  nextEventId: number;
  replayed: number;
}

export interface TaskHandlers {
  log: (line: string) => void;
  /** The load task sent all the state (its fold into a new snapshot may still run). */
  loaded?: (info: LoadInfo) => void;
  agents?: (rows: SavedAgent[]) => void;
  events?: (rows: SavedEventRow[]) => void;
}

export interface TaskOptions {
  /** Kills the process: a snapshot cut off before its rename changes nothing (its temp file is left behind). */
  abort?: AbortSignal;
  /** Runs it at a lower CPU priority (nice 10): periodic snapshots give way to serving requests. */
  background?: boolean;
}

/** Rejects with the process's own message (a refusal names the file and what to do) or how it ended. */
export function runSnapshotTask(
  task: SnapshotTask,
  handlers: TaskHandlers,
  { abort, background = false }: TaskOptions = {},
): Promise<SnapshotResult> {
  return new Promise((resolve, reject) => {
    // No inherited flags (--inspect, loaders): a plain node process; advanced serialization sends strings as they
    // are. The task and file in its arguments only name it in `ps`: the task itself comes over IPC.
    const child = fork(PROCESS_PATH, [task.task, task.file], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    if (background && child.pid !== undefined) {
      try {
        setPriority(child.pid, 10);
      } catch {
        // not permitted here: it runs at the registry's priority
      }
    }
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 4000) stderr += chunk;
    });
    let result: SnapshotResult | null = null;
    let failure: Error | null = null;
    child.on('message', (reply: SnapshotReply) => {
      try {
        switch (reply.type) {
          case 'log':
            return handlers.log(reply.line);
          case 'agents':
            return handlers.agents?.(reply.rows);
          case 'events':
            return handlers.events?.(reply.rows);
          case 'loaded':
            return handlers.loaded?.({ seq: reply.seq, nextEventId: reply.nextEventId, replayed: reply.replayed });
          case 'done':
            result = { seq: reply.seq, nextEventId: reply.nextEventId, replayed: reply.replayed, saved: reply.saved };
            return;
          case 'error':
            failure ??= new Error(reply.message);
            return;
        }
      } catch (error) {
        failure ??= error as Error;
        child.kill('SIGKILL');
      }
    });
    child.on('error', (error) => (failure ??= error));
    const stop = () => {
      failure ??= new Error('snapshot abandoned (the registry is closing)');
      child.kill('SIGKILL');
    };
    abort?.addEventListener('abort', stop, { once: true });
    if (abort?.aborted) stop();
    // 'close', not 'exit': it comes after the last message of the IPC channel.
    child.on('close', (code, signal) => {
      abort?.removeEventListener('abort', stop);
      if (result && !failure) return resolve(result);
      reject(failure ?? new Error(`the snapshot process ended (${signal ?? `exit ${code}`}) without finishing${stderr ? `: ${stderr.trim()}` : ''}`));
    });
    child.send(task);
  });
}
