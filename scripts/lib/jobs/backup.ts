// backup: a verified pg_dump -Fc of what a sync could change — the app schemas (DDL
// + data), the rows of the platform tables the sync writes, and the app's objects on
// platform tables — taken from ONE snapshot, with every table's count and checksum
// and every sequence's state from that same snapshot in manifest.json.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readArchive, writeArchive } from '../backup/archive.ts';
import { signManifest } from '../backup/manifest.ts';
import { restoreBackup } from '../backup/restore.ts';
import { compareWithManifest } from '../backup/verify.ts';
import { InputError, JobError, readFlags } from '../base/errors.ts';
import { readInventory } from '../catalog/inventory.ts';
import type { Inventory } from '../catalog/model.ts';
import { cascadeReach, isPlatformSchema } from '../catalog/platform.ts';
import { type ReplicaScope, replicaScope } from '../catalog/scope.ts';
import { readSnapshot, type Snapshot } from '../catalog/snapshot.ts';
import {
  connectTimeoutFlag,
  parseConnectTimeout,
  parseList,
  platformTablesFlag,
  requireDatabase,
} from '../cli/database-flags.ts';
import { checksumTables, sequenceStates, type TableRef, withSnapshotWorkers } from '../db/checksum.ts';
import { connect, type Sql } from '../db/connect.ts';
import { guardProduction, refuseKnownProduction } from '../db/guards.ts';
import { databaseIdentity, sameDatabase } from '../db/identity.ts';
import { libpqEnvironment } from '../db/libpq-env.ts';
import { findClientProgram, type PgProgram } from '../db/pg-binaries.ts';
import { ignoreClosedPipe, startProgram } from '../db/run-program.ts';
import { ident } from '../db/sql-text.ts';
import { type DatabaseTarget, resolveDatabase } from '../db/url.ts';
import { outsideObjectStatements } from '../replica/outside-objects.ts';
import { replicaState } from '../replica/replace.ts';
import { renderBackupSummary } from '../report/backup-summary.ts';
import type { BackupResult } from '../results/backup.ts';
import type { BackupFile, BackupManifest, SequenceState, TableChecksum } from '../results/manifest.ts';
import { MANIFEST_FORMAT } from '../results/manifest.ts';
import type { DatabaseIdentity } from '../results/plan.ts';
import type { ManifestComparison } from '../results/rollback.ts';
import type { Job, JobContext } from './runner.ts';

export interface BackupOptions {
  db: DatabaseTarget;
  out: string;
  /** App schemas to dump; all non-platform schemas when absent. */
  schemas?: string[];
  /** Platform tables whose rows are kept (default: those of PLATFORM_DATA_TABLES that exist). */
  platformTables?: string[];
  encryptionKey?: string;
  connectTimeout: number;
  env: NodeJS.ProcessEnv;
  /** Parallel checksum connections (sharing the snapshot). */
  workers?: number;
  /** A scratch database to restore into and prove the checksums on (it is replaced). */
  verifyRestore?: DatabaseTarget;
}

/** Takes a backup into `options.out`; the core other jobs (prepare's target snapshot) call too. */
export async function runBackup(ctx: JobContext, o: BackupOptions): Promise<BackupResult> {
  const started = ctx.now().getTime();
  const leader = await connect(o.db, { applicationName: 'envsync backup', connectTimeout: o.connectTimeout });
  let writing = false;
  try {
    const server = await serverOf(leader);
    const pgDump = findClientProgram('pg_dump', server.major, o.env);
    const pgRestore = findClientProgram('pg_restore', server.major, o.env);
    mkdirSync(o.out, { recursive: true });
    ctx.log.info(`backup ${o.db.display} with ${path.basename(pgDump.path)} ${pgDump.version}`);
    const taken = await readSnapshot(leader, (snapshot) =>
      dumpAndChecksum(ctx, o, pgDump, snapshot, () => {
        writing = true;
      }),
    );
    const objects = await writeOutsideObjects(o, taken);
    const verifyStart = Date.now();
    for (const f of taken.files) await readBack(pgRestore, o, f);
    const files = [...taken.files, objects];
    for (const f of files) writeFileSync(path.join(o.out, `${f.name}.sha256`), `${f.sha256}  ${f.name}\n`);
    const verifyMs = Date.now() - verifyStart;
    const manifest = manifestOf(o, taken, files, server, pgDump, started, ctx.now().getTime());
    if (o.verifyRestore) await proveByRestore(ctx, o, o.verifyRestore, manifest, taken.identity);
    return {
      database: { name: o.db.name, display: o.db.display },
      dir: o.out,
      manifest: storeManifest(ctx, o, manifest),
      timings: {
        dumpMs: taken.dumpMs,
        checksumMs: taken.checksumMs,
        verifyMs,
        totalMs: ctx.now().getTime() - started,
      },
    };
  } catch (error) {
    // Never leave a file that looks like a good backup — but a failure before this run
    // wrote anything (bad input) must not destroy an earlier backup in the same directory.
    if (writing) removeBackupFiles(o.out);
    throw error;
  } finally {
    await leader.end({ timeout: 5 });
  }
}

