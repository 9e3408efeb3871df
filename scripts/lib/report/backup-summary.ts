// The backup result for people: how it was verified, what is in it, how big, how long.

import type { BackupResult } from '../results/backup.ts';
import { code, counted, database, formatBytes, formatCount, formatDuration, table } from './markdown.ts';

export function renderBackupSummary(r: BackupResult): string {
  const m = r.manifest;
  const rows = m.tables.reduce((s, t) => s + t.rows, 0);
  const v = m.verification;
  return [
    `## envsync backup — ${database(r.database)}`,
    '',
    `${v.archivesRead ? 'Verified: every archive read back in full by `pg_restore`' : '**Not verified: the archives were NOT read back.**'}` +
      (v.restoredInto
        ? `; restored into ${code(v.restoredInto)}: checksums ${v.checksumsMatch ? 'equal the manifest' : '**differ from the manifest**'}`
        : '') +
      `. ${m.mac ? 'Signed (HMAC-SHA256 over the manifest and every file’s sha256).' : '**Unsigned:** taken without BACKUP_ENCRYPTION_KEY.'}`,
    '',
    `PostgreSQL ${m.source.serverVersion} · pg_dump ${m.pgDump.version} · snapshot ${code(m.snapshot)} · ${formatDuration(r.timings.totalMs)} ` +
      `(dump ${formatDuration(r.timings.dumpMs)}, checksums ${formatDuration(r.timings.checksumMs)} in parallel, verify ${formatDuration(r.timings.verifyMs)})`,
    '',
    `App schemas (DDL + data): ${m.schemas.map(code).join(', ') || 'none'}. Platform tables (rows only): ${m.platformTables.map(code).join(', ') || 'none'}.`,
    `${counted(m.tables.length, 'table')}, ${formatCount(rows)} rows, ${counted(m.sequences.length, 'sequence')}.`,
    '',
    table(
      ['File', 'Holds', 'Size', 'Encrypted', 'sha256'],
      m.files.map((f) => [
        code(f.name),
        f.role,
        formatBytes(f.bytes),
        f.encrypted ? 'yes (AES-256-GCM)' : 'no',
        code(f.sha256.slice(0, 16)),
      ]),
      ['l', 'l', 'r', 'l', 'l'],
    ),
    '',
    '<details><summary>Tables (rows, checksum)</summary>',
    '',
    table(
      ['Table', 'Rows', 'Checksum'],
      m.tables.map((t) => [code(t.table), formatCount(t.rows), code(t.checksum)]),
      ['l', 'r', 'l'],
    ),
    '',
    '</details>',
    '',
  ].join('\n');
}
