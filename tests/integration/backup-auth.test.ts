// A backup directory cannot be edited into running something else: with a key every file is
// encrypted and the manifest carries a MAC over all of it (every file's sha256 included);
// without one the restore says loudly that nothing vouches for it; and no manifest may make
// a restore empty a platform schema.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { backupJob } from '../../scripts/lib/jobs/backup.ts';
import { rollbackJob } from '../../scripts/lib/jobs/rollback.ts';
import type { BackupManifest } from '../../scripts/lib/results/manifest.ts';
import { dir } from '../helpers/backups.ts';
import { cleanEnv, runInProcess } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';
import { fingerprint } from '../helpers/sync.ts';

const KEY = 'a-long-backup-key-for-the-tests-0123456789';
let db: TestDatabase;
let signed: string;
let unsigned: string;
beforeAll(async () => {
  db = await supabaseDatabase({ scale: 1 });
  signed = dir('signed');
  unsigned = dir('unsigned');
  const [a, b] = await Promise.all([
    runInProcess(backupJob, ['--db', db.url, '--out', signed], cleanEnv({ BACKUP_ENCRYPTION_KEY: KEY })),
    runInProcess(backupJob, ['--db', db.url, '--out', unsigned]),
  ]);
  expect(a.code).toBe(0);
  expect(b.code).toBe(0);
  expect(b.stdout).toMatch(/BACKUP_ENCRYPTION_KEY is not set: the backup is neither encrypted nor signed/);
});
afterAll(closeAll);

/** A copy of `from` with `edit` applied to its manifest (and, optionally, to a file). */
function tampered(from: string, edit: (m: BackupManifest, d: string) => void): string {
  const d = dir('tampered');
  for (const f of readdirSync(from)) writeFileSync(path.join(d, f), readFileSync(path.join(from, f)));
  const m = JSON.parse(readFileSync(path.join(d, 'manifest.json'), 'utf8')) as BackupManifest;
  edit(m, d);
  writeFileSync(path.join(d, 'manifest.json'), JSON.stringify(m));
  return d;
}

const rollback = (from: string, env = cleanEnv({ BACKUP_ENCRYPTION_KEY: KEY })) =>
  runInProcess(rollbackJob, ['--target', db.url, '--from', from, '--out', dir('auth-rb')], env);

test('with a key, every file is encrypted (the SQL run outside the dump too) and the manifest signed', () => {
  const m = JSON.parse(readFileSync(path.join(signed, 'manifest.json'), 'utf8')) as BackupManifest;
  expect(m.mac).toMatch(/^[0-9a-f]{64}$/);
  expect(m.files.every((f) => f.encrypted)).toBe(true);
  expect(readFileSync(path.join(signed, 'platform-objects.sql')).toString('latin1')).not.toMatch(
    /CREATE TRIGGER/,
  );
});

test('an edited manifest, a replaced platform-objects.sql or a removed MAC is refused before the target is touched', async () => {
  const before = await fingerprint(db);
  const edited = tampered(signed, (m) => {
    m.tables[0]!.rows += 1;
  });
  const run1 = await rollback(edited);
  expect(run1.code).toBe(1);
  expect(run1.stderr).toMatch(/manifest\.json does not match its MAC/);

  // The attacker's SQL, with its sha256 put in the manifest: the MAC still does not match.
  const replaced = tampered(signed, (m, d) => {
    const sql = 'DROP SCHEMA public CASCADE;\n';
    writeFileSync(path.join(d, 'platform-objects.sql'), sql);
    const f = m.files.find((x) => x.role === 'platform-objects')!;
    f.encrypted = false;
    f.bytes = sql.length;
    f.sha256 = createHash('sha256').update(sql).digest('hex');
  });
  const run2 = await rollback(replaced);
  expect(run2.code).toBe(1);
  expect(run2.stderr).toMatch(/manifest\.json does not match its MAC/);

  const stripped = tampered(signed, (m) => {
    delete m.mac;
  });
  const run3 = await rollback(stripped);
  expect(run3.code).toBe(1);
  expect(run3.stderr).toMatch(/has encrypted files but no MAC: it was altered/);

  const wrongKey = await rollback(signed, cleanEnv({ BACKUP_ENCRYPTION_KEY: `${KEY}-not` }));
  expect(wrongKey.code).toBe(1);
  expect(await fingerprint(db)).toBe(before);
});

test('no manifest makes a restore empty a platform schema, nor an unsigned one add platform tables (exit 2)', async () => {
  const before = await fingerprint(db);
  const auth = tampered(unsigned, (m) => {
    m.schemas.push('auth');
  });
  const run1 = await rollback(auth, cleanEnv());
  expect(run1.code).toBe(2);
  expect(run1.stderr).toMatch(/schemas names platform schemas \(auth\)/);
  const storage = tampered(unsigned, (m) => {
    m.platformTables.push('storage.objects');
  });
  const run2 = await rollback(storage, cleanEnv());
  expect(run2.code).toBe(2);
  expect(run2.stderr).toMatch(/platformTables names storage\.objects without a MAC/);
  expect(await fingerprint(db)).toBe(before);
});

test('a signed backup downgraded to an unsigned one, or SQL with a psql meta-command, is refused', async () => {
  const before = await fingerprint(db);
  // The MAC stripped and every file swapped for plaintext: with the key set, unsigned is refused.
  const downgraded = await rollback(unsigned);
  expect(downgraded.code).toBe(1);
  expect(downgraded.stderr).toMatch(/manifest\.json is not signed, but BACKUP_ENCRYPTION_KEY is set/);
  // Without a key nothing vouches for the files, but psql never runs a meta-command from them.
  const marker = path.join(dir('meta'), 'ran');
  const shelled = tampered(unsigned, (m, d) => {
    const sql = `\\! touch ${marker}\n`;
    writeFileSync(path.join(d, 'platform-objects.sql'), sql);
    const f = m.files.find((x) => x.role === 'platform-objects')!;
    f.bytes = sql.length;
    f.sha256 = createHash('sha256').update(sql).digest('hex');
  });
  const run = await rollback(shelled, cleanEnv());
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/holds a psql meta-command \(\\! touch/);
  expect(existsSync(marker)).toBe(false);
  expect(await fingerprint(db)).toBe(before);
});

test('an unsigned backup still restores, and says that nothing vouches for it', async () => {
  const run = await rollback(unsigned, cleanEnv());
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(
    /^warning: the backup is not signed \(taken without BACKUP_ENCRYPTION_KEY\): nothing vouches for its files$/m,
  );
});
