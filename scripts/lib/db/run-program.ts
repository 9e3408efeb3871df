// Runs a PostgreSQL client program (pg_dump, pg_restore, psql) with streams, keeping
// the tail of its stderr for a one-line error.

import { type ChildProcess, spawn } from 'node:child_process';
import { JobError } from '../base/errors.ts';

export interface RunningProgram {
  child: ChildProcess;
  /** Resolves when the program exits 0; rejects with a JobError carrying its last stderr lines. */
  done: Promise<void>;
  /** The last few kilobytes of its stderr. */
  stderr(): string;
}

export function startProgram(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  what: string,
): RunningProgram {
  const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (e) =>
      reject(
        new JobError(
          `${what}: could not run ${file} (${e.message})`,
          'check the PostgreSQL client installation or PG_BIN',
        ),
      ),
    );
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const tail =
        stderr.trim().split('\n').filter(Boolean).slice(-2).join(' / ') || `exit ${code ?? signal}`;
      reject(new JobError(`${what} failed: ${tail}`, 'see the message above; nothing was changed'));
    });
  });
  return { child, done, stderr: () => stderr };
}

/** A program that stops reading its input early reports its own failure by its exit code. */
export function ignoreClosedPipe(error: NodeJS.ErrnoException): void {
  if (
    error.code !== 'EPIPE' &&
    error.code !== 'ERR_STREAM_PREMATURE_CLOSE' &&
    error.code !== 'ERR_STREAM_DESTROYED'
  )
    throw error;
}
