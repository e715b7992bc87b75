// pm2-mesh call: an MCP tools/call through the mesh. The registry says who provides the capability (or
// where the named agent is); the call itself goes straight to that agent's /mcp, like an agent's own proxy.
import { tlsFetch } from '../../core/tls-fetch.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_CALL_TIMEOUT_S } from '../../core/defaults.js';
import { listOption, numberOption, stringOption, type Command } from '../args.js';
import { cliTls, findAgent, jsonOption, registryClient, registryOptions } from '../connection.js';
import { moduleName, readPackageJson } from '../package-info.js';
import { readModuleSettings, resolvePm2Home } from '../pm2-home.js';
import { CliError, UsageError } from '../errors.js';
import { printJson } from '../output.js';
import type { RegistryClient } from '../../core/registry-client.js';
import { chooseTarget, nearMatches, splitAgentTool, type CallTarget } from '../call-target.js';
import { resolveDependency, standings, type DependencySpec, type ProviderCandidate } from '../../core/resolver.js';
import {
  DEFAULT_STRATEGY,
  isSelectionStrategy,
  SELECTION_STRATEGIES,
  selectOnce,
  sharingCount,
  weightOf,
  type SelectionStrategy,
} from '../../core/selection.js';
import type { Span } from '../../core/span-wire.js';
import { childContext, propagationFields, type TraceContext } from '../../core/trace-context.js';

export type { CallTarget } from '../call-target.js';

export function parseJsonArgs(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`call: json-args is not valid JSON (got ${text}); quote it: '{"name":"Ann"}'`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`call: json-args must be a JSON object such as '{"name":"Ann"}' (got ${text})`);
  }
  return value as Record<string, unknown>;
}

/**
 * By tool name, then capability (as meshctl), or `agent/tool`; near matches when nothing fits. The providers of a
 * name are ranked as a dependency's (tags, version) and spread over the equally good ones by the strategy.
 */
async function findTarget(client: RegistryClient, name: string, tags: string[], strategy: SelectionStrategy, agent?: string): Promise<CallTarget> {
  const agentTool = splitAgentTool(name);
  if (agentTool) {
    const found = await findAgent(client, agentTool.agent);
    const tools = found.capabilities ?? [];
    if (!tools.some((c) => c.function_name === agentTool.tool)) {
      const near = nearMatches(
        agentTool.tool,
        tools.map((c) => ({ ...c, agent_id: found.id, agent_name: found.name, endpoint: found.endpoint, status: found.status })),
      );
      throw new UsageError(
        `call: agent ${found.id} has no tool "${agentTool.tool}"${near.length ? `; did you mean ${near.join(', ')}?` : ` (its tools: ${tools.map((c) => c.function_name).join(', ') || 'none'})`}`,
      );
    }
    if (found.status !== 'healthy') process.stderr.write(`call: warning: ${found.id} is ${found.status}\n`);
    return { agent_id: found.id, endpoint: found.endpoint, tool: agentTool.tool };
  }
  const { capabilities } = await client.capabilities();
  const choice = chooseTarget(name, capabilities, { agent });
  if (!choice.ok) throw choice.reason === 'unknown' ? new UsageError(`call: ${choice.message}`) : new CliError(`call: ${choice.message}`);
  // A tool name is ranked as its capability would be (the same tags and version rules).
  const candidates: ProviderCandidate[] = choice.providers.map((p) => ({ ...p, capability: name }));
  const chosen = chooseProvider({ capability: name, tags }, candidates, strategy);
  if (!chosen) throw new CliError(`call: no healthy provider of ${choice.matchedBy} "${name}" with tags ${tags.join(',')} (see pm2-mesh caps)`);
  const capability =
    choice.matchedBy === 'capability'
      ? name
      : choice.providers.find((p) => p.agent_id === chosen.agent_id && p.function_name === chosen.function_name)?.name;
  return { agent_id: chosen.agent_id, endpoint: chosen.endpoint, tool: chosen.function_name, ...(capability ? { capability } : {}) };
}

/**
 * The provider an agent's proxy could pick for this call: the resolver's ranking (tags and version as for a
 * dependency), spread over the equally good ones by the strategy, as a one-shot caller does (core/selection.ts).
 */
export function chooseProvider(
  spec: DependencySpec,
  candidates: readonly ProviderCandidate[],
  strategy: SelectionStrategy,
): ProviderCandidate | undefined {
  const ranked = resolveDependency(spec, candidates).ranked;
  const ranks = standings(spec, ranked);
  const sharing = sharingCount(ranks.map((rank) => ({ rank })));
  return ranked[
    selectOnce(
      strategy,
      ranked.map((c) => ({ inFlight: 0, weight: weightOf(c.kwargs) })),
      sharing,
    )
  ];
}

/** The CLI's own id in the spans it reports (the first hop of a call made with pm2-mesh call). */
const CLI_AGENT_ID = 'pm2-mesh-cli';

/** The call as the first hop of its trace: sent to the registry (best effort) so the trace starts at the user. */
async function reportSpan(client: RegistryClient, span: Span): Promise<void> {
  await client.send('POST', '/traces', { body: { spans: [span] }, timeoutMs: 2000 }).catch(() => undefined);
}

