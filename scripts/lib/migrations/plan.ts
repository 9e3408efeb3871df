// Where each migration stands on a database — applied, pending, edited since it was applied,
// missing locally, out of order — and how pending files group into transactions.

import type { MigrationState, MigrationStatus } from '../results/migrate.ts';
import type { ParsedStatement } from './parser.ts';

export interface LocalMigration {
  version: string;
  name: string;
  file: string;
  /** As the Supabase CLI splits and stores them. */
  statements: string[];
}

const sameStatements = (a: string[], b: string[]) => a.length === b.length && a.every((s, i) => s === b[i]);

/**
 * Every version, local or applied, in version order (text order, as the CLI compares). An
 * applied file whose statements differ from those stored is `edited` — the CLI stores no
 * checksum, and its stored statements serve as one; a history row without statements
 * (written by `migration repair`) cannot be checked and counts as applied.
 */
export function migrationStatus(
  local: LocalMigration[],
  applied: { version: string; name: string; statements: string[] | null }[],
): MigrationStatus[] {
  const byVersion = new Map(applied.map((a) => [a.version, a]));
  const latest = applied.reduce((max, a) => (a.version > max ? a.version : max), '');
  const here = new Set(local.map((l) => l.version));
  const rows: MigrationStatus[] = [
    ...local.map((l): MigrationStatus => {
      const a = byVersion.get(l.version);
      const state: MigrationState = !a
        ? l.version < latest
          ? 'out of order'
          : 'pending'
        : a.statements !== null && !sameStatements(a.statements, l.statements)
          ? 'edited'
          : 'applied';
      return { version: l.version, name: l.name, file: l.file, state };
    }),
    ...applied
      .filter((a) => !here.has(a.version))
      .map(
        (a): MigrationStatus => ({ version: a.version, name: a.name, file: null, state: 'missing locally' }),
      ),
  ];
  return rows.sort((x, y) => (x.version < y.version ? -1 : x.version > y.version ? 1 : 0));
}

/** Statements PostgreSQL refuses inside a transaction block. */
export function nonTransactional(statements: ParsedStatement[]): ParsedStatement[] {
  return statements.filter((s) => {
    const n = s.node as Record<string, unknown>;
    const options = JSON.stringify(n.params ?? n.options ?? []);
    switch (s.kind) {
      case 'IndexStmt':
      case 'DropStmt':
        return n.concurrent === true;
      case 'ReindexStmt':
        return options.includes('"concurrently"');
      case 'VacuumStmt':
        return n.is_vacuumcmd === true;
      case 'TransactionStmt':
      case 'CreatedbStmt':
      case 'DropdbStmt':
      case 'AlterSystemStmt':
      case 'CreateTableSpaceStmt':
      case 'DropTableSpaceStmt':
        return true;
      case 'CreateSubscriptionStmt':
      case 'DropSubscriptionStmt':
        return true;
      default:
        return false;
    }
  });
}

/** `ALTER TYPE … ADD VALUE`: the new value cannot be used until the transaction that added it commits. */
export const addsEnumValue = (statements: ParsedStatement[]) =>
  statements.some((s) => {
    const n = s.node as { newVal?: string; oldVal?: string };
    return s.kind === 'AlterEnumStmt' && n.newVal !== undefined && n.oldVal === undefined;
  });

/** The Supabase CLI's marker (2.117): a file whose first line is this runs outside any transaction. */
export const NO_TRANSACTION_MARKER = /^\uFEFF?-- pg-delta: transaction=false\r?$/;

export const markedNonTransactional = (text: string) => NO_TRANSACTION_MARKER.test(text.split('\n')[0] ?? '');
