// Which sinks an agent's spans go to: the registry (unless standalone), and OpenTelemetry when the standard
// OTEL_EXPORTER_OTLP_* variables ask for it. The OpenTelemetry SDK is loaded only then: idle agents never pay for it.
import type { ClientTls } from '../../core/tls.js';
import type { AgentConfig } from '../config.js';
import { describeError, type Logger } from '../log.js';
import { RegistrySpanSink } from './registry-sink.js';
import type { Tracer } from './tracer.js';

type Env = Record<string, string | undefined>;

/** The OTLP/HTTP traces URL the standard variables give, or undefined when OpenTelemetry export is not asked for. */
export function otlpTracesUrl(env: Env): string | undefined {
  if (/^true$/i.test(env.OTEL_SDK_DISABLED ?? '')) return undefined;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? 'otlp').split(',').map((e) => e.trim().toLowerCase());
  if (!exporters.includes('otlp')) return undefined;
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  // The spec: the signal path is appended to the general endpoint, not to the traces one.
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/** What the sinks need to know of the process sending spans (an agent's config, or the gateway's). */
export type SinkConfig = Pick<AgentConfig, 'standalone' | 'registryUrl' | 'registryToken' | 'name' | 'agentId' | 'version'> & { tls?: ClientTls };

export function startTracingSinks(tracer: Tracer, config: SinkConfig, env: Env, log: Logger): void {
  if (!config.standalone) tracer.addSink(new RegistrySpanSink(config.registryUrl, config.registryToken, log, config.tls));
  const url = otlpTracesUrl(env);
  if (!url) return;
  import('./otel-sink.js').then(
    ({ OtlpSpanSink }) => {
      tracer.addSink(
        new OtlpSpanSink({ url, serviceName: env.OTEL_SERVICE_NAME?.trim() || config.name, agentId: config.agentId, version: config.version }),
      );
      log.info(`tracing: spans also go to OpenTelemetry at ${url}`);
    },
    (error: unknown) => log.warn(otelUnavailable(error)),
  );
}

/** The OpenTelemetry packages the OTLP export loads: optional peers of this package, installed beside the agent. */
export const OTEL_PACKAGES = ['@opentelemetry/api', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/resources'];

/** Why spans do not go to OpenTelemetry, and what to install when it is a missing package. */
export function otelUnavailable(error: unknown): string {
  const missing = (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && /@opentelemetry\//.test(describeError(error));
  if (missing) {
    return `tracing: OpenTelemetry export needs ${OTEL_PACKAGES.join(', ')} beside the agent (npm install ${OTEL_PACKAGES.join(' ')}); spans still go to the registry`;
  }
  return `tracing: OpenTelemetry export unavailable (${describeError(error)})`;
}
