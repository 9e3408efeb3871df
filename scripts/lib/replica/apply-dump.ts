// Runs a pg_dump script inside the caller's transaction entry by entry — pipelined, so a
// remote target costs no round trip per entry — leaving out entries owned by roles the
// connecting role cannot act as, and naming the object, the dump line and the fix when
// one fails.

import { JobError } from '../base/errors.ts';
import { describePgError } from '../db/connect.ts';
import { type DumpEntry, type DumpScript, describeEntry, firstStatementLine } from './dump-entries.ts';

/** The subset of a postgres.js connection this needs (a transaction opened by hand). */
interface Runner {
  unsafe(sql: string): { simple(): Promise<unknown> };
}

export interface AppliedDump {
  applied: number;
  /** Entries owned by roles the connecting role cannot act as: left as they are on the target. */
  leftAlone: DumpEntry[];
}

const IN_FAILED_TRANSACTION = '25P02';

/** A fix for the usual reasons a dump entry fails on another database. */
function fixFor(code: string | undefined, entry: DumpEntry): string {
  const what = describeEntry(entry);
  switch (code) {
    case '42501':
      return `the connecting role may not create or change ${what}: connect as its owner (${entry.owner ?? 'unknown'}) or a member of that role; nothing was changed`;
    case '42710':
    case '42P07':
    case '42723':
      return `an object the replacement could not remove is in the way of ${what}: drop it on the target by hand (prepare lists what it leaves alone); nothing was changed`;
    case '42704':
    case '42883':
    case '58P01':
      return `${what} needs something the target lacks (a role, extension, collation or library): create it on the target first; nothing was changed`;
    default:
      return `fix ${what} on the source or the target, then run again; nothing was changed`;
  }
}

/**
 * Sends every statement at once (postgres.js pipelines them on the one connection) and
 * returns the first that failed for a reason of its own — those after it fail only because
 * the transaction was aborted. A lost connection is rethrown for the caller to name.
 */
async function runPipelined(
  tx: Runner,
  statements: string[],
): Promise<{ index: number; error: unknown } | null> {
  const settled = await Promise.allSettled(statements.map((sql) => tx.unsafe(sql).simple()));
  const failures = settled.flatMap((s, index) =>
    s.status === 'rejected' ? [{ index, error: s.reason }] : [],
  );
  const first =
    failures.find((f) => (f.error as { code?: string }).code !== IN_FAILED_TRANSACTION) ?? failures[0];
  if (!first) return null;
  const code = (first.error as { code?: string }).code;
  if (!code || !/^[0-9A-Z]{5}$/.test(code)) throw first.error;
  return first;
}

/** Our own statements (the replacement's DROPs, GRANTs), pipelined; a failure names the statement. */
export async function applyStatements(tx: Runner, statements: string[]): Promise<void> {
  const failed = await runPipelined(tx, statements);
  if (failed) {
    const statement = statements[failed.index]!;
    throw new JobError(
      `${statement.split('\n')[0]!.slice(0, 200)} failed: ${describePgError(failed.error)}`,
      'the target has an object the connecting role may not change: see prepare’s checks; nothing was changed',
      { cause: failed.error, detail: { statement: statement.slice(0, 500) } },
    );
  }
}

export async function applyDumpScript(
  tx: Runner,
  script: DumpScript,
  canActAs: (role: string) => boolean,
  section: string,
): Promise<AppliedDump> {
  if (script.preamble) await tx.unsafe(script.preamble).simple();
  const run = script.entries.filter((e) => e.owner === null || canActAs(e.owner));
  const leftAlone = script.entries.filter((e) => !run.includes(e));
  const failed = await runPipelined(
    tx,
    run.map((e) => e.sql),
  );
  if (failed) {
    const first = { entry: run[failed.index]!, error: failed.error };
    const code = (first.error as { code?: string }).code;
    const statement = firstStatementLine(first.entry.sql);
    throw new JobError(
      `${describeEntry(first.entry)} (${section}, dump line ${first.entry.line}) failed: ${describePgError(first.error)}`,
      fixFor(code, first.entry),
      {
        cause: first.error,
        detail: {
          object: describeEntry(first.entry),
          owner: first.entry.owner ?? '',
          section,
          'dump line': first.entry.line,
          statement,
        },
      },
    );
  }
  return { applied: run.length, leftAlone };
}
