// The CLI's two kinds of failure: a wrong argument (exit 2, says what to fix) and anything else (exit 1).
// Both print as one line on stderr.

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
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
