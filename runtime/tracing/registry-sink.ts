// The built-in sink: batches of spans POSTed to the registry's /traces, so `pm2-mesh trace` and the dashboard work
// with nothing else installed. A registry without trace support (MCP Mesh's answers 404) is told nothing more.
import type { Span } from '../../core/span-wire.js';
import { RegistryClient } from '../../core/registry-client.js';
import type { ClientTls } from '../../core/tls.js';
import type { Logger } from '../log.js';
import type { SpanSink } from './span-queue.js';

/** A batch that gets no answer in this long is dropped. */
const SEND_TIMEOUT_MS = 5_000;

export class RegistrySpanSink implements SpanSink {
  readonly name: string;
  private readonly client: RegistryClient;
  private warnedRefusal = false;

  constructor(
    registryUrl: string,
    token: string | undefined,
    private readonly log: Logger,
    /** A TLS mesh: the CA (and certificate) the heartbeats use. */
    tls?: ClientTls,
  ) {
    this.client = new RegistryClient({ url: registryUrl, token, timeoutMs: SEND_TIMEOUT_MS, ...(tls ? { tls } : {}) });
    this.name = `registry ${this.client.baseUrl}`;
  }

  async send(spans: Span[]): Promise<'sent' | 'stop'> {
    const answer = await this.client.send('POST', '/traces', { body: { spans } });
    if (answer.ok) return 'sent';
    if (answer.status === 404 || answer.status === 405 || answer.status === 501) {
      this.log.info(
        `tracing: the registry at ${this.client.baseUrl} keeps no traces (POST /traces answered ${answer.status}); spans are not sent to it`,
      );
      return 'stop';
    }
    const error = this.client.statusError('/traces', answer);
    // A refusal (400, 401, 413) repeats with every batch: said once, not per second.
    if (!this.warnedRefusal) {
      this.warnedRefusal = true;
      this.log.warn(`tracing: ${error.message}; spans dropped`);
    }
    throw error;
  }
}
