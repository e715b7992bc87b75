// Plain values ↔ MCP tool results. A handler may return a string, an object or any JSON value; a proxy hands the
// caller back the same value, whether the provider ran in this process or behind another agent's /mcp.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** `_meta` key marking a text result as the JSON of a non-object value (number, array, null …). */
export const JSON_VALUE_META = 'mesh/json';

const RESULT_KEYS = new Set(['content', 'structuredContent', 'isError', '_meta']);

/** True for something that already is a CallToolResult (has `content` items, or only result fields). */
export function isCallToolResult(value: unknown): value is CallToolResult {
  if (!isPlainObject(value)) return false;
  if (Array.isArray(value.content)) return value.content.every((c) => isPlainObject(c) && typeof c.type === 'string');
  return 'structuredContent' in value && Object.keys(value).every((k) => RESULT_KEYS.has(k));
}

/** string → text; plain object → structuredContent + its JSON as text; other JSON values → JSON text marked as such. */
export function toCallToolResult(value: unknown): CallToolResult {
  if (isCallToolResult(value)) return value;
  if (value === undefined) return { content: [] };
  if (typeof value === 'string') return { content: [{ type: 'text', text: value }] };
  if (isPlainObject(value)) return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
  return { content: [{ type: 'text', text: JSON.stringify(value) ?? 'null' }], _meta: { [JSON_VALUE_META]: true } };
}

/**
 * The value a proxy returns for a successful result: structuredContent if any, else the text (parsed back when
 * marked as JSON; several text items joined by newlines), else the content array as is (images, resources …).
 */
export function unwrapResult(result: CallToolResult): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const content = result.content ?? [];
  if (content.length === 0) return undefined;
  if (!content.every((c) => c.type === 'text')) return content;
  const text = content.map((c) => (c as { text: string }).text).join('\n');
  if (result._meta?.[JSON_VALUE_META] === true) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** The text of an error result, as the SDK builds it from a thrown error. */
export function resultText(result: CallToolResult): string {
  const texts = (result.content ?? []).filter((c) => c.type === 'text').map((c) => (c as { text: string }).text);
  return texts.join('\n') || 'tool returned an error';
}

/** The error result the SDK's McpServer makes of a thrown error, so a local call fails exactly like a remote one. */
export function errorResult(error: unknown): CallToolResult {
  return { content: [{ type: 'text', text: error instanceof Error ? error.message : String(error) }], isError: true };
}

/** Where a proxied call went. */
export interface ProviderRef {
  capability: string;
  agentId: string;
  functionName: string;
  endpoint: string;
}

function providerName(p: ProviderRef): string {
  return `${p.agentId}/${p.functionName}`;
}

/** A provider's tool answered with `isError`: thrown by a proxy call, the same for local and remote providers. */
export class MeshToolError extends Error {
  override readonly name = 'MeshToolError';
  constructor(
    readonly provider: ProviderRef,
    readonly result: CallToolResult,
  ) {
    super(`${provider.capability} (${providerName(provider)}): ${resultText(result)}`);
  }
}

/** No provider of a dependency could be reached (every candidate refused, or its circuit is open). */
export class MeshUnavailableError extends Error {
  override readonly name = 'MeshUnavailableError';
  constructor(
    readonly capability: string,
    readonly attempts: { provider: ProviderRef; error: string }[],
  ) {
    super(
      attempts.length
        ? `${capability}: no provider reachable (${attempts.map((a) => `${providerName(a.provider)}: ${a.error}`).join('; ')})`
        : `${capability}: no provider reachable`,
    );
  }
}

/** The call reached a provider but did not complete (timeout, cancellation, protocol error). */
export class MeshCallError extends Error {
  override readonly name = 'MeshCallError';
  constructor(
    readonly provider: ProviderRef,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${provider.capability} (${providerName(provider)}): ${message}`, options);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
