// The processes serving each agent under PM2. An app in cluster mode (`pm2 start app.js -i N`) is one agent whose
// N workers share its id and endpoint, so one worker leaving (a reload, a crash, kill -9) must not take the agent
// out of resolution while its siblings still serve. Hot state, like heartbeat times: never written to disk, and
// rebuilt within one heartbeat interval after a restart (every POST and every HEAD names its process).

export interface Worker {
  pid: number;
  pm_id: number;
}

export class AgentWorkers {
  /** agent id → pid → pm_id */
  private readonly byAgent = new Map<string, Map<number, number>>();

  /** A process of this agent heartbeated (POST metadata, or HEAD ?pid=&pm_id=). */
  seen(agentId: string, pid: unknown, pmId: unknown): void {
    if (!isId(pid) || !isId(pmId)) return;
    let workers = this.byAgent.get(agentId);
    if (!workers) this.byAgent.set(agentId, (workers = new Map()));
    if (workers.get(pid) !== pmId) workers.set(pid, pmId);
  }

  /**
   * A process said goodbye (DELETE ?pid=). True when other processes still serve the agent: it stays registered.
   * A reload's old worker says goodbye after its replacement (same id) registered: the agent stays.
   */
  leave(agentId: string, pid: unknown): boolean {
    const workers = this.byAgent.get(agentId);
    if (!workers || !isId(pid)) return false;
    workers.delete(pid);
    if (workers.size > 0) return true;
    this.byAgent.delete(agentId);
    return false;
  }

  /**
   * PM2 reported the exit of the process with this pm_id. `emptied`: agents it was the last process of (they go
   * unhealthy); `stillServed`: agents other processes still serve (they stay).
   */
  exited(pmId: number): { emptied: Set<string>; stillServed: Set<string> } {
    const emptied = new Set<string>();
    const stillServed = new Set<string>();
    for (const [agentId, workers] of this.byAgent) {
      let found = false;
      for (const [pid, id] of workers) if (id === pmId) workers.delete(pid), (found = true);
      if (!found) continue;
      if (workers.size > 0) stillServed.add(agentId);
      else {
        emptied.add(agentId);
        this.byAgent.delete(agentId);
      }
    }
    return { emptied, stillServed };
  }

  forget(agentId: string): void {
    this.byAgent.delete(agentId);
  }

  /** The processes known to serve the agent, by pm_id (for GET /agents: the CLI and dashboard show them). */
  of(agentId: string): Worker[] | undefined {
    const workers = this.byAgent.get(agentId);
    if (!workers) return undefined;
    return [...workers].map(([pid, pm_id]) => ({ pid, pm_id })).sort((a, b) => a.pm_id - b.pm_id || a.pid - b.pid);
  }
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
