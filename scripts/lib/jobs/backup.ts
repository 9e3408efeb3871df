// backup: a verified pg_dump -Fc of what a sync could change — the app schemas (DDL
// + data), the rows of the platform tables the sync writes, and the app's objects on
// platform tables — taken from ONE snapshot, with every table's count and checksum
// and every sequence's state from that same snapshot in manifest.json. With --mask, a
// masked dump instead: one plain SQL script whose rows are masked on their way to the file.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readArchive, writeArchive } from '../backup/archive.ts';
import { signManifest } from '../backup/manifest.ts';
import { type MaskedDumpScript, readMaskedDumpBack, writeMaskedDump } from '../backup/masked-dump.ts';
import { restoreBackup } from '../backup/restore.ts';
import { compareWithManifest } from '../backup/verify.ts';
import { InputError, JobError, readFlags } from '../base/errors.ts';
import { readInventory } from '../catalog/inventory.ts';
import { canActAs, type Inventory } from '../catalog/model.ts';
import { cascadeReach, isPlatformSchema } from '../catalog/platform.ts';
import { type ReplicaScope, replicaScope, type ScopedTable, scopeTables } from '../catalog/scope.ts';
import { readSnapshot, type Snapshot } from '../catalog/snapshot.ts';
import { loadConfig, maskingFlags, parseMaskingFlags } from '../cli/config.ts';
import {
  connectTimeoutFlag,
  parseConnectTimeout,
  parseList,
  platformTablesFlag,
  requireDatabase,
} from '../cli/database-flags.ts';
import { checksumTables, sequenceStates, type TableRef, withSnapshotWorkers } from '../db/checksum.ts';
import { connect, type Sql } from '../db/connect.ts';
import type { CopySource } from '../db/copy-table.ts';
import { guardProduction, refuseKnownProduction } from '../db/guards.ts';
import { databaseIdentity, sameDatabase } from '../db/identity.ts';
import { libpqEnvironment } from '../db/libpq-env.ts';
import { findClientProgram, type PgProgram } from '../db/pg-binaries.ts';
import { ignoreClosedPipe, startProgram } from '../db/run-program.ts';
import { ident, literal, qname } from '../db/sql-text.ts';
import { type DatabaseTarget, resolveDatabase } from '../db/url.ts';
import { readMaskedRows } from '../masking/copy-masked.ts';
import { decideMasking, type Masking, maskingCheck, tryRules } from '../masking/decide.ts';
import { outsideObjectStatements } from '../replica/outside-objects.ts';
import { publicationStatements, replicaState } from '../replica/replace.ts';
import { dumpSchemaSections } from '../replica/schema-dump.ts';
import { renderBackupSummary } from '../report/backup-summary.ts';
import type { BackupResult } from '../results/backup.ts';
import type { BackupFile, BackupManifest, SequenceState, TableChecksum } from '../results/manifest.ts';
import { MANIFEST_FORMAT } from '../results/manifest.ts';
import type { DatabaseIdentity } from '../results/plan.ts';
import type { ManifestComparison } from '../results/rollback.ts';
import { findSideEffects, type NeutralizedAction, neutralizeStatements } from '../sync/neutralize.ts';
import type { Job, JobContext } from './runner.ts';

/** The one file of a masked dump. */
const MASKED_DUMP = 'masked.sql';

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
  /** A masked dump instead of a backup: one plain SQL script, masked on the way (docs/masking.md). */
  mask?: boolean;
  /** envsync.yaml (masking rules, side effects); default at the repository root. */
  config?: string;
}

