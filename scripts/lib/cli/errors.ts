// The two kinds of expected failure every job reports as one line plus a fix:
// bad input (exit 2, nothing touched) and a job that ran and failed (exit 1).

export type ExitCode = 0 | 1 | 2;

export class EnvsyncError extends Error {
  constructor(
    readonly exitCode: 1 | 2,
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input or configuration: exit 2, nothing was touched. */
export class InputError extends EnvsyncError {
  constructor(message: string, hint: string, options?: { cause?: unknown }) {
    super(2, message, hint, options);
  }
}

/** The job ran and failed: exit 1, the databases are as they were. */
export class JobError extends EnvsyncError {
  constructor(message: string, hint: string, options?: { cause?: unknown }) {
    super(1, message, hint, options);
  }
}

/** Several input problems found at once, reported together. */
export class InputErrors extends InputError {
  constructor(readonly problems: InputError[]) {
    super(
      problems.map((p) => p.message).join('; '),
      problems
        .map((p) => p.hint)
        .filter((h, i, all) => all.indexOf(h) === i)
        .join('; '),
    );
  }
}
