// Policies: which capabilities each agent name may provide, in the spirit of Consul's ACL policies. Written in a
// JSON file ({"agents": {"weather": {"capabilities": ["weather", "forecast_*"]}}}) or inline, as `pm2 set` takes it
// ("weather=weather,forecast_*;planner=trip_planning"). A pattern is a capability name, `prefix*`, or `*`.
import { readFileSync } from 'node:fs';

/** Agent name → capability patterns. */
export type Policies = ReadonlyMap<string, readonly string[]>;

export class PolicyError extends Error {}

/** `name=cap,cap;name=cap` (what `pm2 set mesh:policies` holds). */
export function parseInlinePolicies(text: string, source: string): Map<string, string[]> {
  const policies = new Map<string, string[]>();
  for (const entry of text
    .split(';')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    const name = entry.slice(0, eq).trim();
    if (eq <= 0 || !name) throw new PolicyError(`${source}: ${JSON.stringify(entry)} is not agent=capability,… (e.g. weather=weather,forecast)`);
    policies.set(
      name,
      entry
        .slice(eq + 1)
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean),
    );
  }
  return policies;
}

/** A policy file: `{"agents": {"<name>": {"capabilities": ["<pattern>", …]}}}`. */
export function readPolicyFile(file: string): Map<string, string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PolicyError(`policy file ${file}: ${(error as Error).message}`);
  }
  const agents = (parsed as { agents?: unknown } | null)?.agents;
  if (!agents || typeof agents !== 'object' || Array.isArray(agents)) {
    throw new PolicyError(`policy file ${file}: expected {"agents": {"<agent name>": {"capabilities": ["<capability>", …]}}}`);
  }
  const policies = new Map<string, string[]>();
  for (const [name, policy] of Object.entries(agents)) {
    const capabilities = (policy as { capabilities?: unknown } | null)?.capabilities;
    if (!Array.isArray(capabilities) || !capabilities.every((c) => typeof c === 'string')) {
      throw new PolicyError(`policy file ${file}: agents.${name}.capabilities must be a list of capability names`);
    }
    policies.set(name, capabilities as string[]);
  }
  return policies;
}

export function capabilityMatches(pattern: string, capability: string): boolean {
  if (pattern === '*') return true;
  return pattern.endsWith('*') ? capability.startsWith(pattern.slice(0, -1)) : pattern === capability;
}

/**
 * The capabilities of `wanted` that neither the token's list nor the policy for the name lets the agent provide.
 * Each of the two, when present, must allow every capability; with neither, the name alone is bound.
 */
export function forbiddenCapabilities(
  wanted: Iterable<string>,
  tokenList: readonly string[] | undefined,
  policy: readonly string[] | undefined,
): string[] {
  const forbidden = new Set<string>();
  for (const capability of wanted) {
    const byToken = !tokenList || tokenList.some((p) => capabilityMatches(p, capability));
    const byPolicy = !policy || policy.some((p) => capabilityMatches(p, capability));
    if (!byToken || !byPolicy) forbidden.add(capability);
  }
  return [...forbidden];
}
