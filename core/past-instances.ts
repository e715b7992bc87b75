// Which agents are past instances: an unhealthy agent whose name another agent now serves (healthy or just restored).
// Restarts outside PM2 (and apps deleted and started again) register new ids; the agents they replaced stay in the
// registry until purged. The CLI and the dashboard hide them unless asked (`--all`, as `meshctl list --all`); an
// agent that is down with no successor is no past instance: it is what a user needs to see.

export interface NamedAgent {
  name: string;
  status: string;
}

export function isPastInstance(agent: NamedAgent, liveNames: ReadonlySet<string>): boolean {
  return agent.status === 'unhealthy' && liveNames.has(agent.name);
}

/** The agents to show by default, and how many past instances were left out. */
export function currentAgents<T extends NamedAgent>(agents: readonly T[]): { shown: T[]; hidden: number } {
  const live = new Set(agents.filter((a) => a.status !== 'unhealthy').map((a) => a.name));
  const shown = agents.filter((a) => !isPastInstance(a, live));
  return { shown, hidden: agents.length - shown.length };
}
