// backup → rollback, proven with checksums on real clusters: restores are exact and
// atomic, damaged files are refused before anything is touched, guards hold.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { signManifest } from '../../scripts/lib/backup/manifest.ts';
import { backupJob } from '../../scripts/lib/jobs/backup.ts';
import { rollbackJob } from '../../scripts/lib/jobs/rollback.ts';
import type { BackupResult } from '../../scripts/lib/results/backup.ts';
import type { BackupManifest } from '../../scripts/lib/results/manifest.ts';
import type { RollbackResult } from '../../scripts/lib/results/rollback.ts';
import { dir, record, sameAs, snapshotOf } from '../helpers/backups.ts';
import { cleanEnv, runInProcess, type ScriptRun } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';
import { fingerprint, isUp, strikeWhenRunning, terminateSessions } from '../helpers/sync.ts';

const ownCluster = process.env.TEST_DATABASE_URL ? test.skip : test;
let source: TestDatabase;
let backupDir: string;
let backupRun: ScriptRun;

beforeAll(async () => {
  source = await supabaseDatabase({ scale: 1 });
  backupDir = dir('backup');
  backupRun = await runInProcess(
    backupJob,
    ['--db', 'dev', '--out', backupDir],
    cleanEnv({ DEV_DATABASE_URL: source.url }),
  );
});
afterAll(closeAll);

