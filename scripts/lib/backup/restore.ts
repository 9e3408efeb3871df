// Restores a backup into a database in ONE transaction (psql --single-transaction
// with ON_ERROR_STOP): the app schemas are replaced (replica/replace.ts, as sync does),
// the platform tables' rows are replaced, the app's objects on platform tables and its
// tables' publication membership re-created. Any error, kill or disconnect leaves the
// database exactly as it was; a failing statement is named by its object and line.

import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { JobError } from '../base/errors.ts';
import { canActAs, type Inventory } from '../catalog/model.ts';
import { libpqEnvironment } from '../db/libpq-env.ts';
import type { PgProgram } from '../db/pg-binaries.ts';
import { ignoreClosedPipe, startProgram } from '../db/run-program.ts';
import { literal } from '../db/sql-text.ts';
import type { DatabaseTarget } from '../db/url.ts';
import { describeEntry, runnableLine } from '../replica/dump-entries.ts';
import { DumpStream, MetaCommandError } from '../replica/dump-stream.ts';
import { clearStatements, finishStatements } from '../replica/replace.ts';
import type { BackupManifest } from '../results/manifest.ts';
import { readArchive } from './archive.ts';
import { refuseMaskedDump } from './manifest.ts';

export interface RestoreOptions {
  target: DatabaseTarget;
  dir: string;
  manifest: BackupManifest;
  psql: PgProgram;
  pgRestore: PgProgram;
  secret?: string;
  env: NodeJS.ProcessEnv;
  /** The target as it is now: what the replacement removes, which roles it can act as. */
  current: Inventory;
  lockTimeout?: string;
  log?: (line: string) => void;
}

/** App schemas the target has that the backup does not: created after it, removed by the restore. */
export function schemasAfterBackup(current: Inventory, manifest: BackupManifest): string[] {
  if (!manifest.allAppSchemas) return [];
  return current.schemas.filter((s) => !s.platform && !manifest.schemas.includes(s.name)).map((s) => s.name);
}

/** Runs the whole restore in one transaction; resolves when psql has committed it. */
export async function restoreBackup(o: RestoreOptions): Promise<void> {
  refuseMaskedDump(o.manifest, o.dir);
  const file = (role: string) => o.manifest.files.find((f) => f.role === role);
  const app = file('app');
  if (!app) throw new JobError(`the backup in ${o.dir} has no app archive`, 'take a new backup');
  const archive = (f: NonNullable<ReturnType<typeof file>>) => () =>
    readArchive(path.join(o.dir, f.name), f.encrypted, o.secret);

  const psql = startProgram(
    o.psql.path,
    // BEGIN and COMMIT are written by us, COMMIT last: psql --single-transaction would COMMIT
    // whatever it had received if this process died and its input ended early.
    ['--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', '--file=-'],
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
  let line = 0;
  const streams: DumpStream[] = [];
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (input.destroyed) return reject(gone());
      line += text.split('\n').length;
      if (input.write(`${text}\n`)) resolve();
      else input.once('drain', resolve);
    });
  const children = [psql.child];
  /**
   * Appends pg_restore's SQL for one archive to the psql input, without the entries the
   * connecting role may not run (they stay as the target has them) and without re-creating
   * schemas the target keeps.
   */
  const replay = async (f: NonNullable<ReturnType<typeof file>>) => {
    const restore = startProgram(
      o.pgRestore.path,
      ['--file=-', '--no-password'],
      { PATH: o.env.PATH },
      `pg_restore (${f.name})`,
    );
    children.push(restore.child);
    const filter = new DumpStream({
      startLine: line,
      keep: (e) => e.owner === null || canActAs(o.current, e.owner),
      rewrite: (e, text) => runnableLine(e.kind, text),
    });
    streams.push(filter);
    const fed = pipeline(archive(f)(), restore.child.stdin!).catch(ignoreClosedPipe);
    // Settled here or reported below: never an unhandled rejection if the loop stops early.
    fed.catch(() => {});
    restore.done.catch(() => {});
    restore.child.stdout!.pipe(filter);
    for await (const chunk of filter) {
      if (input.destroyed) throw gone();
      if (!input.write(chunk)) await new Promise((r) => input.once('drain', r));
    }
    line = filter.lines;
    await Promise.all([fed, restore.done]);
  };

  const run = (async () => {
    await write('BEGIN;');
    await write('SET client_min_messages = warning;');
    await write(`SET lock_timeout = ${literal(o.lockTimeout ?? '60s')};`);
    await write('SET session_replication_role = origin;');
    await write(
      '-- 1. remove what the backup re-creates: the app schemas’ objects, the platform rows it holds',
    );
    const clearing = clearStatements({
      current: o.current,
      schemas: o.manifest.schemas,
      dropSchemas: schemasAfterBackup(o.current, o.manifest),
      platformTables: o.manifest.platformTables,
      wanted: o.manifest.state ?? null,
    });
    for (const stmt of clearing) await write(`${stmt};`);
    await write('-- 2. load with no trigger firing');
    await write('SET session_replication_role = replica;');
    const platformData = file('platform-data');
    if (platformData) await replay(platformData);
    await replay(app);
    const objects = file('platform-objects');
    if (objects) {
      const chunks: Buffer[] = [];
      for await (const c of archive(objects)()) chunks.push(c as Buffer);
      const sql = Buffer.concat(chunks).toString('utf8');
      const meta = sql.split('\n').find((l) => l.startsWith('\\'));
      if (meta) throw new MetaCommandError(meta);
      await write(sql);
    }
    if (o.manifest.state) {
      for (const stmt of finishStatements(o.manifest.state, o.current, o.manifest.schemas))
        await write(`${stmt};`);
    }
    await write('SET session_replication_role = origin;');
    await write('COMMIT;');
    input.end();
  })();
  run.catch(() => {}); // its failure is reported through Promise.all below
  try {
    await Promise.all([run, feeding, psql.done]);
  } catch (error) {
    // Whatever failed first, stop everything: no child may keep this process alive.
    input.destroy();
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    throw failedStatement(psql.stderr(), streams) ?? error;
  }
}

/** psql's `psql:<stdin>:LINE: ERROR: …` as the object that failed, its line, and the fix. */
function failedStatement(stderr: string, streams: DumpStream[]): JobError | null {
  const m = /psql:<stdin>:(\d+): ERROR:\s+(.*)/.exec(stderr);
  if (!m) return null;
  const at = Number(m[1]);
  const entry = streams.find((s) => at > s.startLine && at <= s.lines)?.entryAt(at);
  const what = entry ? describeEntry(entry) : 'the restore’s own statements';
  return new JobError(
    `restoring ${what} failed at line ${at} of the restore script: ${m[2]}`,
    entry
      ? `fix ${what} (owner ${entry.owner ?? 'unknown'}) on the target or in the backup's source; nothing was changed`
      : 'the target has an object the connecting role may not change; nothing was changed',
    { detail: { object: what, owner: entry?.owner ?? '', 'script line': at, error: m[2]! } },
  );
}
