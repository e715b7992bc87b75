// Each provider's own tool definitions (title, description, input and output schemas, annotations), read once
// per agent with an MCP tools/list on its endpoint: the registry keeps only what resolution needs, and the agent
// is the authority on what it serves. Read again when the agent re-registers.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { CapabilityView } from '../core/wire.js';
import { describeError, type Logger } from '../runtime/index.js';

/** How long a tools/list may take before the tool is listed with what the registry knows. */
const LIST_TIMEOUT_MS = 5_000;
/** An agent whose tools/list failed is asked again after this long. */
const RETRY_AFTER_MS = 5_000;

interface Entry {
  endpoint: string;
  tools?: Map<string, Tool>;
  /** Read again at the next load; `tools` serve until then (a re-registration rarely changes them). */
  stale?: boolean;
  pending?: Promise<void>;
  failedAt?: number;
}

export class ToolDefinitions {
  private readonly agents = new Map<string, Entry>();

  constructor(
    private readonly listTools: (endpoint: string, timeoutMs: number) => Promise<Tool[]>,
    private readonly log: Logger,
  ) {}

  /** An agent's definitions by tool name, once read. */
  get(agentId: string): ReadonlyMap<string, Tool> | undefined {
    return this.agents.get(agentId)?.tools;
  }

  /** What an agent serves may have changed: read it again at the next load, keeping what it served meanwhile. */
  forget(agentId: string): void {
    const entry = this.agents.get(agentId);
    if (entry) entry.stale = true;
  }

  /**
   * Reads the definitions of listed agents not read yet (and drops agents no longer listed). Resolves when every
   * read is done or after `waitMs`; `onLate` runs when a read finishes after that.
   */
  async load(providers: readonly CapabilityView[], waitMs: number, onLate: () => void): Promise<void> {
    const listed = new Map(providers.filter((p) => p.available).map((p) => [p.agent_id, p.endpoint]));
    for (const id of this.agents.keys()) if (!listed.has(id)) this.agents.delete(id);
    const reads: Promise<void>[] = [];
    const now = Date.now();
    for (const [agentId, endpoint] of listed) {
      let entry = this.agents.get(agentId);
      if (entry && entry.endpoint !== endpoint) this.agents.delete(agentId);
      entry = this.agents.get(agentId);
      if (entry?.tools && !entry.stale) continue;
      if (entry?.failedAt !== undefined && now - entry.failedAt < RETRY_AFTER_MS) continue;
      if (!entry || !entry.pending) {
        const fresh: Entry = entry ?? { endpoint };
        this.agents.set(agentId, fresh);
        fresh.pending = this.read(agentId, fresh);
      }
      reads.push(this.agents.get(agentId)!.pending!);
    }
    if (reads.length === 0) return;
    let late = false;
    const all = Promise.all(reads).then(() => {
      if (late) onLate();
    });
    await Promise.race([all, new Promise<void>((resolve) => setTimeout(resolve, waitMs).unref())]);
    late = true;
  }

  private async read(agentId: string, entry: Entry): Promise<void> {
    try {
      const tools = await this.listTools(entry.endpoint, LIST_TIMEOUT_MS);
      entry.tools = new Map(tools.map((t) => [t.name, t]));
      entry.stale = false;
      entry.failedAt = undefined;
    } catch (error) {
      entry.failedAt = Date.now();
      entry.stale = false;
      this.log.warn(
        `tools/list of ${agentId} at ${entry.endpoint} failed (${describeError(error)}): its tools are listed with the registry's description only`,
      );
    } finally {
      entry.pending = undefined;
    }
  }
}
