import test from 'ava';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import {
  classifyFailure,
  failsOver,
  ProviderUnreachableError,
  recognizeHttpErrors,
  retriesOnAnotherConnection,
  retriesOnNewSession,
  type CallFailure,
} from './retry-policy.js';

recognizeHttpErrors(StreamableHTTPError);

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

test('connection-level errors: closed under us vs never reached, also when wrapped', (t) => {
  t.is(classifyFailure(coded('ECONNRESET')), 'connection-closed');
  t.is(classifyFailure(coded('EPIPE')), 'connection-closed');
  t.is(classifyFailure(new TypeError('fetch failed', { cause: coded('UND_ERR_SOCKET') })), 'connection-closed');
  t.is(classifyFailure(coded('ECONNREFUSED')), 'unreachable');
  t.is(classifyFailure(new Error('outer', { cause: coded('ENOTFOUND') })), 'unreachable');
  t.is(classifyFailure(new TypeError('fetch failed')), 'unreachable');
  t.is(classifyFailure(new ProviderUnreachableError('connect http://127.0.0.1:1: ECONNREFUSED')), 'unreachable');
});

test('HTTP answers: 404 is a lost session, 502/503 a provider going away, others reached it', (t) => {
  t.is(classifyFailure(new StreamableHTTPError(404, 'Session not found')), 'session-gone');
  t.is(classifyFailure(new StreamableHTTPError(503, 'shutting down')), 'unreachable');
  t.is(classifyFailure(new StreamableHTTPError(502, 'bad gateway')), 'unreachable');
  t.is(classifyFailure(new StreamableHTTPError(400, 'bad request')), 'call-failed');
});

test('a timeout, a provider error or anything else reached the provider; an aborted call is cancelled whatever the error', (t) => {
  t.is(classifyFailure(new McpError(ErrorCode.RequestTimeout, 'Request timed out')), 'call-failed');
  t.is(classifyFailure(new McpError(ErrorCode.InternalError, 'boom')), 'call-failed');
  t.is(classifyFailure('not even an error'), 'call-failed');
  const controller = new AbortController();
  controller.abort(new Error('gave up'));
  t.is(classifyFailure(coded('ECONNREFUSED'), controller.signal), 'cancelled');
});

test('the policy: stale connections again at once, lost sessions once anew, connection failures to the next provider, the rest never', (t) => {
  t.true(retriesOnAnotherConnection(coded('ECONNRESET'), true));
  t.false(retriesOnAnotherConnection(coded('ECONNRESET'), false), 'a fresh connection reset may have carried the request');
  t.false(retriesOnAnotherConnection(coded('ECONNREFUSED'), true));

  t.true(retriesOnNewSession('session-gone', false));
  t.true(retriesOnNewSession('connection-closed', true));
  t.false(retriesOnNewSession('connection-closed', false));
  t.false(retriesOnNewSession('unreachable', true));

  const failingOver = (['cancelled', 'connection-closed', 'session-gone', 'unreachable', 'call-failed'] as CallFailure[]).filter(failsOver);
  t.deepEqual(failingOver, ['connection-closed', 'unreachable']);
});

test('session-less calls: closed before the provider started is retried elsewhere, after it never', async (t) => {
  const { CallFailedError, ConnectionClosedError } = await import('./retry-policy.js');
  t.is(classifyFailure(new ConnectionClosedError('socket hang up', false)), 'connection-closed');
  t.true(failsOver(classifyFailure(new ConnectionClosedError('socket hang up', false))));
  t.is(classifyFailure(new CallFailedError("the provider's connection closed while it ran the call")), 'call-failed');
  t.false(failsOver(classifyFailure(new CallFailedError('MCP error -32001: Request timed out'))));
  t.true(retriesOnAnotherConnection(new ConnectionClosedError('reset', true), true), 'a stale kept-alive connection');
  t.false(retriesOnAnotherConnection(new ConnectionClosedError('reset', false), false));
});
