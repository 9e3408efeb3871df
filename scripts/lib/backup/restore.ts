// Restores a backup into a database in ONE transaction (psql --single-transaction
// with ON_ERROR_STOP): the app schemas are replaced, the platform tables' rows are
// replaced, the app's objects on platform tables re-created. Any error, kill or
// disconnect leaves the database exactly as it was.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { JobError } from '../cli/errors.ts';
import { libpqEnvironment } from '../db/libpq-env.ts';
import type { PgProgram } from '../db/pg-binaries.ts';
import { ignoreClosedPipe, startProgram } from '../db/run-program.ts';
import { ident, literal } from '../db/sql-text.ts';
import type { DatabaseTarget } from '../db/url.ts';
import { readArchive } from './archive.ts';
import type { BackupManifest } from './manifest.ts';

/** The archive's table of contents (`pg_restore --list`). */
async function tableOfContents(pgRestore: PgProgram, archive: () => Readable): Promise<string> {
  const program = startProgram(pgRestore.path, ['--list'], { PATH: process.env.PATH }, 'pg_restore --list');
  let toc = '';
  program.child.stdout!.on('data', (d) => {
    toc += d;
  });
  await Promise.all([pipeline(archive(), program.child.stdin!).catch(ignoreClosedPipe), program.done]);
  return toc;
}

/**
 * The same table of contents without the CREATE SCHEMA of schemas the target already has:
 * those are emptied, never dropped — DROP SCHEMA … CASCADE would also drop any extension
 * installed in them, which the app dump does not re-create.
 */
function withoutSchemaEntries(toc: string, existing: Set<string>): string {
  return toc
    .split('\n')
    .filter((line) => {
      const m = /^\d+; \d+ \d+ SCHEMA - (.+?) \S+$/.exec(line);
      return !(m && existing.has(m[1]!));
    })
    .join('\n');
}

/** SQL that empties a schema the archive does not re-create (e.g. public), inside the transaction. */
export function emptySchemaSql(schema: string): string {
  return `DO $envsync$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT format('DROP %s IF EXISTS %I.%I CASCADE',
                  CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                                 WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, n.nspname, c.relname) AS stmt
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${literal(schema)} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND NOT c.relispartition
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('e', 'i', 'a'))
    UNION ALL
    SELECT format('DROP ROUTINE IF EXISTS %I.%I(%s) CASCADE', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = ${literal(schema)}
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('DROP %s IF EXISTS %I.%I CASCADE', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, n.nspname, t.typname)
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = ${literal(schema)} AND t.typtype IN ('e', 'd', 'c', 'r') AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
  LOOP
    EXECUTE r.stmt;
  END LOOP;
END
$envsync$;`;
}

/**
 * Removes the database's own default privileges in the replaced schemas before objects
 * are re-created: otherwise every new table picks them up (on Supabase: all privileges
 * to anon and authenticated) and the dump's GRANTs, relative to the built-in defaults,
 * never take them back. The dump re-creates the source's default privileges after its
 * objects.
 */
export function clearSchemaDefaultPrivileges(schemas: string[]): string {
  return `DO $envsync$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ALL ON %s FROM %s',
                  pg_get_userbyid(d.defaclrole), n.nspname,
                  CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS'
                                       WHEN 'T' THEN 'TYPES' ELSE 'SCHEMAS' END,
                  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END) AS stmt
    FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a
    WHERE n.nspname = ANY (ARRAY[${schemas.map(literal).join(', ') || "''"}]::text[])
      AND pg_has_role(d.defaclrole, 'USAGE')
  LOOP
    EXECUTE r.stmt;
  END LOOP;
END
$envsync$;`;
}

export interface RestoreOptions {
  target: DatabaseTarget;
  dir: string;
  manifest: BackupManifest;
  psql: PgProgram;
  pgRestore: PgProgram;
  secret?: string;
  env: NodeJS.ProcessEnv;
  /** Schemas the target has now: emptied in place rather than dropped. */
  existingSchemas: string[];
  /** Platform tables in load order (parents first); their rows are deleted children first. */
  platformLoadOrder: string[];
  lockTimeout?: string;
  log?: (line: string) => void;
}

