// backup --mask: a masked dump of production to hand to a contractor — one plain SQL script,
// every row masked on its way to the file — proven on real clusters: no email or phone of the
// source in the file, `psql -1 -f` into an empty Supabase-shaped database gives the source's row
// counts with joins intact, the same key gives the same bytes, refusals write nothing.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readArchive } from '../../scripts/lib/backup/archive.ts';
import { libpqEnvironment } from '../../scripts/lib/db/libpq-env.ts';
import { findClientProgram } from '../../scripts/lib/db/pg-binaries.ts';
import { resolveDatabase } from '../../scripts/lib/db/url.ts';
import { backupJob } from '../../scripts/lib/jobs/backup.ts';
import { rollbackJob } from '../../scripts/lib/jobs/rollback.ts';
import { renderBackupSummary } from '../../scripts/lib/report/backup-summary.ts';
import type { BackupResult } from '../../scripts/lib/results/backup.ts';
import { backupMasked } from '../fixtures/results/backup.ts';
import { dir, record } from '../helpers/backups.ts';
import { expectGolden } from '../helpers/golden.ts';
import { configFile, demoMaskingRules, MASKING_KEY } from '../helpers/masking.ts';
import { cleanEnv, runInProcess } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';
import { fingerprint } from '../helpers/sync.ts';

let production: TestDatabase;
let empty: TestDatabase;
const KEY = MASKING_KEY;
const ENCRYPTION = 'an-encryption-key-for-tests-0123456789';

let RULES = '';
/** Every email and phone in the source's rows (lower case). */
let sourceTokens: Set<string>;

const TOKEN = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\+\d{8,15}/g;

const config = configFile;

beforeAll(async () => {
  [production, empty] = await Promise.all([
    supabaseDatabase({ scale: 1 }),
    supabaseDatabase({ migrations: false }),
  ]);
  const su = production.superuser();
  RULES = await demoMaskingRules(production);
  // A trigger that calls out (its function's body calls pg_net): the dump must not carry it live.
  await su.unsafe(`
    create function public.notify_signup() returns trigger language plpgsql as $$
    begin perform net.http_post('https://api.example.com/hooks/signup'); return new; end $$;
    alter function public.notify_signup() owner to postgres;
    create trigger notify_signup after insert on public.profiles for each row execute function public.notify_signup();`);
  sourceTokens = new Set();
  const tables = await su`
    select n.nspname as s, c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname in ('public', 'hotels', 'auth')`;
  for (const { s, t } of tables) {
    for (const { r } of await su.unsafe(`select x::text as r from only "${s}"."${t}" x`))
      for (const m of String(r).matchAll(TOKEN)) sourceTokens.add(m[0].toLowerCase());
  }
  await su.end();
});
afterAll(closeAll);

const env = (extra: Record<string, string> = {}) =>
  cleanEnv({ PRODUCTION_DATABASE_URL: production.url, MASKING_KEY: KEY, ...extra });

async function maskedDump(extra: Record<string, string> = {}, rules = RULES) {
  const d = dir('masked');
  const run = await runInProcess(
    backupJob,
    ['--db', 'production', '--mask', '--config', config(rules), '--out', d],
    env(extra),
  );
  return { d, run, r: record<BackupResult>(d, 'backup').result };
}

/** The COPY blocks of a dump, in order: what must be identical for the same key. */
const copyBlocks = (text: string) => text.match(/^COPY [^\n]*\n[\s\S]*?^\\\.$/gm) ?? [];