interface Server {
  major: number;
  version: string;
  versionNum: number;
}

async function serverOf(sql: Sql): Promise<Server> {
  const [v] =
    await sql`select current_setting('server_version_num')::int as num, current_setting('server_version') as version`;
  return {
    major: Math.floor(Number(v!.num) / 10000),
    version: String(v!.version),
    versionNum: Number(v!.num),
  };
}

interface Taken {
  snapshot: string;
  identity: DatabaseIdentity;
  inventory: Inventory;
  scope: ReplicaScope;
  sequences: SequenceState[];
  files: BackupFile[];
  checksums: TableChecksum[];
  dumpMs: number;
  checksumMs: number;
}

/** Everything from one snapshot: the archives (pg_dump) and, alongside, every table's checksum and every sequence. */
async function dumpAndChecksum(
  ctx: JobContext,
  o: BackupOptions,
  pgDump: PgProgram,
  snapshot: Snapshot,
  /** Called once the contents are known good, just before the first file is written. */
  writing: () => void,
): Promise<Taken> {
  const identity = await databaseIdentity(snapshot.tx);
  const inventory = await snapshot.inventory({ exactCounts: false });
  const scope = selectContents(inventory, o);
  const tables: TableRef[] = inventory.tables
    .filter(
      (t) =>
        (scope.schemas.includes(t.schema) || scope.platformTables.includes(`${t.schema}.${t.name}`)) &&
        t.kind === 'table',
    )
    .sort((a, b) => b.sizeBytes - a.sizeBytes);
  ctx.log.info(
    `snapshot ${snapshot.id}: ${scope.schemas.length} app schema(s), ${scope.platformTables.length} platform table(s), ${tables.length} tables to checksum`,
  );
  const timed = async <T>(work: Promise<T>) => {
    const t0 = Date.now();
    return { value: await work, ms: Date.now() - t0 };
  };
  writing();
  const dumping = timed(dumpArchives(ctx, pgDump, o, snapshot.id, scope.schemas, scope.platformTables));
  const summing = timed(
    withSnapshotWorkers(
      () => connect(o.db, { applicationName: 'envsync backup checksum', connectTimeout: o.connectTimeout }),
      snapshot.id,
      o.workers ?? 2,
      (workers) =>
        checksumTables({
          workers,
          tables,
          onTable: (c, done, total) => {
            if (done === total || done % 25 === 0) {
              ctx.log.info(
                `  checksums: ${done} of ${total} tables (last ${c.table}: ${c.rows.toLocaleString('en-US')} rows)`,
              );
            }
          },
        }),
    ),
  );
  const sequences = await sequenceStates(
    snapshot.tx,
    inventory.sequences.filter((s) => scope.schemas.includes(s.schema)),
  );
  const [files, sums] = await Promise.all([dumping, summing]);
  return {
    snapshot: snapshot.id,
    identity,
    inventory,
    scope,
    sequences,
    files: files.value,
    checksums: sums.value,
    dumpMs: files.ms,
    checksumMs: sums.ms,
  };
}

