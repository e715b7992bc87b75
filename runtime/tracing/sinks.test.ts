import test from 'ava';
import { OTEL_PACKAGES, otelUnavailable } from './sinks.js';

test('a missing OpenTelemetry package: the warning names the packages to install', async (t) => {
  // The error Node gives for a package that is not installed, from a real import.
  const error = await import('@opentelemetry/not-installed-package' as string).catch((e: unknown) => e);
  const warning = otelUnavailable(error);
  t.true(warning.includes(`npm install ${OTEL_PACKAGES.join(' ')}`), warning);
  t.true(warning.includes('spans still go to the registry'));
});

test('any other failure is passed on as it is', (t) => {
  t.is(otelUnavailable(new Error('boom')), 'tracing: OpenTelemetry export unavailable (boom)');
});
