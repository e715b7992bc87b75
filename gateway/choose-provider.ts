// Where a gateway call goes: the one place that picks a provider. Its first try spreads over the tool's equally good
// providers with the selection every proxy uses (core/selection.ts, least-inflight); failover goes in rank order.
import type { ProviderCandidate } from '../core/resolver.js';
import { DEFAULT_STRATEGY, selectProvider } from '../core/selection.js';
import type { GatewayTool } from './catalog.js';

/** A provider's identity for failover bookkeeping and its circuit. */
export function providerKey(provider: Pick<ProviderCandidate, 'agent_id' | 'endpoint'>): string {
  return `${provider.agent_id}@${provider.endpoint}`;
}

/**
 * The next provider to try: first, one of the equally good ones as the shared selection picks it; then the best-ranked
 * one not tried yet whose circuit lets a call through; when every circuit is open, the best untried one anyway (a
 * call that might work beats an error that surely comes).
 */
export function chooseProvider(
  tool: Pick<GatewayTool, 'providers' | 'sharing' | 'load' | 'selection'>,
  tried: ReadonlySet<string>,
  allow: (key: string) => boolean,
): ProviderCandidate | undefined {
  const ranked = tool.providers;
  if (tried.size === 0 && tool.sharing > 1) {
    const picked = ranked[selectProvider(DEFAULT_STRATEGY, tool.load, tool.sharing, tool.selection)];
    if (picked && allow(providerKey(picked))) return picked;
  }
  const untried = ranked.filter((p) => !tried.has(providerKey(p)));
  return untried.find((p) => allow(providerKey(p))) ?? (tried.size === 0 ? untried[0] : undefined);
}