/** The app's own objects outside its schemas (not in app.dump), as SQL psql runs on restore. */
async function writeOutsideObjects(o: BackupOptions, taken: Taken): Promise<BackupFile> {
  const name = 'platform-objects.sql';
  const text = [
    '-- The app’s own objects outside its schemas (not in app.dump): re-created on restore.',
    ...outsideObjectStatements(taken.inventory, taken.scope.schemas).map((s) => `${s};`),
    '',
  ].join('\n');
  // SQL that psql runs as the target's owner: encrypted like the dumps when there is a key.
  const written = await writeArchive(Readable.from([text]), path.join(o.out, name), {
    ...(o.encryptionKey ? { secret: o.encryptionKey } : {}),
  });
  return { name, role: 'platform-objects', ...written, encrypted: !!o.encryptionKey };
}

function manifestOf(
  o: BackupOptions,
  taken: Taken,
  files: BackupFile[],
  server: Server,
  pgDump: PgProgram,
  started: number,
  now: number,
): BackupManifest {
  return {
    format: MANIFEST_FORMAT,
    createdAt: new Date(started).toISOString(),
    durationMs: now - started,
    source: {
      display: o.db.display,
      identity: taken.identity,
      serverVersion: server.version,
      serverVersionNum: server.versionNum,
    },
    pgDump: { version: pgDump.version },
    snapshot: taken.snapshot,
    schemas: taken.scope.schemas,
    allAppSchemas: o.schemas === undefined,
    state: replicaState(taken.inventory, taken.scope.schemas),
    platformTables: taken.scope.platformTables,
    files,
    tables: taken.checksums,
    sequences: taken.sequences,
    verification: { archivesRead: true, restoredInto: null, checksumsMatch: null },
  };
}

