// How one table's rows are read masked — the one definition sync's copy and backup's masked dump
// share: `sql:` rules computed by the source in its `COPY (SELECT …)`, every other masked column
// rewritten in the COPY text stream on its way out, so the source's values never go further.

import type { Readable } from 'node:stream';
import { type CopySource, copyOutOf } from '../db/copy-table.ts';
import type { Masking } from './decide.ts';
import { MaskTransform } from './transform.ts';

export interface MaskedRead {
  /** Whether any column of the table is masked (then it travels as text, never binary). */
  masked: boolean;
  /** Columns the source computes from its `sql:` rule instead of reading them. */
  expressions: Map<string, string>;
  /** A fresh rewrite of the table's COPY text stream, or null when no field is rewritten. */
  transform: (() => MaskTransform) | null;
}

/** The masking of `table` (`schema.table`) read with `columns`, in that order. */
export function maskedRead(masking: Masking | null, table: string, columns: string[]): MaskedRead {
  const masks = masking?.plan.tables.get(table) ?? [];
  const rewritten = masks
    .filter((m) => m.strategy.kind !== 'sql')
    .map((m) => ({ index: columns.indexOf(m.column.name), column: m.column, strategy: m.strategy }))
    .filter((f) => f.index >= 0);
  const expressions = new Map(
    masks.flatMap((m) =>
      m.strategy.kind === 'sql' ? [[m.column.name, m.strategy.expression] as const] : [],
    ),
  );
  return {
    masked: masks.length > 0,
    expressions,
    transform: rewritten.length ? () => new MaskTransform(masking!.key ?? '', rewritten) : null,
  };
}

export interface MaskedRows {
  /** COPY text rows (each ending in a newline), masked. */
  data: Readable;
  /** Settles when the source's reader exited (rejects when it failed: the rows are incomplete). */
  done: Promise<void>;
  /** Ends the reader early (after a failure elsewhere). */
  stop(): void;
}

/** One table's rows from the source's snapshot in COPY text format, masked on the way. */
export function readMaskedRows(
  source: CopySource,
  spec: { schema: string; name: string; columns: string[] },
  masking: Masking | null,
): MaskedRows {
  const read = maskedRead(masking, `${spec.schema}.${spec.name}`, spec.columns);
  const reader = copyOutOf(source, {
    ...spec,
    binary: false,
    ...(read.expressions.size ? { expressions: read.expressions } : {}),
  });
  reader.done.catch(() => {}); // the caller awaits it
  const raw = reader.child.stdout!;
  return {
    // pipe() does not pass the reader's failure on: it shows through `done`.
    data: read.transform ? raw.pipe(read.transform()) : raw,
    done: reader.done,
    stop: () => {
      if (reader.child.exitCode === null) reader.child.kill('SIGKILL');
    },
  };
}
