// The content snapshot: the target's content rows as a sync found them (COPY text, one file per
// table) and content-snapshot.json describing them — read here, checked, and turned back into the
// content tables a rollback restores. The files themselves are written and read by the job.

import path from 'node:path';
import type { Readable } from 'node:stream';
import { InputError, InputErrors } from '../base/errors.ts';
import { readJsonFile } from '../base/json-file.ts';
import type { Inventory } from '../catalog/model.ts';
import type { Query } from '../db/connect.ts';
import { copyIn } from '../db/copy.ts';
import { ident } from '../db/sql-text.ts';
import { CONTENT_SNAPSHOT_FORMAT, type ContentSnapshot } from '../results/content-sync.ts';
import type { FillStage } from './engine.ts';
import { type ContentTable, resolveContentTables } from './tables.ts';

export const SNAPSHOT_FILE = 'content-snapshot.json';

/** Fills each stage from the snapshot file of its table (`open` gives the file's plaintext). */
export const fromSnapshot =
  (tx: Query, snapshot: ContentSnapshot, open: (file: string) => Readable): FillStage =>
  async (t, stage) => {
    const entry = snapshot.tables.find((e) => e.table === t.qualified)!;
    await copyIn(
      tx.unsafe(`copy ${stage} (${t.columns.map(ident).join(', ')}) from stdin`),
      open(entry.file),
    );
  };

/** Reads and checks content-snapshot.json; anything malformed is bad input (a corrupt artifact). */
export function readContentSnapshot(dir: string): ContentSnapshot {
  const file = path.join(dir, SNAPSHOT_FILE);
  const raw = readJsonFile(
    file,
    'pass --from the content-snapshot directory a content-sync --mode sync wrote',
  );
  const m = raw as Partial<ContentSnapshot>;
  const problems: string[] = [];
  if (m.format !== CONTENT_SNAPSHOT_FORMAT)
    problems.push(`format is ${JSON.stringify(m.format)}, expected ${CONTENT_SNAPSHOT_FORMAT}`);
  if (!m.target?.identity) problems.push('target identity is missing');
  const files = Array.isArray(m.files) ? m.files : null;
  if (
    !files ||
    files.some(
      (f) =>
        typeof f?.name !== 'string' ||
        !/^[0-9a-f]{64}$/.test(String(f?.sha256)) ||
        f.name.includes('/') ||
        f.name.includes('..'),
    )
  )
    problems.push('files[] is missing or malformed');
  if (
    !Array.isArray(m.tables) ||
    m.tables.some(
      (t) =>
        typeof t?.table !== 'string' ||
        typeof t?.rows !== 'number' ||
        !Array.isArray(t?.key) ||
        !Array.isArray(t?.columns) ||
        !files?.some((f) => f?.name === t?.file),
    )
  )
    problems.push('tables[] is missing or malformed');
  if (!Array.isArray(m.sequences)) problems.push('sequences is missing');
  if (problems.length)
    throw new InputError(
      `${file} is not a valid envsync content snapshot: ${problems.join('; ')}`,
      'use the snapshot as content-sync wrote it; do not edit it by hand',
    );
  return m as ContentSnapshot;
}

/**
 * The snapshot's tables resolved on the target as a restore needs them: the key and columns
 * the snapshot has, delete forced (rows the sync added go), no column ignored (the snapshot is
 * restored exactly), triggers not fired; in the target's FK order. A table whose columns changed
 * since the snapshot is refused.
 */
export function restoreTables(snapshot: ContentSnapshot, tgt: Inventory): ContentTable[] {
  const tables = resolveContentTables(
    Object.fromEntries(
      snapshot.tables.map((t) => [
        t.table,
        { key: t.key, delete: 'delete' as const, triggers: 'skip' as const, ignoreColumns: [] },
      ]),
    ),
    tgt,
    tgt,
  );
  const problems = tables.flatMap((t) => {
    const was = snapshot.tables.find((e) => e.table === t.qualified)!;
    return was.columns.join(',') === t.columns.join(',')
      ? []
      : [
          new InputError(
            `${t.qualified}: its columns are (${t.columns.join(', ')}) now, (${was.columns.join(', ')}) in the snapshot`,
            'a snapshot restores the table it was taken of: restore by hand, or migrate the table back first',
          ),
        ];
  });
  if (problems.length) throw problems.length === 1 ? problems[0]! : new InputErrors(problems);
  return tables;
}