export async function callTool(target: CallTarget, args: Record<string, unknown>, timeoutMs: number, trace?: TraceContext): Promise<CallToolResult> {
  // Loaded on use: the SDK is the heaviest import of the CLI.
  const [{ Client }, { StreamableHTTPClientTransport }] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
  ]);
  const client = new Client({ name: 'pm2-mesh', version: readPackageJson().version });
  // The trace context as headers (every request of this one-call session) and in _meta (for a server reading only that).
  const fields = trace ? propagationFields(trace) : undefined;
  const transport = new StreamableHTTPClientTransport(new URL(`${target.endpoint.replace(/\/+$/, '')}/mcp`), {
    ...tlsFetchFor(target.endpoint),
    ...(fields ? { requestInit: { headers: fields } } : {}),
  });
  try {
    await client.connect(transport, { timeout: timeoutMs });
  } catch (error) {
    throw new CliError(`call: agent ${target.agent_id} at ${target.endpoint} unreachable (${describe(error)})`);
  }
  try {
    const params = fields ? { _meta: fields, name: target.tool, arguments: args } : { name: target.tool, arguments: args };
    return (await client.callTool(params, undefined, { timeout: timeoutMs })) as CallToolResult;
  } catch (error) {
    throw new CliError(`call: ${target.tool} on ${target.agent_id} failed: ${describe(error)}`);
  } finally {
    await client.close().catch(() => undefined);
  }
}

function describe(error: unknown): string {
  const err = error as Error & { cause?: { code?: string } };
  return err.cause?.code ?? err.message ?? String(error);
}

export function resultText(result: CallToolResult): string {
  const parts = (result.content ?? []).map((item) => {
    switch (item.type) {
      case 'text':
        return item.text;
      case 'image':
      case 'audio':
        return `[${item.type} ${item.mimeType}, ${Math.floor((item.data.length * 3) / 4)} bytes]`;
      case 'resource_link':
        return `[resource ${item.uri}]`;
      case 'resource':
        return 'text' in item.resource ? String(item.resource.text) : `[resource ${item.resource.uri}]`;
      default:
        return JSON.stringify(item);
    }
  });
  if (!parts.length && result.structuredContent) return JSON.stringify(result.structuredContent, null, 2);
  return parts.join('\n');
}

export const call: Command = {
  name: 'call',
  args: '<tool|capability|agent/tool> [json-args]',
  summary:
    'Call a tool through the mesh (MCP tools/call): by tool name, else by capability (ranked as a dependency, spread over the equally good providers as a proxy spreads), or as agent/tool.',
  options: {
    ...registryOptions,
    ...jsonOption,
    tag: {
      type: 'string',
      multiple: true,
      valueName: 'tag',
      description: 'a tag filter as a dependency has: tag required, +tag preferred, -tag excluded',
    },
    strategy: {
      type: 'string',
      valueName: 'name',
      description: `how to pick among equally good providers: ${SELECTION_STRATEGIES.join(', ')} (default ${DEFAULT_STRATEGY}: any of them)`,
    },
    agent: { type: 'string', valueName: 'agent-id', description: 'only this provider (an agent id or name)' },
    timeout: { type: 'string', valueName: 'seconds', description: `how long the call may take (default ${DEFAULT_CALL_TIMEOUT_S})` },
  },
  details: [
    'Examples:',
    '  pm2-mesh call hello \'{"name":"Ann"}\'             (a tool name)',
    '  pm2-mesh call greeting \'{"name":"Ann"}\'          (a capability)',
    '  pm2-mesh call greeter/hello \'{"name":"Ann"}\'',
    'Prints the text of the result; --json prints the provider and the whole CallToolResult.',
    'Exits 1 when the tool reports an error.',
    'The call starts a trace: pm2-mesh trace --last shows its path through the mesh (--json prints its trace_id).',
  ],
  positionals: { min: 1, max: 2 },
  async run({ values, positionals }) {
    const args = parseJsonArgs(positionals[1]);
    const timeoutMs = numberOption(values, 'timeout', DEFAULT_CALL_TIMEOUT_S) * 1000;
    const client = registryClient(values);
    const strategy = stringOption(values, 'strategy') ?? DEFAULT_STRATEGY;
    if (!isSelectionStrategy(strategy)) throw new UsageError(`call: --strategy must be one of ${SELECTION_STRATEGIES.join(', ')} (got ${strategy})`);
    const target = await findTarget(client, positionals[0]!, listOption(values, 'tag'), strategy, stringOption(values, 'agent'));
    const trace = childContext(undefined);
    const startMs = Date.now();
    const span: Span = {
      trace_id: trace.traceId,
      span_id: trace.spanId,
      kind: 'client',
      name: target.tool,
      agent_id: CLI_AGENT_ID,
      agent_name: 'pm2-mesh',
      ...(target.capability ? { capability: target.capability } : {}),
      peer_agent_id: target.agent_id,
      endpoint: target.endpoint,
      start_ms: startMs,
      duration_ms: 0,
      outcome: 'ok',
    };
    let result: CallToolResult;
    try {
      result = await callTool(target, args, timeoutMs, trace);
      if (result.isError) Object.assign(span, { outcome: 'tool_error', error: resultText(result).slice(0, 1024) });
    } catch (error) {
      Object.assign(span, { outcome: 'error', error: (error as Error).message.slice(0, 1024) });
      throw error;
    } finally {
      span.duration_ms = Date.now() - startMs;
      await reportSpan(client, span);
    }
    if (values.json) printJson({ provider: target, trace_id: trace.traceId, result });
    else if (result.isError) process.stderr.write(`${resultText(result) || 'the tool reported an error'}\n`);
    else process.stdout.write(`${resultText(result)}\n`);
    return result.isError ? 1 : 0;
  },
};

/** An https agent is verified with the mesh's CA, this CLI presenting the mesh's certificate (mutual TLS). */
/** The fetch an agent's URL needs: the mesh's CA and certificate for an https agent, else the global one. */
export function tlsFetchFor(endpoint: string): { fetch?: typeof fetch } {
  const tls = endpoint.startsWith('https:') ? cliTls(readModuleSettings(resolvePm2Home({}).dir, moduleName())) : undefined;
  return tls ? { fetch: tlsFetch(tls) } : {};
}
