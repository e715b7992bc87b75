import test from 'ava';
import { getEventListeners } from 'node:events';
import { localExtra, runLocalCall, type LocalCall } from './local-call.js';
import type { ToolExtra } from './types.js';

test('resolves with the value; leaves no listener on the caller signal', async (t) => {
  const outer = new AbortController();
  for (let i = 0; i < 100; i++) t.is(await runLocalCall(async () => i, outer.signal, 1000), i);
  t.is(getEventListeners(outer.signal, 'abort').length, 0);
});

test('the handler signal is made on demand and aborts on timeout; the call rejects with the timeout error', async (t) => {
  let seen: LocalCall | undefined;
  let aborted = false;
  const error = await t.throwsAsync(
    runLocalCall(
      (call) => {
        seen = call;
        call.signal.addEventListener('abort', () => (aborted = true));
        return new Promise(() => undefined);
      },
      undefined,
      30,
    ),
  );
  t.regex(error!.message, /Request timed out/);
  t.true(aborted);
  t.true(seen!.timedOut);
});

test('a signal first read after the abort is already aborted, with the reason', async (t) => {
  const outer = new AbortController();
  let call: LocalCall | undefined;
  const running = runLocalCall((c) => ((call = c), new Promise(() => undefined)), outer.signal, 1000);
  outer.abort(new Error('gave up'));
  await t.throwsAsync(running, { message: 'gave up' });
  t.true(call!.signal.aborted);
  t.is((call!.signal.reason as Error).message, 'gave up');
  t.is(getEventListeners(outer.signal, 'abort').length, 0);
});

test('an already aborted caller signal: the handler never starts', async (t) => {
  let started = false;
  await t.throwsAsync(
    runLocalCall(async () => (started = true), AbortSignal.abort(new Error('too late')), 1000),
    { message: 'too late' },
  );
  t.false(started);
});

test("local extra: the caller's context with the call's own signal", async (t) => {
  const callerSignal = new AbortController().signal;
  const caller = { signal: callerSignal, requestId: 7, sessionId: 's', sendNotification: async () => undefined } as unknown as ToolExtra;
  await runLocalCall(
    async (call) => {
      const extra = localExtra(caller, call);
      t.is(extra.requestId, 7);
      t.is(extra.sessionId, 's');
      t.not(extra.signal, callerSignal);
      t.is(extra.signal, call.signal);
      const detached = localExtra(undefined, call);
      t.is(detached.requestId, 0);
      await t.throwsAsync(detached.sendRequest({ method: 'ping' }, {} as never));
    },
    undefined,
    1000,
  );
});
