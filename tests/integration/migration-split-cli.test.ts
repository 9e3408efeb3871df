// The proof that splitStatements stores what the Supabase CLI stores: a corpus of tricky but
// valid migration files pushed by the real CLI (the pinned devDependency), then its history
// table read back and compared, file by file, with splitStatements of the same text.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../scripts/lib/cli/env-file.ts';
import { splitStatements } from '../../scripts/lib/migrations/split.ts';
import { cleanEnv } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase } from '../helpers/supabase-db.ts';

afterAll(closeAll);

const supabase = path.join(repoRoot, 'node_modules', '.bin', 'supabase');

/** Migration files by name; each is valid SQL for PostgreSQL 15, applied in version order. */
const corpus: Record<string, string> = {
  '20240101000001_quotes.sql': `-- Leading comment; with a semicolon
create table public."semi;colon" (
  "weird;col" text default 'a;b',
  "it""s" text default 'it''s; fine'
);
insert into public."semi;colon" ("weird;col") values (E'tab\\there; semi'), (E'back\\\\slash;'), ('plain');
select E'\\'' as quote /* ' */;
comment on table public."semi;colon" is 'has ; and '' inside';
insert into public."semi;colon" ("weird;col") values ('😀; ok'), ('café');
`,
  '20240101000002_dollar_quotes.sql': `create function public.semi_count(t text) returns int
language plpgsql as $$
begin
  -- a ; in a comment inside the body
  return length(t) - length(replace(t, ';', ''));
end;
$$;

create function public.tagged() returns text language sql
as $body$ select 'x;y' || $inner$;$inner$ $body$;

create function public.add(a int, b int) returns int language sql as 'select $1 + $2';

do $do$ begin perform public.semi_count('a;b;c'); end $do$;
`,
  '20240101000003_begin_atomic.sql': `create table public.counters (id int primary key, n int not null default 0);

create function public.bump(i int) returns int
language sql
begin atomic
  insert into public.counters (id) values (i) on conflict (id) do update set n = public.counters.n + 1;
  select n from public.counters where id = i;
end;

CREATE PROCEDURE public.reset_counters()
LANGUAGE SQL
BEGIN
  ATOMIC
  DELETE FROM public.counters;
  -- END; in a comment does not close the body
END;
`,
  '20240101000004_comments.sql': `/* header /* nested ; */ still the header; */
create table public.notes (
  id int, -- trailing; comment
  body text /* inline ; */
);
-- between statements; with a semicolon

create index notes_body on public.notes (body);
-- a comment at the end of the file; after the last statement
`,
  '20240101000005_crlf.sql':
    'create table public.crlf (\r\n  id int\r\n);\r\n\r\ninsert into public.crlf values (1);   \t\r\n' +
    'insert into public.crlf values (2)',
  '20240101000006_empty.sql': '',
  '20240101000007_only_semicolons.sql': ';;\n ;\n',
  '20240101000008_Mixed Case-name.v2.sql': 'create table public."Mixed Case" (id int);;;\n',
  '20240101000009_.sql': 'select 1',
  '20240101000010_café_ünïcode.sql': "\ufeff-- starts with a byte order mark\nselect 'ü';\n",
  '20240101000011_transaction_control.sql': 'begin;\ncreate table public.tx (id int);\ncommit;\n',
  '20240101000012_no_transaction.sql':
    '-- pg-delta: transaction=false\ncreate index concurrently notes_id on public.notes (id);\n',
  '20240101000013_rule.sql': `create table public.audit (id int);
create rule audit_notes as on insert to public.notes do also (
  insert into public.audit select new.id;
  notify notes
);
`,
  '99_short_version.sql': 'select 99;',
};

/** Files the CLI skips: the first file when it is an old `<timestamp>_init.sql`, names off the pattern. */
const skipped: Record<string, string> = {
  '20200101000000_init.sql': 'create table public.skipped_init (id int);',
  'README.md': '# not a migration',
  'notes.sql': 'create table public.skipped_notes (id int);',
  '20240101000099_upper.SQL': 'create table public.skipped_upper (id int);',
};

function runCli(cwd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const env = cleanEnv({ DO_NOT_TRACK: '1', SUPABASE_TELEMETRY_DISABLED: '1', HOME: cwd });
    execFile(supabase, args, { cwd, env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

test('supabase db push stores splitStatements of each file, its version and its name', async () => {
  const db = await supabaseDatabase({ migrations: false });
  const work = mkdtempSync(path.join(os.tmpdir(), 'envsync-split-cli-'));
  try {
    const dir = path.join(work, 'supabase', 'migrations');
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries({ ...corpus, ...skipped }))
      writeFileSync(path.join(dir, file), text);

    const push = await runCli(work, ['db', 'push', '--db-url', `${db.url}?sslmode=disable`, '--yes']);
    expect(push).toMatchObject({ code: 0 });
    expect(push.output).toContain(
      'Skipping migration 20200101000000_init.sql... (replace "init" with a different file name to apply this migration)',
    );
    for (const file of ['README.md', 'notes.sql', '20240101000099_upper.SQL'])
      expect(push.output).toContain(
        `Skipping migration ${file}... (file name must match pattern "<timestamp>_name.sql")`,
      );

    const app = db.app();
    try {
      const rows = await app`select version, name, statements
                             from supabase_migrations.schema_migrations order by version`;
      const expected = Object.keys(corpus).map((file) => {
        const [, version, name] = /^([0-9]+)_(.*)\.sql$/u.exec(file)!;
        // Read back as the CLI read it, so the byte order mark is in the text too.
        return { version, name, statements: splitStatements(readFileSync(path.join(dir, file), 'utf8')) };
      });
      expect(rows.map((r) => ({ ...r }))).toEqual(
        expected.sort((a, b) => (a.version! < b.version! ? -1 : a.version! > b.version! ? 1 : 0)),
      );
      // The corpus did run: the bodies and rules it created work.
      const [check] = await app`select public.semi_count('a;b') as semis, public.tagged() as tagged,
                                       public.bump(7) as bumped, (select count(*)::int from public.crlf) as crlf`;
      expect(check).toEqual({ semis: 1, tagged: 'x;y;', bumped: 0, crlf: 2 });
    } finally {
      await app.end();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
