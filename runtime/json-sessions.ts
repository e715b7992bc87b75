// Works around a leak of the SDK's Streamable HTTP server transport (v1.x, still in 1.32) in JSON-response mode,
// the mode mesh sessions use: every POST leaves an entry in the transport's stream map, holding the answered
// Request and Response (~5 KB), until the session closes. Upstream issue: modelcontextprotocol/typescript-sdk#2559;
// the fix on its main branch does what this does: drop the entry once the JSON answer is handed over.
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

interface StreamEntry {
  resolveJson?: (response: Response) => void;
}

/**
 * Makes a JSON-response transport forget each request once it is answered. Returns false (and changes nothing) if
 * the SDK's internals are not the ones this knows: a newer SDK may have fixed it; the memory test tells.
 */
export function releaseAnsweredRequests(transport: StreamableHTTPServerTransport): boolean {
  const inner = (transport as unknown as { _webStandardTransport?: { _streamMapping?: unknown } })._webStandardTransport;
  const streams = inner?._streamMapping;
  if (!(streams instanceof Map)) return false;
  const set = streams.set;
  streams.set = function (this: Map<string, StreamEntry>, id: string, entry: StreamEntry) {
    const resolveJson = entry.resolveJson;
    if (resolveJson) {
      entry.resolveJson = (response) => {
        // The SDK has read what it needs from the entry by now; only this map still holds it.
        if (this.get(id) === entry) this.delete(id);
        resolveJson(response);
      };
    }
    return set.call(this, id, entry);
  } as typeof streams.set;
  return true;
}
