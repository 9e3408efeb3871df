// backup --verify-restore: a backup proven by restoring it into a scratch database.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BackupResult } from '../../scripts/lib/results/backup.ts';
import { dir, record, sameAs } from '../helpers/backups.ts';
import { runScript } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';

let source: TestDatabase;
beforeAll(async () => {
  source = await supabaseDatabase({ migrations: false });
});
afterAll(closeAll);

describe('backup --verify-restore', () => {
  // Seeding ≈1M rows, dumping, restoring and proving them: minutes on a loaded 2-core machine.
  test('at scale 20: restored into a scratch database, every checksum equals the manifest', async () => {
    const big = await supabaseDatabase({ scale: 20 });
    const scratch = await supabaseDatabase({ migrations: false });
    const out = dir('verify');
    const run = await runScript('backup', ['--db', big.url, '--verify-restore', scratch.url, '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const m = record<BackupResult>(out, 'backup').result!.manifest;
    expect(m.verification).toEqual({
      archivesRead: true,
      restoredInto: scratch.display,
      checksumsMatch: true,
    });
    expect(m.tables.find((t) => t.table === 'public.chat_messages')!.rows).toBe(800_000);
    expect(await sameAs(scratch, out)).toEqual({ identical: true, tables: [] });
    expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).toContain('checksums equal the manifest');
  }, 300_000);

  test('refuses the source itself as the scratch database', async () => {
    const run = await runScript('backup', [
      '--db',
      source.url,
      '--verify-restore',
      source.url,
      '--out',
      dir('v'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: --verify-restore is the database being backed up$/m);
  });
});
