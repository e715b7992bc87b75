// Which capabilities the gateway exposes, and which of their providers it may call: `--capability` / `--exclude`
// name capabilities (`*` matches any run of characters), `--tag` filters providers with the dependency tag syntax
// (`tag` required, `+tag` preferred, `-tag` excluded), so the gateway ranks them as a consumer with those tags would.
import { checkDependencySpec } from '../core/resolver.js';

export interface GatewayFilter {
  /** Tag filter applied to every capability's providers. */
  tags: string[];
  /** Only these capabilities (patterns); empty = all. */
  capabilities: string[];
  /** Never these capabilities (patterns). */
  exclude: string[];
}

export const NO_FILTER: GatewayFilter = { tags: [], capabilities: [], exclude: [] };

function pattern(text: string): RegExp {
  return new RegExp(
    `^${text
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

/** A predicate over capability names. */
export function capabilityMatcher(filter: GatewayFilter): (capability: string) => boolean {
  const include = filter.capabilities.map(pattern);
  const exclude = filter.exclude.map(pattern);
  return (capability) => (include.length === 0 || include.some((re) => re.test(capability))) && !exclude.some((re) => re.test(capability));
}

/** What is wrong with a filter, naming the flag (`--tag "+"`: …), or null. */
export function checkFilter(filter: GatewayFilter): string | null {
  for (const tag of filter.tags) {
    const problem = checkDependencySpec({ capability: 'any', tags: [tag] });
    if (problem) return `--tag ${JSON.stringify(tag)}: ${problem.replace(/^tags\[0\]: /, '')}`;
  }
  for (const [flag, list] of [
    ['--capability', filter.capabilities],
    ['--exclude', filter.exclude],
  ] as const) {
    const empty = list.find((name) => name.trim() === '');
    if (empty !== undefined) return `${flag} needs a capability name (or a pattern such as "weather*")`;
  }
  const shadowed = filter.capabilities.find((name) => filter.exclude.includes(name));
  if (shadowed !== undefined) return `--exclude ${shadowed} removes what --capability ${shadowed} asks for`;
  return null;
}