/** Takes a backup into `options.out`; the core other jobs (prepare's target snapshot) call too. */
export async function runBackup(ctx: JobContext, o: BackupOptions): Promise<BackupResult> {
  const started = ctx.now().getTime();
  const leader = await connect(o.db, { applicationName: 'envsync backup', connectTimeout: o.connectTimeout });
  let writing = false;
  try {
    const server = await serverOf(leader);
    const pgDump = findClientProgram('pg_dump', server.major, o.env);
    if (o.mask) {
      return await takeMaskedDump(ctx, o, leader, server, pgDump, () => {
        writing = true;
      });
    }
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
    if (writing) removeBackupFiles(o.out, o.mask ? MASKED_FILES : BACKUP_FILES);
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

/** A masked dump refuses a directory holding a backup: writing its manifest there would orphan that backup. */
function refuseBackupDirectory(dir: string): void {
  const manifest = path.join(dir, 'manifest.json');
  if (!existsSync(manifest)) return;
  let masked = false;
  try {
    masked = Boolean((JSON.parse(readFileSync(manifest, 'utf8')) as { masked?: unknown }).masked);
  } catch {
    // unreadable: treated as a backup's, never overwritten
  }
  if (!masked) {
    throw new InputError(
      `--out ${dir} holds a backup (manifest.json): a masked dump would replace its manifest`,
      'give the masked dump a directory of its own, e.g. --out artifacts/masked',
    );
  }
}

/**
 * backup --mask: the masking decided as sync decides it (rules checked, fail closed), then ONE
 * plain SQL script of the app schemas and the platform rows a sync copies, every row masked on
 * its way to the file — never the verified archives, which would hold the source's values.
 */
async function takeMaskedDump(
  ctx: JobContext,
  o: BackupOptions,
  leader: Sql,
  server: Server,
  pgDump: PgProgram,
  writing: () => void,
): Promise<BackupResult> {
  const started = ctx.now().getTime();
  const psql = findClientProgram('psql', server.major, o.env);
  refuseBackupDirectory(o.out);
  mkdirSync(o.out, { recursive: true });
  ctx.log.info(`masked dump of ${o.db.display} with ${path.basename(pgDump.path)} ${pgDump.version}`);
  const file = path.join(o.out, MASKED_DUMP);
  const taken = await readSnapshot(leader, async (snapshot) => {
    const identity = await databaseIdentity(snapshot.tx);
    const inventory = await snapshot.inventory({ exactCounts: false });
    const scope = selectScope(inventory, o);
    const tables = scopeTables(inventory, scope);
    const masking = await maskingOf(ctx, o, leader, snapshot, inventory, tables);
    const script = await maskedScript(o, pgDump, psql, snapshot, inventory, scope, tables, masking);
    ctx.log.info(
      `snapshot ${snapshot.id}: ${scope.schemas.length} app schema(s), ${scope.platformTables.length} platform table(s), ${tables.length} tables`,
    );
    writing();
    removeBackupFiles(o.out, MASKED_FILES);
    const t0 = Date.now();
    let last = Date.now();
    const written = await writeMaskedDump(file, script.script, {
      ...(o.encryptionKey ? { secret: o.encryptionKey } : {}),
      onBytes: (bytes) => {
        if (Date.now() - last < 5000) return;
        last = Date.now();
        ctx.log.info(`  ${MASKED_DUMP}: ${(bytes / 1048576).toFixed(1)} MB written`);
      },
    });
    ctx.log.info(
      `  ${MASKED_DUMP}: ${written.tables.reduce((n, t) => n + t.rows, 0).toLocaleString('en-US')} rows, ${(written.bytes / 1048576).toFixed(1)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    return { identity, scope, masking, script, written, dumpMs: Date.now() - t0 };
  });
  const verifyStart = Date.now();
  await readMaskedDumpBack(file, !!o.encryptionKey, o.encryptionKey);
  const dumped: BackupFile = {
    name: MASKED_DUMP,
    role: 'masked-dump',
    bytes: taken.written.bytes,
    sha256: taken.written.sha256,
    encrypted: !!o.encryptionKey,
  };
  writeFileSync(path.join(o.out, `${MASKED_DUMP}.sha256`), `${dumped.sha256}  ${dumped.name}\n`);
  const verifyMs = Date.now() - verifyStart;
  const manifest: BackupManifest = {
    ...manifestHead(
      o,
      { ...taken, snapshot: taken.script.snapshot },
      server,
      pgDump,
      started,
      ctx.now().getTime(),
    ),
    files: [dumped],
    tables: taken.written.tables,
    sequences: taken.script.sequences,
    verification: { archivesRead: true, restoredInto: null, checksumsMatch: null },
    masked: {
      reason: taken.masking.reason,
      columns: Object.fromEntries(
        [...taken.masking.plan.tables].flatMap(([table, masks]) =>
          masks.map((m) => [`${table}.${m.column.name}`, m.strategy.kind]),
        ),
      ),
      neutralized: taken.script.neutralized.map((a) => ({
        name: a.name,
        action: a.action,
        detail: a.detail,
      })),
    },
  };
  return {
    database: { name: o.db.name, display: o.db.display },
    dir: o.out,
    manifest: storeManifest(ctx, o, manifest),
    timings: { dumpMs: taken.dumpMs, checksumMs: 0, verifyMs, totalMs: ctx.now().getTime() - started },
  };
}

/** The masking, decided as sync decides it (here only with --mask): bad rules exit 2, uncovered personal columns exit 1. */
async function maskingOf(
  ctx: JobContext,
  o: BackupOptions,
  leader: Sql,
  snapshot: Snapshot,
  inventory: Inventory,
  tables: ScopedTable[],
): Promise<Masking> {
  const masking = await decideMasking(
    {
      mask: true,
      config: () => loadConfig(o.config),
      env: o.env,
      source: o.db,
      // No target: a file. decideMasking names the target only when it is production.
      target: o.db,
      src: leader,
      targetProduction: null,
    },
    inventory,
    tables.map((t) => `${t.schema}.${t.name}`),
  );
  if (!masking) throw new Error('--mask always masks'); // decideMasking returns null only without a reason
  await tryRules(snapshot.tx, masking.plan);
  const check = maskingCheck(masking)!;
  if (check.status === 'fail') {
    throw new JobError(`masking: ${check.detail}`, check.hint ?? 'nothing was written');
  }
  ctx.log.info(`  masked on the way: ${check.detail}`);
  return masking;
}

interface MaskedScript {
  script: MaskedDumpScript;
  snapshot: string;
  sequences: SequenceState[];
  neutralized: NeutralizedAction[];
}

/**
 * What goes into the file, read from the snapshot: pg_dump's pre- and post-data of the app
 * schemas (entries the connecting role could not restore itself left out, as sync leaves them),
 * each table's masked reader, and the statements after the data.
 */
async function maskedScript(
  o: BackupOptions,
  pgDump: PgProgram,
  psql: PgProgram,
  snapshot: Snapshot,
  inv: Inventory,
  scope: ReplicaScope,
  tables: ScopedTable[],
  masking: Masking,
): Promise<MaskedScript> {
  const restorable = (owner: string | null) => owner === null || canActAs(inv, owner);
  const sections = await dumpSchemaSections(
    pgDump,
    libpqEnvironment(o.db, 'envsync backup pg_dump', o.env),
    snapshot.id,
    scope.schemas,
  );
  const sequences = await sequenceStates(
    snapshot.tx,
    inv.sequences.filter((s) => scope.schemas.includes(s.schema) && restorable(s.owner)),
  );
  // What calls out of the restored database (webhooks; copied cron jobs) is neutralized as a
  // masked sync neutralizes it; subscriptions are not in a dump.
  const effects = await findSideEffects(snapshot.tx, {
    schemas: scope.schemas,
    cronCopied: scope.platformTables.includes('cron.job'),
  });
  const neutralized = neutralizeStatements(
    effects.filter((e) => e.kind !== 'subscription'),
    masking.sideEffects,
  );
  const copySource: CopySource = {
    psql,
    env: libpqEnvironment(o.db, 'envsync backup', o.env),
    snapshot: snapshot.id,
  };
  const columns = new Map(
    inv.tables.map((t) => [
      `${t.schema}.${t.name}`,
      t.columns.filter((c) => !c.generated).map((c) => c.name),
    ]),
  );
  // Supabase's own publication is on every project: only the app's tables are added to it.
  const everywhere = inv.publications.filter((p) => p.name === 'supabase_realtime');
  const maskedCount = [...masking.plan.tables.values()].reduce((n, cs) => n + cs.length, 0);
  return {
    snapshot: snapshot.id,
    sequences,
    neutralized: neutralized.actions,
    script: {
      about: [
        `envsync masked dump of ${o.db.display}, snapshot ${snapshot.id}`,
        `Masked on the way (${masking.reason}): ${maskedCount} column(s) in ${masking.plan.tables.size} table(s); not a backup of the database.`,
        'Restore into an empty Supabase-shaped database (platform present, app schemas absent), as postgres:',
        `  psql "$DATABASE_URL" --single-transaction --file ${MASKED_DUMP}`,
      ],
      preData: { ...sections.preData, entries: sections.preData.entries.filter((e) => restorable(e.owner)) },
      before: inv.extensions
        .filter((e) => scope.schemas.includes(e.schema))
        .flatMap((e) => [
          `CREATE SCHEMA IF NOT EXISTS ${ident(e.schema)}`,
          `CREATE EXTENSION IF NOT EXISTS ${ident(e.name)} WITH SCHEMA ${ident(e.schema)} VERSION ${literal(e.version)}`,
        ]),
      tables: tables.map((t) => ({
        schema: t.schema,
        name: t.name,
        columns: columns.get(`${t.schema}.${t.name}`) ?? [],
        rows: () =>
          readMaskedRows(
            copySource,
            { schema: t.schema, name: t.name, columns: columns.get(`${t.schema}.${t.name}`) ?? [] },
            masking,
          ),
      })),
      postData: {
        ...sections.postData,
        entries: sections.postData.entries.filter((e) => restorable(e.owner)),
      },
      after: [
        ...inv.views
          .filter(
            (v) =>
              v.kind === 'matview' && v.populated && scope.schemas.includes(v.schema) && restorable(v.owner),
          )
          .map((v) => `REFRESH MATERIALIZED VIEW ${qname(v.schema, v.name)}`),
        ...sequences.map((s) => {
          const [schema, name] = s.sequence.split(/\.(.+)/) as [string, string];
          return `SELECT pg_catalog.setval(${literal(qname(schema, name))}::regclass, ${s.lastValue}, ${s.isCalled})`;
        }),
        ...outsideObjectStatements(inv, scope.schemas),
        ...publicationStatements(inv.publications, everywhere, scope.schemas),
        ...neutralized.statements,
      ],
    },
  };
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

/** What every manifest says of where and when it was taken: a backup's and a masked dump's alike. */
function manifestHead(
  o: BackupOptions,
  taken: { identity: DatabaseIdentity; snapshot: string; scope: ReplicaScope },
  server: Server,
  pgDump: PgProgram,
  started: number,
  now: number,
): Pick<
  BackupManifest,
  | 'format'
  | 'createdAt'
  | 'durationMs'
  | 'source'
  | 'pgDump'
  | 'snapshot'
  | 'schemas'
  | 'allAppSchemas'
  | 'platformTables'
> {
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
    platformTables: taken.scope.platformTables,
  };
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
    ...manifestHead(o, taken, server, pgDump, started, now),
    state: replicaState(taken.inventory, taken.scope.schemas),
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

const BACKUP_FILES = ['app.dump', 'platform-data.dump', 'platform-objects.sql', 'manifest.json'];
const MASKED_FILES = ['masked.sql', 'manifest.json'];

function removeBackupFiles(dir: string, files: string[]): void {
  for (const f of files) {
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

/** The app schemas (`--schemas` checked) and the platform tables a sync copies. */
function selectScope(inv: Inventory, o: BackupOptions): ReplicaScope {
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
  return { schemas, platformTables: scope.platformTables };
}

function selectContents(inv: Inventory, o: BackupOptions): ReplicaScope {
  const { schemas, platformTables } = selectScope(inv, o);
  // What a restore's deletes would take with them (auth.users → sessions, refresh tokens, MFA
  // factors…) is kept too, so a rollback puts it back instead of reporting "identical" without it.
  const readable = new Set(inv.tables.filter((t) => t.readable).map((t) => `${t.schema}.${t.name}`));
  const reached = cascadeReach(inv.foreignKeys, platformTables, (t) =>
    schemas.includes(t.split('.')[0]!),
  ).filter((t) => readable.has(t));
  return { schemas, platformTables: [...platformTables, ...reached] };
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
    'BACKUP_ENCRYPTION_KEY is set. With --mask: a masked dump instead — one plain SQL script (DDL, rows masked on ' +
    'the way by envsync.yaml’s rules, sequences) to restore with psql -1 -f into an empty database; not a backup.',
  examples: [
    'npm run backup -- --db dev',
    'npm run backup -- --db production --out backups/prod-2026-11-21',
    'npm run backup -- --db production --mask --out artifacts/masked',
  ],
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
    mask: {
      type: 'boolean',
      description:
        'write a masked dump (masked.sql: DDL and every row masked by envsync.yaml’s rules, MASKING_KEY) instead of a backup — to hand over, never to roll back to',
    },
    config: maskingFlags.config,
    'connect-timeout': connectTimeoutFlag,
  },
  parse(flags, env) {
    const masking = parseMaskingFlags(flags);
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
    if (masking.mask && verifyRestore) {
      throw new InputError(
        '--verify-restore proves a backup; --mask writes a masked dump, which holds other values than the database',
        'leave out --verify-restore: a masked dump is read back in full and restored by hand (docs/masking.md)',
      );
    }
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
      ...(masking.mask ? masking : {}),
      connectTimeout,
      env,
    };
  },
  run: runBackup,
  render: renderBackupSummary,
  verdict: (r) => ({
    ok: r.manifest.verification.archivesRead && r.manifest.verification.checksumsMatch !== false,
    headline: `${r.manifest.masked ? `masked dump (${Object.keys(r.manifest.masked.columns).length} columns masked): ` : ''}${r.manifest.tables.length} tables, ${r.manifest.tables.reduce((s, t) => s + t.rows, 0).toLocaleString('en-US')} rows, ${(r.manifest.files.reduce((s, f) => s + f.bytes, 0) / 1048576).toFixed(1)} MB in ${(r.timings.totalMs / 1000).toFixed(1)} s, verified`,
    problems: [],
    warnings: [],
  }),
  outputs: (r) => ({
    dir: r.dir,
    tables: r.manifest.tables.length,
    bytes: r.manifest.files.reduce((s, f) => s + f.bytes, 0),
    encrypted: r.manifest.files.some((f) => f.encrypted),
    ...(r.manifest.masked ? { masked_columns: Object.keys(r.manifest.masked.columns).length } : {}),
  }),
};
