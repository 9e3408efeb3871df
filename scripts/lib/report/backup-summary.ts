// The backup result for people: how it was verified, what is in it, how big, how long — or, for a
// masked dump, that it is not a backup, what was masked and how to restore it.

import type { BackupResult } from '../results/backup.ts';
import type { BackupManifest, MaskedDump } from '../results/manifest.ts';
import {
  code,
  counted,
  database,
  formatBytes,
  formatCount,
  formatDuration,
  prose,
  table,
} from './markdown.ts';

export function renderBackupSummary(r: BackupResult): string {
  if (r.manifest.masked) return renderMaskedDump(r, r.manifest.masked);
  const m = r.manifest;
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
    ...contents(m),
    '',
    files(m),
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

function contents(m: BackupManifest): string[] {
  const rows = m.tables.reduce((s, t) => s + t.rows, 0);
  return [
    `App schemas (DDL + data): ${m.schemas.map(code).join(', ') || 'none'}. Platform tables (rows only): ${m.platformTables.map(code).join(', ') || 'none'}.`,
    `${counted(m.tables.length, 'table')}, ${formatCount(rows)} rows, ${counted(m.sequences.length, 'sequence')}.`,
  ];
}

function files(m: BackupManifest): string {
  return table(
    ['File', 'Holds', 'Size', 'Encrypted', 'sha256'],
    m.files.map((f) => [
      code(f.name),
      f.role,
      formatBytes(f.bytes),
      f.encrypted ? 'yes (AES-256-GCM)' : 'no',
      code(f.sha256.slice(0, 16)),
    ]),
    ['l', 'l', 'r', 'l', 'l'],
  );
}

/** A masked dump: what it is not, what was masked, what was neutralized, how to restore it. */
function renderMaskedDump(r: BackupResult, masked: MaskedDump): string {
  const m = r.manifest;
  const file = m.files.find((f) => f.role === 'masked-dump') ?? m.files[0];
  const name = file?.name ?? 'masked.sql';
  const byTable = new Map<string, string[]>();
  for (const [column, strategy] of Object.entries(masked.columns)) {
    const [schema, tableName, ...rest] = column.split('.');
    const key = `${schema}.${tableName}`;
    byTable.set(key, [...(byTable.get(key) ?? []), `${code(rest.join('.'))} ${strategy}`]);
  }
  return [
    `## envsync masked dump — ${database(r.database)}`,
    '',
    `**A masked dump, not a backup:** every row passed through the masking rules on its way to ${code(name)} ` +
      `(${masked.reason === '--mask' ? code('--mask') : prose(masked.reason)}); the source’s values of the masked columns are not in it, and ${code('rollback')} refuses it.`,
    '',
    `${m.verification.archivesRead ? `Read back in full${file?.encrypted ? ' (decrypted, GCM tag checked)' : ''}.` : '**Not read back.**'} ` +
      `${m.mac ? 'Signed (HMAC-SHA256 over the manifest and the file’s sha256).' : '**Unsigned:** taken without BACKUP_ENCRYPTION_KEY.'}`,
    '',
    `PostgreSQL ${m.source.serverVersion} · pg_dump ${m.pgDump.version} · snapshot ${code(m.snapshot)} · ${formatDuration(r.timings.totalMs)} ` +
      `(dump ${formatDuration(r.timings.dumpMs)}, read back ${formatDuration(r.timings.verifyMs)})`,
    '',
    ...contents(m),
    '',
    `### Masked columns (${Object.keys(masked.columns).length})`,
    '',
    table(
      ['Table', 'Columns and strategies'],
      [...byTable].map(([t, columns]) => [code(t), columns.join(', ')]),
    ),
    '',
    ...(masked.neutralized.length
      ? [
          '### Neutralized in the dump',
          '',
          table(
            ['Object', 'Action', 'Detail'],
            masked.neutralized.map((n) => [prose(n.name), n.action, prose(n.detail)]),
          ),
          '',
        ]
      : []),
    '### Restoring it',
    '',
    'Into an empty Supabase-shaped database (platform schemas present, app schemas absent), as `postgres`, in one transaction:',
    '',
    '```bash',
    ...(file?.encrypted
      ? ['# encrypted (BACKUP_ENCRYPTION_KEY): decrypt it first with envsync — see docs/masking.md']
      : []),
    `sha256sum -c ${name}.sha256`,
    `psql "$DATABASE_URL" --single-transaction --file ${name}`,
    '```',
    '',
    files(m),
    '',
    '<details><summary>Tables (rows written, sha256 of their COPY data)</summary>',
    '',
    table(
      ['Table', 'Rows', 'sha256'],
      m.tables.map((t) => [
        code(t.table),
        formatCount(t.rows),
        code(t.checksum.replace(/^sha256:/, '').slice(0, 16)),
      ]),
      ['l', 'r', 'l'],
    ),
    '',
    '</details>',
    '',
  ].join('\n');
}
