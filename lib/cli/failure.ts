/** What a command's handler throws for an expected failure: printed as one line, no stack. */
export class CommandError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CommandError';
  }
}
