// The two kinds of expected failure every job reports as one line plus a fix:
// bad input (exit 2, nothing touched) and a job that ran and failed (exit 1).

export type ExitCode = 0 | 1 | 2;

/** What the artifact (not the console) carries about a failure: the failing object, statement, line. */
export type ErrorDetail = Record<string, string | number>;

export class EnvsyncError extends Error {
  readonly detail?: ErrorDetail;

  constructor(
    readonly exitCode: 1 | 2,
    message: string,
    readonly hint: string,
    options?: { cause?: unknown; detail?: ErrorDetail },
  ) {
    super(message, options);
    this.name = new.target.name;
    if (options?.detail) this.detail = options.detail;
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
  constructor(message: string, hint: string, options?: { cause?: unknown; detail?: ErrorDetail }) {
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

/** The InputErrors an error stands for (several for InputErrors); none for anything else. */
export function inputProblems(error: unknown): InputError[] {
  if (error instanceof InputErrors) return [...error.problems];
  if (error instanceof InputError) return [error];
  return [];
}

/**
 * Reads a job's flags one reader at a time and reports every bad one at once: each reader
 * may throw an InputError (or InputErrors); the others still run. Anything else is a bug and
 * is thrown as it is.
 *
 *   const { source, timeout } = readFlags({
 *     source: () => requireDatabase(flags, 'source', env),
 *     timeout: () => parseConnectTimeout(flags['connect-timeout']),
 *   });
 */
export function readFlags<T extends Record<string, unknown>>(readers: { [K in keyof T]: () => T[K] }): T {
  const values: Partial<T> = {};
  const problems: InputError[] = [];
  for (const key of Object.keys(readers) as (keyof T)[]) {
    try {
      values[key] = readers[key]();
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(...inputProblems(error));
    }
  }
  if (problems.length) throw problems.length === 1 ? problems[0]! : new InputErrors(problems);
  return values as T;
}
