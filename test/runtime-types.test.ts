// The typed API: this file only compiles if `agent().tool()` infers handler args from the zod inputSchema and
// `deps` keys from the dependency list (the @ts-expect-error lines must stay errors).
import test from 'ava';
import { z } from 'zod';
import { agent, type MeshProxy } from 'mesh/runtime';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(_: T) => undefined;

test('handler args, deps and return types are inferred', (t) => {
  const a = agent({ name: 'typed', standalone: true, handleSignals: false });
  a.tool(
    'hello',
    {
      capability: 'greeting',
      inputSchema: { name: z.string(), times: z.number().int().optional() },
      dependencies: ['time_service', { capability: 'storage', tags: ['+fast', ['a', 'b']], version: '>=2' }, { capability: 'kv', as: 'cache' }],
    },
    async (args, deps, extra) => {
      assertType<Equal<typeof args.name, string>>(true);
      assertType<Equal<typeof args.times, number | undefined>>(true);
      assertType<Equal<typeof deps.time_service, MeshProxy | undefined>>(true);
      assertType<Equal<typeof deps.storage, MeshProxy | undefined>>(true);
      assertType<Equal<typeof deps.cache, MeshProxy | undefined>>(true);
      // @ts-expect-error: not a declared dependency
      void deps.kv;
      // @ts-expect-error: not an input field
      void args.nope;
      const signal: AbortSignal = extra.signal;
      void signal;
      return `hi ${args.name}`;
    },
  );
  a.tool('no_input', { description: 'no args, no deps' }, (args, deps) => {
    assertType<Equal<typeof args, Record<string, never>>>(true);
    void deps;
    return 42;
  });
  a.tool(
    'typed_output',
    { inputSchema: z.object({ n: z.number() }), outputSchema: { doubled: z.number(), note: z.string().optional() } },
    // @ts-expect-error: the output schema requires `doubled` to be a number
    ({ n }) => ({ doubled: String(n * 2) }),
  );
  a.tool('typed_output_ok', { inputSchema: z.object({ n: z.number() }), outputSchema: { doubled: z.number() } }, ({ n }) => ({ doubled: n * 2 }));
  a.tool(
    'typo',
    // @ts-expect-error: misspelt config keys are caught
    { capabilty: 'x' },
    () => 'x',
  );
  t.pass();
});
