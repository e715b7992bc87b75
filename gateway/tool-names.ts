// The gateway's name for each capability it exposes. A host sees one flat list of tools, so names must be unique
// and should stay the same while the mesh stays the same. The rule (README, "The gateway"):
//   1. the providers' own tool name, when they share one and no other capability claims it;
//   2. else the capability's name (unique in a mesh);
//   3. else `<capability>__<tool>`, then `<capability>__<n>`.
// Every round is decided for all capabilities at once, so the result does not depend on the order agents joined.

/** What MCP allows in a tool name (SEP-986): 1-128 of A-Z a-z 0-9 _ - . */
const MAX_NAME = 128;

/** One capability as naming sees it: its name and the distinct tool names of its providers. */
export interface NamingInput {
  capability: string;
  toolNames: readonly string[];
}

/** A name MCP hosts accept: other characters become `_`, cut to 128. */
export function safeToolName(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, MAX_NAME);
  return cleaned.length ? cleaned : '_';
}

function proposals(input: NamingInput): string[] {
  const own = input.toolNames.length === 1 ? [input.toolNames[0]!] : [];
  const qualified = own.map((tool) => `${input.capability}__${tool}`);
  const names = [...own, input.capability, ...qualified].map(safeToolName);
  return [...new Set(names)];
}

/** Capability → exposed tool name, unique across the list. */
export function assignToolNames(inputs: readonly NamingInput[]): Map<string, string> {
  const assigned = new Map<string, string>();
  const taken = new Set<string>();
  let pending = [...inputs].sort((a, b) => (a.capability < b.capability ? -1 : a.capability > b.capability ? 1 : 0));
  const choices = new Map(pending.map((input) => [input.capability, proposals(input)]));
  for (let round = 0; pending.length > 0; round++) {
    const wanted = new Map<string, string[]>();
    const left: NamingInput[] = [];
    for (const input of pending) {
      const name = choices.get(input.capability)![round];
      if (name === undefined) left.push(input);
      else wanted.set(name, [...(wanted.get(name) ?? []), input.capability]);
    }
    // Out of proposals (names that clash after cleaning): numbered, in capability order.
    if (wanted.size === 0) {
      for (const input of left) {
        let n = 2;
        while (taken.has(safeToolName(`${input.capability}__${n}`))) n++;
        const name = safeToolName(`${input.capability}__${n}`);
        taken.add(name);
        assigned.set(input.capability, name);
      }
      break;
    }
    const next: NamingInput[] = [...left];
    for (const input of pending) {
      const name = choices.get(input.capability)![round];
      if (name === undefined) continue;
      // Names of one round never clash with each other (each is wanted once): taking them at once is order-free.
      if (wanted.get(name)!.length === 1 && !taken.has(name)) {
        assigned.set(input.capability, name);
        taken.add(name);
      } else {
        next.push(input);
      }
    }
    pending = next;
  }
  return assigned;
}