/** --verify-restore: the backup restored into a scratch database and every checksum compared. */
async function proveByRestore(
  ctx: JobContext,
  o: BackupOptions,
  scratch: DatabaseTarget,
  manifest: BackupManifest,
  identity: DatabaseIdentity,
): Promise<void> {
  const started = Date.now();
  const comparison = await verifyByRestore(ctx, o, scratch, manifest, identity);
  manifest.verification.restoredInto = scratch.display;
  manifest.verification.checksumsMatch = comparison.identical;
  if (!comparison.identical) {
    ctx.log.warn(`restored copy differs: ${comparison.tables.map((t) => t.table).join(', ')}`);
  }
  ctx.log.info(
    `  restored into ${scratch.display} and compared in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

/** manifest.json, signed when there is a key (with every file's sha256 in it, the signature covers the backup). */
function storeManifest(ctx: JobContext, o: BackupOptions, manifest: BackupManifest): BackupManifest {
  const stored = o.encryptionKey ? signManifest(manifest, o.encryptionKey) : manifest;
  if (!o.encryptionKey) {
    ctx.log.warn(
      'BACKUP_ENCRYPTION_KEY is not set: the backup is neither encrypted nor signed — anyone who can edit its directory can change what a restore runs',
    );
  }
  writeFileSync(path.join(o.out, 'manifest.json'), `${JSON.stringify(stored, null, 2)}\n`);
  return stored;
}

function removeBackupFiles(dir: string): void {
  for (const f of ['app.dump', 'platform-data.dump', 'platform-objects.sql', 'manifest.json']) {
    rmSync(path.join(dir, f), { force: true });
    rmSync(path.join(dir, `${f}.sha256`), { force: true });
  }
}

/** Restores the fresh backup into a scratch database and compares it with the manifest. */
async function verifyByRestore(
  ctx: JobContext,
  o: BackupOptions,
  scratch: DatabaseTarget,
  manifest: BackupManifest,
  sourceIdentity: DatabaseIdentity,
): Promise<ManifestComparison> {
  const sql = await connect(scratch, {
    applicationName: 'envsync backup verify',
    connectTimeout: o.connectTimeout,
  });
  try {
    await guardProduction(sql, scratch, o.env, false, 'backup --verify-restore');
    if (sameDatabase(await databaseIdentity(sql), sourceIdentity)) {
      throw new InputError(
        '--verify-restore names the database being backed up',
        'give a scratch database: it is replaced by the restore',
      );
    }
    const [v] = await sql`select current_setting('server_version_num')::int as num`;
    const major = Math.floor(Number(v!.num) / 10000);
    ctx.log.info(`  restoring into ${scratch.display} to prove the backup`);
    const scratchInventory = await readInventory(sql, { exactCounts: false });
    await restoreBackup({
      target: scratch,
      dir: o.out,
      manifest,
      psql: findClientProgram('psql', major, o.env),
      pgRestore: findClientProgram(
        'pg_restore',
        Math.max(major, Math.floor(manifest.source.serverVersionNum / 10000)),
        o.env,
      ),
      ...(o.encryptionKey ? { secret: o.encryptionKey } : {}),
      env: o.env,
      current: scratchInventory,
    });
    return await compareWithManifest(sql, manifest, () =>
      connect(scratch, { applicationName: 'envsync backup verify', connectTimeout: o.connectTimeout }),
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function selectContents(inv: Inventory, o: BackupOptions): ReplicaScope {
  const scope = replicaScope(inv, o.platformTables, o.db.display);
  const present = new Set(inv.schemas.map((s) => s.name));
  const schemas = o.schemas ?? scope.schemas;
  const unknown = schemas.filter((s) => !present.has(s));
  if (unknown.length) {
    throw new InputError(
      `--schemas: no schema ${unknown.join(', ')} in ${o.db.display}`,
      `choose among: ${scope.schemas.join(', ')}`,
    );
  }
  const platform = schemas.filter(isPlatformSchema);
  if (platform.length) {
    throw new InputError(
      `--schemas: ${platform.join(', ')} belongs to the Supabase platform; its DDL is never dumped`,
      'the rows of auth.users, auth.identities and the migration history are kept automatically',
    );
  }
  // What a restore's deletes would take with them (auth.users → sessions, refresh tokens, MFA
  // factors…) is kept too, so a rollback puts it back instead of reporting "identical" without it.
  const readable = new Set(inv.tables.filter((t) => t.readable).map((t) => `${t.schema}.${t.name}`));
  const reached = cascadeReach(inv.foreignKeys, scope.platformTables, (t) =>
    schemas.includes(t.split('.')[0]!),
  ).filter((t) => readable.has(t));
  return { schemas, platformTables: [...scope.platformTables, ...reached] };
}

async function dumpArchives(
  ctx: JobContext,
  pgDump: PgProgram,
  o: BackupOptions,
  snapshot: string,
  schemas: string[],
  platformTables: string[],
): Promise<BackupFile[]> {
  const env = libpqEnvironment(o.db, 'envsync backup pg_dump', o.env);
  const jobs: { name: string; role: BackupFile['role']; args: string[] }[] = [
    { name: 'app.dump', role: 'app', args: schemas.flatMap((s) => ['--schema', ident(s)]) },
  ];
  if (platformTables.length) {
    jobs.push({
      name: 'platform-data.dump',
      role: 'platform-data',
      args: ['--data-only', ...platformTables.flatMap((t) => ['--table', t.split('.').map(ident).join('.')])],
    });
  }
  const files: BackupFile[] = [];
  for (const job of jobs) {
    const program = startProgram(
      pgDump.path,
      ['--format=custom', `--snapshot=${snapshot}`, '--no-password', ...job.args],
      env,
      `pg_dump (${job.name})`,
    );
    program.child.stdin!.end();
    let last = Date.now();
    const t0 = Date.now();
    const written = await Promise.all([
      writeArchive(program.child.stdout!, path.join(o.out, job.name), {
        secret: o.encryptionKey,
        onBytes: (bytes) => {
          if (Date.now() - last < 5000) return;
          last = Date.now();
          const mbs = bytes / 1048576 / ((Date.now() - t0) / 1000);
          ctx.log.info(`  ${job.name}: ${(bytes / 1048576).toFixed(1)} MB written, ${mbs.toFixed(1)} MB/s`);
        },
      }),
      program.done,
    ]);
    files.push({
      name: job.name,
      role: job.role,
      bytes: written[0].bytes,
      sha256: written[0].sha256,
      encrypted: !!o.encryptionKey,
    });
    ctx.log.info(
      `  ${job.name}: ${(written[0].bytes / 1048576).toFixed(1)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  return files;
}

/**
 * pg_restore must read the whole archive back (every data block decompressed, into
 * /dev/null) — `--list` alone reads only the table of contents.
 */
async function readBack(pgRestore: PgProgram, o: BackupOptions, f: BackupFile): Promise<void> {
  const program = startProgram(
    pgRestore.path,
    ['--file=/dev/null'],
    { PATH: o.env.PATH },
    `pg_restore (reading ${f.name} back)`,
  );
  program.child.stdout!.resume();
  const source = readArchive(path.join(o.out, f.name), f.encrypted, o.encryptionKey);
  const fed = pipeline(source, program.child.stdin!).catch(ignoreClosedPipe);
  await Promise.all([fed, program.done]).catch((error) => {
    throw new JobError(
      `${f.name} did not verify: ${(error as Error).message}`,
      'the backup is not usable; take it again',
    );
  });
}

export const backupJob: Job<BackupOptions, BackupResult> = {
  name: 'backup',
  description:
    'Verified backup of what a sync could change: pg_dump -Fc of the app schemas and of the rows of auth.users, ' +
    'auth.identities and the migration history, plus the app’s triggers/policies on platform tables, all from ONE ' +
    'snapshot; every table’s row count and checksum and every sequence state from that snapshot in manifest.json; ' +
    'sha256 files; pg_restore --list reads every archive before success is reported. Encrypted (AES-256-GCM) when ' +
    'BACKUP_ENCRYPTION_KEY is set.',
  examples: ['npm run backup -- --db dev', 'npm run backup -- --db production --out backups/prod-2026-11-21'],
  flags: {
    db: { type: 'string', value: '<env|url>', description: 'database: dev, staging, production or a URL' },
    'verify-restore': {
      type: 'string',
      value: '<env|url>',
      description: 'also restore into this scratch database (it is REPLACED) and compare every checksum',
    },
    schemas: {
      type: 'string',
      value: '<a,b>',
      description: 'app schemas to dump (default: every non-platform schema)',
    },
    'platform-tables': platformTablesFlag,
    'connect-timeout': connectTimeoutFlag,
  },
  parse(flags, env) {
    const schemas = parseList(flags.schemas);
    const platformTables = parseList(flags['platform-tables']);
    // Empty means unset: in Actions an undefined secret expands to ''.
    const key = env.BACKUP_ENCRYPTION_KEY;
    const { db, verifyRestore, connectTimeout } = readFlags({
      db: () => requireDatabase(flags, 'db', env),
      verifyRestore: () => {
        if (typeof flags['verify-restore'] !== 'string') return undefined;
        const scratch = resolveDatabase('--verify-restore', flags['verify-restore'], env);
        refuseKnownProduction(scratch, env, false, 'backup --verify-restore');
        return scratch;
      },
      connectTimeout: () => parseConnectTimeout(flags['connect-timeout']),
      key: () => {
        if (key && key.length < 16) {
          throw new InputError(
            'BACKUP_ENCRYPTION_KEY is shorter than 16 characters',
            'use a long random value, e.g. `openssl rand -base64 32`',
          );
        }
      },
    });
    if (verifyRestore?.display === db.display) {
      throw new InputError(
        '--verify-restore is the database being backed up',
        'give a scratch database: it is replaced by the restore',
      );
    }
    return {
      db,
      ...(verifyRestore ? { verifyRestore } : {}),
      out: typeof flags.out === 'string' ? flags.out : path.join('artifacts', 'backup'),
      ...(schemas ? { schemas } : {}),
      ...(platformTables ? { platformTables } : {}),
      ...(key ? { encryptionKey: key } : {}),
      connectTimeout,
      env,
    };
  },
  run: runBackup,
  render: renderBackupSummary,
  verdict: (r) => ({
    ok: r.manifest.verification.archivesRead && r.manifest.verification.checksumsMatch !== false,
    headline: `${r.manifest.tables.length} tables, ${r.manifest.tables.reduce((s, t) => s + t.rows, 0).toLocaleString('en-US')} rows, ${(r.manifest.files.reduce((s, f) => s + f.bytes, 0) / 1048576).toFixed(1)} MB in ${(r.timings.totalMs / 1000).toFixed(1)} s, verified`,
    problems: [],
    warnings: [],
  }),
  outputs: (r) => ({
    dir: r.dir,
    tables: r.manifest.tables.length,
    bytes: r.manifest.files.reduce((s, f) => s + f.bytes, 0),
    encrypted: r.manifest.files.some((f) => f.encrypted),
  }),
};
