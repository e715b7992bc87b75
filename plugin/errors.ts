// The CLI's two kinds of failure: a wrong argument (exit 2, says what to fix) and anything else (exit 1).
// Both print as one line on stderr. A registry failure is said in the CLI's words, with what to do about it.
import { FlagError } from '../core/flags.js';
import { RegistryError } from '../core/registry-client.js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** A RegistryError or a FlagError as the line the CLI prints; other errors unchanged. */
export function toCliError(error: unknown): unknown {
  if (error instanceof FlagError) return new UsageError(error.message);
  if (!(error instanceof RegistryError)) return error;
  const hint = 'start it with `pm2-mesh up` or point --registry at it';
  switch (error.failure) {
    case 'bad-url':
      return new UsageError(`--registry must be an http(s) URL such as http://127.0.0.1:8000 (got "${error.url}")`);
    case 'unreachable':
      return new CliError(`registry unreachable at ${error.url} (${error.reason}); ${hint}`);
    case 'timeout':
      return new CliError(`registry unreachable at ${error.url} (no answer within ${error.reason}); ${hint}`);
    case 'status':
      if (error.status === 401) {
        return new CliError(
          `registry at ${error.url} answered 401${error.detail ? `: ${error.detail}` : ''}; pass --token or set MCP_MESH_REGISTRY_TOKEN`,
        );
      }
      return new CliError(error.message);
    case 'bad-answer':
      return new CliError(error.message);
  }
}