function restore(db: TestDatabase, file: string): void {
  const psql = findClientProgram('psql', 15, process.env);
  execFileSync(psql.path, ['--no-psqlrc', '--quiet', '-1', '-f', file], {
    env: libpqEnvironment(resolveDatabase('--db', db.url, {}), 'test restore', process.env),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

const count = async (db: TestDatabase, q: string) => {
  const sql = db.superuser();
  try {
    return Number((await sql.unsafe(q))[0]!.n);
  } finally {
    await sql.end();
  }
};

/** The first masked dump (plain): restored, compared with the later ones, refused by rollback. */
let first: { d: string; r: BackupResult | undefined };
let text: string;

describe('a masked dump of production', () => {
  test('one masked.sql, no archive; not one email or phone of the source in it', async () => {
    const { d, run, r } = await maskedDump();
    expect(run.code).toBe(0);
    first = { d, r };
    expect(
      readdirSync(d)
        .filter((f) => !/\.(json|md)$/.test(f))
        .sort(),
    ).toEqual(['masked.sql', 'masked.sql.sha256']);
    const m = r!.manifest;
    expect(m.files).toEqual([
      expect.objectContaining({ name: 'masked.sql', role: 'masked-dump', encrypted: false }),
    ]);
    expect(m.masked).toMatchObject({
      reason: '--mask',
      columns: expect.objectContaining({
        'auth.users.email': 'email',
        'auth.users.phone': 'phone',
        'auth.identities.identity_data': 'sql',
        'public.profiles.email': 'email',
      }),
    });
    expect(m.masked!.neutralized).toEqual([
      expect.objectContaining({ name: 'trigger notify_signup on public.profiles', action: 'disabled' }),
    ]);
    // The platform rows a sync copies — never sessions or refresh tokens.
    expect(m.platformTables).toEqual([
      'auth.users',
      'auth.identities',
      'supabase_migrations.schema_migrations',
    ]);
    expect(m.tables.find((t) => t.table === 'auth.users')).toMatchObject({ rows: 500 });
    text = readFileSync(path.join(d, 'masked.sql'), 'utf8');
    expect([...sourceTokens].filter((t) => t.includes('@')).length).toBeGreaterThan(100);
    expect([...sourceTokens].filter((t) => t.startsWith('+')).length).toBeGreaterThan(100);
    const inFile = new Set([...text.matchAll(TOKEN)].map((t) => t[0].toLowerCase()));
    expect([...inFile].filter((t) => sourceTokens.has(t))).toEqual([]);
    expect([...inFile].filter((t) => t.endsWith('@example.com')).length).toBeGreaterThan(100);
    // Every source email looked for as plain text too (not only where the pattern finds a token).
    const lower = text.toLowerCase();
    for (const t of [...sourceTokens].filter((t) => t.includes('@')).slice(0, 200))
      expect(lower.includes(t)).toBe(false);
    expect(readFileSync(path.join(d, 'masked.sql.sha256'), 'utf8')).toBe(
      `${m.files[0]!.sha256}  masked.sql\n`,
    );
    // Neither secret anywhere it wrote.
    for (const f of readdirSync(d)) {
      const body = readFileSync(path.join(d, f), 'utf8');
      expect(body).not.toContain(KEY);
      expect(body).not.toContain(production.password);
    }
    const summary = readFileSync(path.join(d, 'summary.md'), 'utf8');
    expect(summary).toContain('A masked dump, not a backup');
    expect(summary).toContain('`auth.users`');
  });

  test('psql -1 -f into an empty Supabase-shaped database: the source’s row counts, joins by masked email intact', async () => {
    restore(empty, path.join(first.d, 'masked.sql'));
    for (const t of first.r!.manifest.tables) {
      const q = `select count(*) as n from ${t.table
        .split('.')
        .map((p) => `"${p}"`)
        .join('.')}`;
      const [a, b] = [await count(production, q), await count(empty, q)];
      expect({ table: t.table, rows: b }).toEqual({ table: t.table, rows: a });
      expect(b).toBe(t.rows);
    }
    const join = 'select count(*) as n from public.profiles p join auth.users u on u.email = p.email';
    expect(await count(empty, join)).toBe(await count(production, join));
    expect(await count(empty, join)).toBeGreaterThan(0);
    expect(
      await count(empty, "select count(*) as n from auth.users where email not like '%@example.com'"),
    ).toBe(0);
    // Constraints, indexes, the trigger on auth.users and sequences came with it; the webhook is off.
    expect(
      await count(empty, "select count(*) as n from pg_trigger where tgname = 'on_auth_user_created'"),
    ).toBe(1);
    expect(
      await count(
        empty,
        "select count(*) as n from pg_trigger where tgname = 'notify_signup' and tgenabled = 'D'",
      ),
    ).toBe(1);
    const seq = 'select last_value as n from public.chat_messages_id_seq';
    expect(await count(empty, seq)).toBe(await count(production, seq));
  });

  test('the same key gives the same COPY data, byte for byte', async () => {
    const { run, d, r } = await maskedDump();
    expect(run.code).toBe(0);
    expect(r!.manifest.tables).toEqual(first.r!.manifest.tables);
    const again = copyBlocks(readFileSync(path.join(d, 'masked.sql'), 'utf8'));
    expect(again.length).toBe(first.r!.manifest.tables.length);
    expect(again).toEqual(copyBlocks(text));
  });

  test('encrypted when BACKUP_ENCRYPTION_KEY is set: no COPY in clear, signed, the same rows inside', async () => {
    const { run, d, r } = await maskedDump({ BACKUP_ENCRYPTION_KEY: ENCRYPTION });
    expect(run.code).toBe(0);
    const raw = readFileSync(path.join(d, 'masked.sql'));
    expect(raw.subarray(0, 8).toString()).toBe('ESGCM001');
    expect(raw.includes('COPY ')).toBe(false);
    expect(r!.manifest.files[0]!.encrypted).toBe(true);
    expect(r!.manifest.mac).toBeDefined();
    const chunks: Buffer[] = [];
    for await (const c of readArchive(path.join(d, 'masked.sql'), true, ENCRYPTION)) chunks.push(c as Buffer);
    expect(copyBlocks(Buffer.concat(chunks).toString('utf8'))).toEqual(copyBlocks(text));
  });
});

describe('refused: nothing written', () => {
  test('without MASKING_KEY: exit 2, no file', async () => {
    const { run, d } = await maskedDump({ MASKING_KEY: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('MASKING_KEY is not set');
    expect(existsSync(path.join(d, 'masked.sql'))).toBe(false);
    expect(existsSync(path.join(d, 'manifest.json'))).toBe(false);
  });

  test('a column of a personal table without a rule: exit 1, named, no file', async () => {
    const loose = RULES.replace('    public.profiles.created_at: keep\n', '');
    expect(loose).not.toBe(RULES);
    const { run, d } = await maskedDump({}, loose);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('public.profiles.created_at');
    expect(existsSync(path.join(d, 'masked.sql'))).toBe(false);
    expect(existsSync(path.join(d, 'manifest.json'))).toBe(false);
  });

  test('a table whose rows fail half way through the dump: exit 1, the partial file removed', async () => {
    // Evaluated per row (tryRules' `limit 0` plans it without error): the COPY fails mid-file.
    const failing = RULES.replace(
      '    public.staff_users.full_name: name\n',
      '    public.staff_users.full_name: "sql:(1 / (length(full_name) * 0))::text"\n',
    );
    expect(failing).not.toBe(RULES);
    const { run, d } = await maskedDump({}, failing);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('division by zero');
    expect(readdirSync(d).filter((f) => !/^(backup\.json|summary\.md)$/.test(f))).toEqual([]);
  });

  test('--verify-restore with --mask, and a directory holding a backup: exit 2', async () => {
    const verify = await runInProcess(
      backupJob,
      ['--db', 'production', '--mask', '--verify-restore', empty.url, '--out', dir('masked-verify')],
      env(),
    );
    expect(verify.code).toBe(2);
    expect(verify.stderr).toContain('--verify-restore proves a backup');
    const d = dir('masked-over-backup');
    writeFileSync(path.join(d, 'manifest.json'), '{"format":"envsync-backup/1"}\n');
    const run = await runInProcess(
      backupJob,
      ['--db', 'production', '--mask', '--config', config(RULES), '--out', d],
      env(),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('holds a backup');
    expect(readFileSync(path.join(d, 'manifest.json'), 'utf8')).toBe('{"format":"envsync-backup/1"}\n');
  });

  test('rollback --from a masked dump: exit 2, one line, the target untouched', async () => {
    const before = await fingerprint(empty);
    const users = await count(empty, 'select count(*) as n from auth.users');
    const run = await runInProcess(
      rollbackJob,
      ['--target', empty.url, '--from', first.d, '--out', dir('masked-rollback')],
      cleanEnv(),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('holds a masked dump (masked.sql), not a backup');
    expect(run.stderr.trim().split('\n')[0]).toMatch(/^.*masked dump/);
    expect(await fingerprint(empty)).toBe(before);
    expect(await count(empty, 'select count(*) as n from auth.users')).toBe(users);
  });
});

test('the masked dump’s summary (golden): not a backup, what was masked, how to restore it', () => {
  const md = renderBackupSummary(backupMasked());
  expectGolden('backup-summary.masked.md', md);
  expect(md).toContain('**A masked dump, not a backup:**');
  // GitHub would turn user@host outside a code span into a mail link.
  expect(md.replace(/(`+)[^`]*?\1/g, '')).not.toMatch(/\w@[\w.-]+/);
});
