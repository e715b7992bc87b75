// JSON Schema of a tool's input/output for the registry: exactly what the SDK lists for the tool, without loading
// the SDK's converter module (it drags in zod-to-json-schema for zod 3 schemas) unless a zod 3 schema needs it.
// SDK internals, deep-imported through its wildcard export (so package.json pins the SDK exactly): isZ4Schema
// (server/zod-compat.js) and toJsonSchemaCompat (server/zod-json-schema-compat.js), the SDK's own conversion.
import { isZ4Schema, type AnyObjectSchema } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import { toJSONSchema } from 'zod/v4/core';

export async function toolJsonSchema(schema: AnyObjectSchema, io: 'input' | 'output'): Promise<Record<string, unknown>> {
  // The SDK's own v4 branch (toJsonSchemaCompat), same options.
  if (isZ4Schema(schema)) return toJSONSchema(schema, { target: 'draft-7', io }) as Record<string, unknown>;
  const { toJsonSchemaCompat } = await import('@modelcontextprotocol/sdk/server/zod-json-schema-compat.js');
  return toJsonSchemaCompat(schema, { strictUnions: true, pipeStrategy: io }) as Record<string, unknown>;
}