describe('backup', () => {
  test('writes verified archives, sha256 files and a manifest of every table from one snapshot', () => {
    expect(backupRun.stderr).toBe('');
    expect(backupRun.code).toBe(0);
    const m = record<BackupResult>(backupDir, 'backup').result!.manifest;
    expect(m.schemas.sort()).toEqual(['hotels', 'public']);
    // The fixed platform rows, and what deleting them cascades into on a restore (so it comes back).
    expect(m.platformTables).toEqual([
      'auth.users',
      'auth.identities',
      'supabase_migrations.schema_migrations',
      'auth.mfa_amr_claims',
      'auth.mfa_factors',
      'auth.one_time_tokens',
      'auth.refresh_tokens',
      'auth.sessions',
    ]);
    expect(m.files.map((f) => f.name)).toEqual(['app.dump', 'platform-data.dump', 'platform-objects.sql']);
    expect(m.tables.find((t) => t.table === 'public.chat_messages')).toMatchObject({ rows: 40_000 });
    expect(m.tables.find((t) => t.table === 'auth.users')).toMatchObject({ rows: 500 });
    expect(m.sequences.map((s) => s.sequence)).toContain('public.chat_messages_id_seq');
    expect(m.verification.archivesRead).toBe(true);
    for (const f of m.files)
      expect(readFileSync(path.join(backupDir, `${f.name}.sha256`), 'utf8')).toBe(`${f.sha256}  ${f.name}\n`);
    expect(readFileSync(path.join(backupDir, 'app.dump')).subarray(0, 5).toString()).toBe('PGDMP');
    expect(readFileSync(path.join(backupDir, 'platform-objects.sql'), 'utf8')).toContain(
      'CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();',
    );
  });

  test('bad input aimed at an existing backup directory leaves that backup intact', async () => {
    const d = dir('again');
    expect((await runInProcess(backupJob, ['--db', source.url, '--out', d])).code).toBe(0);
    const before = readFileSync(path.join(d, 'manifest.json'), 'utf8');
    const run = await runInProcess(backupJob, ['--db', source.url, '--schemas', 'nope', '--out', d]);
    expect(run.code).toBe(2);
    expect(readFileSync(path.join(d, 'manifest.json'), 'utf8')).toBe(before);
    const check = await runInProcess(rollbackJob, ['--target', source.url, '--from', d, '--out', dir('rb')]);
    expect(check.code).toBe(0);
  });

  test('refuses platform schemas and unknown schemas as bad input', async () => {
    const platform = await runInProcess(backupJob, [
      '--db',
      source.url,
      '--schemas',
      'public,auth',
      '--out',
      dir('b'),
    ]);
    expect(platform.code).toBe(2);
    expect(platform.stderr).toMatch(/^error: --schemas: auth belongs to the Supabase platform/m);
    const unknown = await runInProcess(backupJob, [
      '--db',
      source.url,
      '--schemas',
      'nope',
      '--out',
      dir('b'),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: --schemas: no schema nope in /m);
  });
});

describe('rollback', () => {
  test('into an empty Supabase-shaped database: every checksum and sequence equals the manifest', async () => {
    const empty = await supabaseDatabase({ migrations: false });
    const out = dir('rb');
    const run = await runInProcess(rollbackJob, [
      '--target',
      empty.url,
      '--from',
      backupDir,
      '--force-foreign-backup',
      '--out',
      out,
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const r = record<RollbackResult>(out, 'rollback').result!;
    expect(r).toMatchObject({ foreign: true, comparison: { identical: true } });
    // The app works: the trigger on auth.users is back and creates profiles.
    const sql = empty.app();
    try {
      await sql`insert into auth.users (id, email) values ('00000000-0000-4000-8000-00000000abcd', 'new@example.test')`;
      const [p] =
        await sql`select email from public.profiles where id = '00000000-0000-4000-8000-00000000abcd'`;
      expect(p).toEqual({ email: 'new@example.test' });
    } finally {
      await sql.end();
    }
  });

  test('after rows were edited, a table dropped and a table added: identical again, and the audit table gained nothing', async () => {
    const db = await supabaseDatabase({ scale: 1 });
    const before = await snapshotOf(db);
    const sql = db.app();
    const [seeded] = await sql`select count(*)::int as n from public.audit_log`;
    await sql.unsafe(`
      update public.guest_reservations set guest_name = 'edited' where id in (select id from public.guest_reservations limit 25);
      drop table public.compliance_submissions;
      create table public.added_later (id int primary key); insert into public.added_later values (1);
      delete from auth.users where id in (select id from auth.users order by id desc limit 3);
      select nextval('public.chat_messages_id_seq');
    `);
    const [audit] = await sql`select count(*)::int as n from public.audit_log`;
    await sql.end();
    expect((await sameAs(db, before)).identical).toBe(false);
    const run = await runInProcess(rollbackJob, ['--target', db.url, '--from', before, '--out', dir('rb')]);
    expect(run.code).toBe(0);
    expect(await sameAs(db, before)).toEqual({ identical: true, tables: [] });
    const check = db.app();
    const [after] =
      await check`select count(*)::int as n, to_regclass('public.added_later') as extra from public.audit_log`;
    await check.end();
    // The edits' triggers wrote audit rows; the restore loads the snapshot's rows with no trigger
    // firing: exactly the count the manifest recorded, which is the count before the edits.
    const manifest = JSON.parse(readFileSync(path.join(before, 'manifest.json'), 'utf8')) as BackupManifest;
    const inSnapshot = manifest.tables.find((t) => t.table === 'public.audit_log')!.rows;
    expect(inSnapshot).toBe(seeded!.n);
    expect(audit!.n).toBe(seeded!.n + 25);
    expect(after!.n).toBe(inSnapshot);
    expect(after!.extra).toBeNull();
  });

  test('an extension a superuser installed in public survives (public is emptied, never dropped; the app role cannot drop it)', async () => {
    const db = await supabaseDatabase({ scale: 1 });
    const snap = await snapshotOf(db);
    const su = db.superuser();
    await su`create extension citext schema public`;
    await su.end();
    const run = await runInProcess(rollbackJob, ['--target', db.url, '--from', snap, '--out', dir('rb')]);
    expect(run.code).toBe(0);
    const check = db.app();
    const [r] =
      await check`select extname, extnamespace::regnamespace::text as schema from pg_extension where extname = 'citext'`;
    const [typed] = await check`select 'Hello'::public.citext = 'hello'::public.citext as eq`;
    await check.end();
    expect(r).toEqual({ extname: 'citext', schema: 'public' });
    expect(typed!.eq).toBe(true);
  });

  test('a flipped byte in the dump is refused before the target is touched (exit 1)', async () => {
    const db = await supabaseDatabase({ scale: 1 });
    const snap = await snapshotOf(db);
    const bad = dir('bad');
    for (const f of readdirSync(snap)) writeFileSync(path.join(bad, f), readFileSync(path.join(snap, f)));
    const dump = readFileSync(path.join(bad, 'app.dump'));
    const mid = Math.floor(dump.length / 2);
    dump[mid] = dump[mid]! ^ 0xff;
    writeFileSync(path.join(bad, 'app.dump'), dump);
    const sql = db.app();
    await sql`update public.tenant_registry set slug = slug || '-changed'`;
    await sql.end();
    const changed = await snapshotOf(db);
    const run = await runInProcess(rollbackJob, ['--target', db.url, '--from', bad, '--out', dir('rb')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: .*app\.dump does not match its sha256 in manifest\.json/m);
    expect((await sameAs(db, changed)).identical).toBe(true);
  });

  test('encrypted: no plaintext on disk, restores with the key, refuses a flipped byte or a wrong key', async () => {
    const key = 'k'.repeat(20) + Math.random().toString(36).slice(2);
    const enc = dir('enc');
    const env = cleanEnv({ DEV_DATABASE_URL: source.url, BACKUP_ENCRYPTION_KEY: key });
    const b = await runInProcess(backupJob, ['--db', 'dev', '--out', enc], env);
    expect(b.code).toBe(0);
    expect(readFileSync(path.join(enc, 'app.dump')).subarray(0, 8).toString()).toBe('ESGCM001');
    expect(readFileSync(path.join(enc, 'app.dump')).includes(Buffer.from('chat_messages'))).toBe(false);

    const target = await supabaseDatabase({ migrations: false });
    const noKey = await runInProcess(rollbackJob, [
      '--target',
      target.url,
      '--from',
      enc,
      '--force-foreign-backup',
      '--out',
      dir('rb'),
    ]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/^error: the backup is encrypted and BACKUP_ENCRYPTION_KEY is not set$/m);

    const wrong = await runInProcess(
      rollbackJob,
      ['--target', target.url, '--from', enc, '--force-foreign-backup', '--out', dir('rb')],
      cleanEnv({ BACKUP_ENCRYPTION_KEY: `${key}x` }),
    );
    expect(wrong.code).toBe(1);
    // The manifest's MAC, keyed from the same secret, catches a wrong key first.
    expect(wrong.stderr).toMatch(
      /does not match its MAC: it was altered, or BACKUP_ENCRYPTION_KEY is not the key/,
    );

    const flipped = dir('encbad');
    for (const f of readdirSync(enc)) writeFileSync(path.join(flipped, f), readFileSync(path.join(enc, f)));
    const bytes = readFileSync(path.join(flipped, 'app.dump'));
    bytes[bytes.length - 40] = bytes[bytes.length - 40]! ^ 0x01;
    writeFileSync(path.join(flipped, 'app.dump'), bytes);
    // Keep the sha256 consistent and the manifest signed, so only the GCM tag can catch it.
    const { createHash } = await import('node:crypto');
    const m = JSON.parse(readFileSync(path.join(flipped, 'manifest.json'), 'utf8')) as BackupManifest;
    m.files.find((f) => f.name === 'app.dump')!.sha256 = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(path.join(flipped, 'manifest.json'), JSON.stringify(signManifest(m, key)));
    const tampered = await runInProcess(
      rollbackJob,
      ['--target', target.url, '--from', flipped, '--force-foreign-backup', '--out', dir('rb')],
      cleanEnv({ BACKUP_ENCRYPTION_KEY: key }),
    );
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toMatch(/failed authentication: altered, truncated, or the key is wrong/);

    const ok = await runInProcess(
      rollbackJob,
      ['--target', target.url, '--from', enc, '--force-foreign-backup', '--out', dir('rb')],
      cleanEnv({ BACKUP_ENCRYPTION_KEY: key }),
    );
    expect(ok.code).toBe(0);
    expect(await sameAs(target, enc)).toEqual({ identical: true, tables: [] });
    for (const text of [
      b.stdout,
      b.stderr,
      ok.stdout,
      ok.stderr,
      readFileSync(path.join(enc, 'manifest.json'), 'utf8'),
    ])
      expect(text).not.toContain(key);
  });

  test('a backup of another database is refused without --force-foreign-backup (exit 2)', async () => {
    const other = await supabaseDatabase({ migrations: false });
    const run = await runInProcess(rollbackJob, [
      '--target',
      other.url,
      '--from',
      backupDir,
      '--out',
      dir('rb'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^error: the backup in .* was taken from postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+, not from /m,
    );
  });

  test('production is refused without --allow-production (exit 2)', async () => {
    const env = cleanEnv({ PRODUCTION_DATABASE_URL: source.url });
    const byName = await runInProcess(
      rollbackJob,
      ['--target', 'production', '--from', backupDir, '--out', dir('rb')],
      env,
    );
    expect(byName.code).toBe(2);
    expect(byName.stderr).toMatch(
      /^error: --target postgres:\/\/.* is production \(it is named production\): rollback writes to it$/m,
    );
    const byUrl = await runInProcess(
      rollbackJob,
      ['--target', source.url, '--from', backupDir, '--out', dir('rb')],
      env,
    );
    expect(byUrl.code).toBe(2);
    const allowed = await runInProcess(
      rollbackJob,
      ['--target', 'production', '--from', backupDir, '--allow-production', '--out', dir('rb')],
      env,
    );
    expect(allowed.code).toBe(0);
  });

  test('missing --target and --from are reported together, as bad input', async () => {
    const run = await runInProcess(rollbackJob, ['--out', dir('rb')]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      'error: --target is required; --from is required',
      'hint: pass --target staging or a URL; pass the backup directory, e.g. --from artifacts/backup',
    ]);
  });

  test('a corrupt or missing manifest is bad input', async () => {
    const d = dir('corrupt');
    writeFileSync(path.join(d, 'manifest.json'), '{"format": "envsync-backup/1", "files": "nope"}');
    const run = await runInProcess(rollbackJob, ['--target', source.url, '--from', d, '--out', dir('rb')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^error: .*manifest\.json is not a valid envsync backup manifest: files\[\] is missing or malformed/m,
    );
    const none = await runInProcess(rollbackJob, [
      '--target',
      source.url,
      '--from',
      dir('none'),
      '--out',
      dir('rb'),
    ]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/manifest\.json does not exist/);
  });

  test('no password in logs, summaries, manifest or artifacts (backup and rollback)', async () => {
    const target = await supabaseDatabase({ migrations: false });
    const out = dir('rb');
    const rollback = await runInProcess(
      rollbackJob,
      ['--target', 'staging', '--from', backupDir, '--force-foreign-backup', '--out', out, '--verbose'],
      cleanEnv({ STAGING_DATABASE_URL: target.url }),
    );
    expect(rollback.code).toBe(0);
    for (const t of [
      rollback.stdout,
      rollback.stderr,
      ...readdirSync(out).map((f) => readFileSync(path.join(out, f), 'utf8')),
    ]) {
      expect(t).not.toContain(target.password);
    }
    const texts = [
      backupRun.stdout,
      backupRun.stderr,
      ...readdirSync(backupDir)
        .filter((f) => /\.(json|md|sql|sha256)$/.test(f))
        .map((f) => readFileSync(path.join(backupDir, f), 'utf8')),
    ];
    for (const t of texts) expect(t).not.toContain(source.password);
  });
});

describe('atomicity: a restore interrupted half-way leaves the target exactly as before', () => {
  /** The restore's COPY into its biggest table: the app schemas already cleared, the load half done. */
  const loading = '%chat_messages%from stdin%';

  /** Starts a rollback onto a changed target, strikes while it loads chat_messages, proves nothing changed. */
  async function interrupted(strike: (db: TestDatabase) => Promise<void>) {
    const db = await supabaseDatabase({ scale: 3 });
    const big = await snapshotOf(db);
    // Make the target differ from the backup, and remember exactly how.
    const sql = db.app();
    await sql.unsafe(
      `delete from public.chat_messages where id % 2 = 0; drop table public.job_logs; create table public.extra (x int);`,
    );
    await sql.end();
    // A crash replays sequences' pre-logged values (nextval() logs 32 ahead): a checkpoint
    // first, so a killed server's sequences are the ones we compare with.
    const su = db.superuser();
    await su`checkpoint`;
    await su.end();
    const before = await snapshotOf(db);
    const schema = await fingerprint(db);
    const running = runInProcess(rollbackJob, ['--target', db.url, '--from', big, '--out', dir('rb')]);
    const seen = await strikeWhenRunning(db, 'envsync restore', loading, () => strike(db));
    expect(seen).toBe(true);
    const run = await running;
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: /m);
    expect(run.stderr).not.toMatch(/^(ok|done): /m);
    if (!(await isUp(db))) await db.cluster!.start();
    expect(await sameAs(db, before)).toEqual({ identical: true, tables: [] });
    expect(await fingerprint(db)).toBe(schema);
  }

  ownCluster('the restore connection is terminated', async () => {
    let ended = 0;
    await interrupted(async (db) => {
      ended = await terminateSessions(db, 'envsync restore', loading);
    });
    expect(ended).toBe(1);
  });

  ownCluster('the server is killed (SIGKILL) and restarted', async () => {
    let down = false;
    await interrupted(async (db) => {
      await db.cluster!.stop('kill');
      down = !(await isUp(db));
    });
    expect(down).toBe(true);
  });
});
