// Where a gateway call goes: the one place that picks a provider, so that a shared selection (load spreading,
// issue 17) can take its place without touching the calling code.
import type { ProviderCandidate } from '../core/resolver.js';

/** A provider's identity for failover bookkeeping and its circuit. */
export function providerKey(provider: Pick<ProviderCandidate, 'agent_id' | 'endpoint'>): string {
  return `${provider.agent_id}@${provider.endpoint}`;
}

/**
 * The next provider to try: the best-ranked one not tried yet whose circuit lets a call through; when every
 * circuit is open, the best untried one anyway (a call that might work beats an error that surely comes).
 */
export function chooseProvider(
  ranked: readonly ProviderCandidate[],
  tried: ReadonlySet<string>,
  allow: (key: string) => boolean,
): ProviderCandidate | undefined {
  const untried = ranked.filter((p) => !tried.has(providerKey(p)));
  return untried.find((p) => allow(providerKey(p))) ?? (tried.size === 0 ? untried[0] : undefined);
}
