// Row-count and checksum differences as one table, in the words of the comparison: validate
// compares source and target, rollback the backup and the database now.

import type { ChecksumDifference } from '../results/validate.ts';
import { code, formatCount, table } from './markdown.ts';

export interface ComparedSides {
  /** The side the rows should match (`Source`, `Backup`) and the side checked (`Target`, `Now`). */
  expected: string;
  actual: string;
  /** A table only the checked side has, and one it lacks. */
  extra: string;
  missing: string;
}

export function dataDifferencesTable(differences: ChecksumDifference[], sides: ComparedSides): string {
  return table(
    ['Table', `${sides.expected} rows`, `${sides.actual} rows`, 'Content'],
    differences.map((d) => [
      code(d.table),
      formatCount(d.expected?.rows),
      formatCount(d.actual?.rows),
      !d.expected
        ? sides.extra
        : !d.actual
          ? sides.missing
          : d.expected.checksum === d.actual.checksum
            ? 'same'
            : 'differs',
    ]),
    ['l', 'r', 'r', 'l'],
  );
}
