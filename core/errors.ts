// The error types of the job. Each says what happened, where, and what to do about it.

export type ErrorDetails = {
  /** What the operator should do, as an instruction. */
  action: string;
  cause?: unknown;
};

export class CchcError extends Error {
  readonly action: string;
  /** Process exit code for the CLI. */
  readonly exitCode: number = 1;

  constructor(message: string, details: ErrorDetails) {
    super(message, { cause: details.cause });
    this.name = new.target.name;
    this.action = details.action;
  }

  /** The message an operator reads: what, where, and what to do. */
  describe(): string {
    return `${this.message}\n  → ${this.action}`;
  }
}

/** The config file or the environment is wrong. */
export class ConfigError extends CchcError {
  override readonly exitCode = 2;
}

/** A source file cannot be read as its table requires; names the file and, where known, the row and column. */
export class SourceFileError extends CchcError {
  readonly file: string;

  constructor(file: string, message: string, details: ErrorDetails) {
    super(`${file}: ${message}`, details);
    this.file = file;
  }
}

/** A SQL model or its inputs fail; names the model file. */
export class ModelError extends CchcError {}

/** The run was asked to stop (SIGTERM, SIGINT) and stopped between two steps. */
export class RunInterrupted extends CchcError {
  constructor(readonly signal: string) {
    super(`the run was stopped by ${signal} before it finished`, {
      action: 'nothing is half-done: what was committed stays, the published release was not changed unless publishing had finished; the next run carries on',
    });
  }
}

/** The message of anything thrown: an Error's, or the value itself as text. */
export function messageOf(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}