/** Runs the whole restore in one transaction; resolves when psql has committed it. */
export async function restoreBackup(o: RestoreOptions): Promise<void> {
  const file = (role: string) => o.manifest.files.find((f) => f.role === role);
  const app = file('app');
  if (!app) throw new JobError(`the backup in ${o.dir} has no app archive`, 'take a new backup');
  const archive = (f: NonNullable<ReturnType<typeof file>>) => () =>
    readArchive(path.join(o.dir, f.name), f.encrypted, o.secret);
  const toc = await tableOfContents(o.pgRestore, archive(app));
  const listFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'envsync-restore-')), 'app.list');
  writeFileSync(listFile, withoutSchemaEntries(toc, new Set(o.existingSchemas)));

  const psql = startProgram(
    o.psql.path,
    ['--no-psqlrc', '--quiet', '--single-transaction', '--set=ON_ERROR_STOP=1', '--file=-'],
    libpqEnvironment(o.target, 'envsync restore', o.env),
    'restore (psql)',
  );
  psql.child.stdout!.resume();
  const input = new PassThrough();
  const feeding = pipeline(input, psql.child.stdin!).catch(ignoreClosedPipe);
  const gone = () =>
    new JobError(
      'the restore was interrupted: psql stopped reading',
      'see the error above; nothing was changed',
    );
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (input.destroyed) return reject(gone());
      if (input.write(`${text}\n`)) resolve();
      else input.once('drain', resolve);
    });
  const children = [psql.child];
  /** Appends pg_restore's SQL for one archive to the psql input. */
  const replay = async (f: NonNullable<ReturnType<typeof file>>, extraArgs: string[] = []) => {
    const restore = startProgram(
      o.pgRestore.path,
      ['--file=-', '--no-password', ...extraArgs],
      { PATH: o.env.PATH },
      `pg_restore (${f.name})`,
    );
    children.push(restore.child);
    const fed = pipeline(archive(f)(), restore.child.stdin!).catch(ignoreClosedPipe);
    // Settled here or reported below: never an unhandled rejection if the loop stops early.
    fed.catch(() => {});
    restore.done.catch(() => {});
    for await (const chunk of restore.child.stdout!) {
      if (input.destroyed) throw gone();
      if (!input.write(chunk)) await new Promise((r) => input.once('drain', r));
    }
    await Promise.all([fed, restore.done]);
  };

  const run = (async () => {
    await write('SET client_min_messages = warning;');
    await write(`SET lock_timeout = ${literal(o.lockTimeout ?? '60s')};`);
    await write('SET session_replication_role = origin;');
    await write('-- 1. remove the app schemas (the archive re-creates them)');
    for (const s of o.manifest.schemas) {
      if (o.existingSchemas.includes(s)) await write(emptySchemaSql(s));
    }
    await write(clearSchemaDefaultPrivileges(o.manifest.schemas));
    await write('-- 2. remove the platform rows the backup holds (FK cascades apply)');
    const held = new Set(o.manifest.platformTables);
    for (const t of [...o.platformLoadOrder].reverse().filter((t) => held.has(t))) {
      const [s, n] = t.split(/\.(.+)/) as [string, string];
      await write(`DELETE FROM ${ident(s)}.${ident(n)};`);
    }
    await write('-- 3. load with no trigger firing');
    await write('SET session_replication_role = replica;');
    const platformData = file('platform-data');
    if (platformData) await replay(platformData);
    await replay(app, [`--use-list=${listFile}`]);
    const objects = file('platform-objects');
    if (objects) await write(readFileSync(path.join(o.dir, objects.name), 'utf8'));
    await write('SET session_replication_role = origin;');
    input.end();
  })();
  run.catch(() => {}); // its failure is reported through Promise.all below
  try {
    await Promise.all([run, feeding, psql.done]);
  } catch (error) {
    // Whatever failed first, stop everything: no child may keep this process alive.
    input.destroy();
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    throw error;
  }
}
