// content-sync: promotes content (the allow-list of envsync.yaml) from one database to another
// and never writes anything else — users' tables are protected, and a sync proves it from the
// transaction's own statistics before it commits.

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileSha256, readArchive, writeArchive } from '../backup/archive.ts';
import { macMatches, signManifest } from '../backup/manifest.ts';
import { InputError, JobError, readFlags } from '../base/errors.ts';
import { readJsonFile } from '../base/json-file.ts';
import { readInventory } from '../catalog/inventory.ts';
import { readSnapshot } from '../catalog/snapshot.ts';
import { type EnvsyncConfig, loadConfig } from '../cli/config.ts';
import {
  connectTimeoutFlag,
  parseConnectTimeout,
  requireDatabase,
  requireSourceAndTarget,
} from '../cli/database-flags.ts';
import { parseDuration } from '../cli/duration.ts';
import {
  compareTable,
  enabledTriggers,
  fromSource,
  type Staged,
  stageContent,
  writeContent,
} from '../content/engine.ts';
import { protectedReport, protectedTables, readProtected } from '../content/protected.ts';
import { fromSnapshot, readContentSnapshot, restoreTables, SNAPSHOT_FILE } from '../content/snapshot.ts';
import { type ContentTable, resolveContentTables } from '../content/tables.ts';
import { pinOutputSettings, sequenceStates, type TableRef, tableChecksum } from '../db/checksum.ts';
import type { Query, Sql } from '../db/connect.ts';
import { connect } from '../db/connect.ts';
import { type CopySource, copyOutOf } from '../db/copy-table.ts';
import { guardProduction } from '../db/guards.ts';
import { databaseIdentity, sameDatabase } from '../db/identity.ts';
import { libpqEnvironment } from '../db/libpq-env.ts';
import { findClientProgram } from '../db/pg-binaries.ts';
import type { DatabaseTarget } from '../db/url.ts';
import { renderContentSyncSummary } from '../report/content-sync-summary.ts';
import {
  CONTENT_SNAPSHOT_FORMAT,
  type ContentMode,
  type ContentRestoreCheck,
  type ContentSnapshot,
  type ContentSnapshotSummary,
  type ContentSyncResult,
  type ContentTableResult,
} from '../results/content-sync.ts';
import type { TableChecksum } from '../results/manifest.ts';
import { openPair } from '../sync/scope.ts';
import type { Job, JobContext } from './runner.ts';

export interface ContentSyncOptions {
  /** null for rollback: the snapshot is the source. */
  source: DatabaseTarget | null;
  target: DatabaseTarget;
  mode: ContentMode;
  config: EnvsyncConfig & { content: NonNullable<EnvsyncConfig['content']> };
  lockTimeoutMs: number;
  allowProduction: boolean;
  connectTimeout: number;
  env: NodeJS.ProcessEnv;
  /** sync: where the pre-sync snapshot is written (default <out>/content-snapshot). */
  snapshotDir: string;
  /** sync --plan: a dry run's --out directory; refused when either side moved on since. */
  planDir?: string;
  /** rollback: the snapshot directory restored (--from). */
  from: string | null;
  /** validate: a sync's content snapshot, whose manifest of the protected tables is compared. */
  manifestDir: string | null;
}

const MODES: ContentMode[] = ['compare', 'dry-run', 'sync', 'validate', 'rollback'];

/** Under the delete policy, the target's content equals the source's. */
const equalUnderPolicy = (r: ContentTableResult) =>
  r.new === 0 && r.changed === 0 && (r.policy.delete === 'keep' || r.onlyOnTarget === 0);

export async function runContentSync(ctx: JobContext, o: ContentSyncOptions): Promise<ContentSyncResult> {
  const from = o.source;
  if (o.mode === 'rollback' || !from) return rollbackContent(ctx, o);
  const started = Date.now();
  const pair = await openPair(from, o.target, 'content-sync', o.connectTimeout);
  try {
    if (o.mode === 'sync')
      await guardProduction(pair.tgt, o.target, o.env, o.allowProduction, 'content-sync');
    ctx.log.info(`content-sync ${o.mode}: ${from.display} → ${o.target.display}`);
    return await readSnapshot(pair.src, async (snapshot) => {
      const [src, tgt] = [
        await snapshot.inventory({ exactCounts: false }),
        await readInventory(pair.tgt, { exactCounts: false }),
      ];
      const tables = resolveContentTables(o.config.content.tables, src, tgt);
      const guarded = protectedTables(tgt, tables);
      const major = Math.floor(src.database.serverVersionNum / 10000);
      const copySource: CopySource = {
        psql: findClientProgram('psql', major, o.env),
        env: libpqEnvironment(from, 'envsync content-sync', o.env),
        snapshot: snapshot.id,
      };
      const sequences = new Map(
        (
          await sequenceStates(
            snapshot.tx,
            tables
              .flatMap((t) => t.sequences)
              .map((s) => {
                const [schema, name] = s.split(/\.(.+)/) as [string, string];
                return { schema, name };
              }),
          )
        ).map((s) => [s.sequence, s]),
      );
      const outline = {
        mode: o.mode,
        source: { name: from.name, display: from.display },
        target: { name: o.target.name, display: o.target.display },
        config: o.config.file ?? 'envsync.yaml',
      };
      const fingerprints =
        o.mode === 'dry-run' || o.planDir
          ? {
              source: await contentFingerprint(snapshot.tx, tables),
              target: await pair.tgt.begin((tx) => contentFingerprint(tx, tables)),
              createdAt: new Date().toISOString(),
            }
          : undefined;
      if (o.planDir && fingerprints) checkPlan(o, fingerprints);
      if (o.mode !== 'sync') {
        const manifest = o.mode === 'validate' && o.manifestDir ? await readManifest(pair.tgt, o) : null;
        const results = await compareInTransaction(pair.tgt, copySource, tables);
        const protectedNow =
          o.mode === 'validate' ? await readProtected(pair.tgt, guarded, manifest !== null) : null;
        return {
          ...outline,
          ...(o.mode === 'dry-run' && fingerprints ? { fingerprints } : {}),
          tables: results,
          protected: protectedNow ? protectedReport(protectedNow, manifest) : null,
          proof: null,
          snapshot: null,
          restoreChecks: null,
          sequencesLeft: [],
          inSync: results.every(equalUnderPolicy),
          committed: false,
          durationMs: Date.now() - started,
        };
      }
      const {
        results,
        proof,
        snapshot: taken,
        manifest,
      } = await syncContent(ctx, pair.tgt, copySource, { tables, guarded }, sequences, o);
      ctx.log.info(
        '  committed; validating the content against the source, the protected tables against the manifest',
      );
      const after = await compareInTransaction(pair.tgt, copySource, tables);
      const protectedNow = await readProtected(pair.tgt, guarded, true);
      return {
        ...outline,
        tables: results,
        protected: protectedReport(protectedNow, { dir: o.snapshotDir, tables: manifest }),
        proof,
        snapshot: taken,
        restoreChecks: null,
        sequencesLeft: [],
        inSync: after.every(equalUnderPolicy),
        committed: true,
        durationMs: Date.now() - started,
      };
    });
  } catch (error) {
    pair.abort();
    throw error;
  } finally {
    await pair.close();
  }
}

/** The content tables as they stand: key, columns, and every row's checksum, hashed. */
async function contentFingerprint(tx: Query, tables: ContentTable[]): Promise<string> {
  // Pinned: the same text on both sides, and never a read RLS filters silently (it fails instead).
  await pinOutputSettings(tx);
  const hash = createHash('sha256');
  for (const t of tables) {
    const c = await tableChecksum(tx, t);
    hash.update(JSON.stringify([t.qualified, t.key, t.columns, c.rows, c.checksum]));
  }
  return hash.digest('hex');
}

/** --plan: the dry run's result, refused when made for other databases or when either side moved on since. */
function checkPlan(o: ContentSyncOptions, now: { source: string; target: string }): void {
  const file = path.join(o.planDir!, 'content-sync.json');
  const plan = (
    readJsonFile(file, 'give the --out directory of a content-sync --mode dry-run') as {
      result?: ContentSyncResult;
    } | null
  )?.result;
  if (plan?.mode !== 'dry-run' || !plan.fingerprints)
    throw new InputError(
      `--plan ${o.planDir} is not a content-sync dry run`,
      'run --mode dry-run first, then sync with its --out',
    );
  if (plan.source.display !== o.source!.display || plan.target.display !== o.target.display)
    throw new InputError(
      `--plan ${o.planDir} was made for ${plan.source.display} → ${plan.target.display}, not these databases`,
      'run the dry run for this source and target',
    );
  const moved = (['source', 'target'] as const).filter((side) => plan!.fingerprints![side] !== now[side]);
  if (moved.length)
    throw new InputError(
      `--plan ${o.planDir} is outdated: the ${moved.join(' and ')} content changed since the dry run (${plan.fingerprints.createdAt})`,
      'run the dry run again and read it, then sync with the new plan',
    );
}

/**
 * compare, dry-run, validate: staged and compared in a transaction that is always rolled back.
 * It writes only its temp tables (PostgreSQL refuses even those in a READ ONLY transaction).
 */
async function compareInTransaction(
  tgt: Sql,
  source: CopySource,
  tables: ContentTable[],
): Promise<ContentTableResult[]> {
  await tgt.unsafe('begin isolation level repeatable read');
  try {
    // The target's rows as they are: a role that RLS would filter fails here instead of comparing less.
    await pinOutputSettings(tgt);
    const staged = await stageContent(tgt, tables, fromSource(source, tgt));
    const results: ContentTableResult[] = [];
    for (const s of staged) {
      const r = await compareTable(tgt, s);
      if (s.table.triggers === 'skip') r.triggersSkipped = await enabledTriggers(tgt, s.table);
      results.push(r);
    }
    return results;
  } finally {
    await tgt.unsafe('rollback').catch(() => {});
  }
}

/**
 * sync: ONE target transaction — stage, compare, refuse a delete a protected row would feel,
 * upsert parents first, delete children first, sequences forward only, the proof, COMMIT.
 */
async function syncContent(
  ctx: JobContext,
  tgt: Sql,
  source: CopySource,
  { tables, guarded }: { tables: ContentTable[]; guarded: TableRef[] },
  sequences: Map<string, { lastValue: string; isCalled: boolean }>,
  o: ContentSyncOptions,
): Promise<{
  results: ContentTableResult[];
  proof: NonNullable<ContentSyncResult['proof']>;
  snapshot: ContentSnapshotSummary;
  manifest: TableChecksum[];
}> {
  // Before the transaction: each users' table read in a short transaction of its own.
  ctx.log.info(`  the manifest of ${guarded.length} protected table(s): rows and checksums`);
  const manifest = await readProtected(tgt, guarded, true);
  await tgt.unsafe('begin');
  await tgt`select set_config('lock_timeout', ${`${o.lockTimeoutMs}ms`}, true)`;
  ctx.log.info(`  saving the target's content to ${o.snapshotDir}`);
  const snapshot = await writeContentSnapshot(tgt, tables, manifest, o);
  const staged = await stageContent(tgt, tables, fromSource(source, tgt));
  const results = new Map<Staged, ContentTableResult>();
  for (const s of staged) results.set(s, await compareTable(tgt, s));
  const proof = await writeContent(tgt, staged, results, 'sync', (l) => ctx.log.info(l), sequences);
  await tgt.unsafe('commit');
  return { results: [...results.values()], proof, snapshot, manifest };
}

const snapshotSecret = (o: ContentSyncOptions) => o.env.BACKUP_ENCRYPTION_KEY || undefined;

/**
 * The target's content as this transaction sees it before writing: one file per table (COPY text,
 * sha256'd, encrypted with BACKUP_ENCRYPTION_KEY when set), content-snapshot.json with each
 * table's count and checksum, the sequences and the target's identity (signed like a backup
 * manifest when a key is set) — then read back and checked, still before anything is written.
 */
async function writeContentSnapshot(
  tgt: Sql,
  tables: ContentTable[],
  manifest: TableChecksum[],
  o: ContentSyncOptions,
): Promise<ContentSnapshotSummary> {
  const secret = snapshotSecret(o);
  mkdirSync(o.snapshotDir, { recursive: true });
  await pinOutputSettings(tgt);
  const snapshot: ContentSnapshot = {
    format: CONTENT_SNAPSHOT_FORMAT,
    createdAt: new Date().toISOString(),
    target: { display: o.target.display, identity: await databaseIdentity(tgt) },
    tables: [],
    sequences: await sequenceStates(
      tgt,
      tables
        .flatMap((t) => t.sequences)
        .map((s) => {
          const [schema, name] = s.split(/\.(.+)/) as [string, string];
          return { schema, name };
        }),
    ),
    protected: manifest,
    files: [],
  };
  // The rows are read by psql in this transaction's exported snapshot (taken before any write):
  // postgres.js's COPY TO stream stalls on large tables.
  const [exported] = await tgt`select pg_export_snapshot() as id`;
  const [v] = await tgt`select current_setting('server_version_num')::int as num`;
  const reading: CopySource = {
    psql: findClientProgram('psql', Math.floor(Number(v!.num) / 10000), o.env),
    env: libpqEnvironment(o.target, 'envsync content-sync snapshot', o.env),
    snapshot: String(exported!.id),
  };
  for (const [i, t] of tables.entries()) {
    const file = `table-${i}.copy`;
    const { rows, checksum } = await tableChecksum(tgt, t);
    // Every column the target has (not only those the source shares): the rollback restores the row.
    const reader = copyOutOf(reading, { ...t, columns: t.targetColumns, binary: false });
    reader.done.catch(() => {}); // awaited below
    const written = await writeArchive(reader.child.stdout!, path.join(o.snapshotDir, file), {
      ...(secret ? { secret } : {}),
    }).catch((error) => {
      reader.child.kill('SIGKILL');
      throw error;
    });
    await reader.done; // psql's exit: a read that failed midway fails the snapshot
    snapshot.tables.push({ table: t.qualified, key: t.key, columns: t.targetColumns, rows, checksum, file });
    snapshot.files.push({ name: file, ...written, encrypted: Boolean(secret) });
  }
  const stored = secret ? signManifest(snapshot, secret) : snapshot;
  writeFileSync(path.join(o.snapshotDir, SNAPSHOT_FILE), `${JSON.stringify(stored, null, 2)}\n`, {
    mode: 0o600,
  });
  const read = readContentSnapshot(o.snapshotDir);
  await verifySnapshotFiles(read, o.snapshotDir, secret);
  return snapshotSummary(read, o.snapshotDir);
}

/** validate --manifest: a sync's snapshot of this very database, verified; its protected tables. */
async function readManifest(
  tgt: Sql,
  o: ContentSyncOptions,
): Promise<{ dir: string; tables: TableChecksum[] }> {
  const dir = o.manifestDir!;
  const snapshot = readContentSnapshot(dir);
  await verifySnapshotFiles(snapshot, dir, snapshotSecret(o));
  await refuseOtherDatabase(tgt, snapshot, dir, o);
  return { dir, tables: snapshot.protected };
}

/** A snapshot is only ever used on the database it was taken of (exit 2 otherwise). */
async function refuseOtherDatabase(tgt: Sql, snapshot: ContentSnapshot, dir: string, o: ContentSyncOptions) {
  if (!sameDatabase(await databaseIdentity(tgt), snapshot.target.identity))
    throw new InputError(
      `${dir} is a snapshot of ${snapshot.target.display} (database ${snapshot.target.identity.database}), not of --target ${o.target.display}`,
      'use the snapshot of the database it was taken of; nothing was changed',
    );
}

const snapshotSummary = (s: ContentSnapshot, dir: string): ContentSnapshotSummary => ({
  dir,
  createdAt: s.createdAt,
  tables: s.tables.length,
  rows: s.tables.reduce((n, t) => n + t.rows, 0),
  verified: true,
  encrypted: s.files.some((f) => f.encrypted),
  signed: Boolean(s.mac),
});

/**
 * The snapshot is what it says (exit 2 otherwise): its MAC when signed (a key is then required),
 * every file's sha256 as stored, its plaintext readable (GCM tag checked) with as many rows as
 * the snapshot says.
 */
async function verifySnapshotFiles(
  s: ContentSnapshot,
  dir: string,
  secret: string | undefined,
): Promise<void> {
  const encrypted = s.files.some((f) => f.encrypted);
  if (s.mac || encrypted) {
    if (!s.mac)
      throw new InputError(
        `${dir}/${SNAPSHOT_FILE} has encrypted files but no MAC: it was altered`,
        'use the snapshot as content-sync wrote it; the target was not touched',
      );
    if (!secret)
      throw new InputError(
        `${dir}/${SNAPSHOT_FILE} is signed and BACKUP_ENCRYPTION_KEY is not set`,
        'set BACKUP_ENCRYPTION_KEY to the key the sync ran with',
      );
    if (!macMatches(s, secret))
      throw new InputError(
        `${dir}/${SNAPSHOT_FILE} does not match its MAC: it was altered, or BACKUP_ENCRYPTION_KEY is not the key it was taken with`,
        'use an intact snapshot and the key it was taken with; the target was not touched',
      );
  }
  for (const t of s.tables) {
    const f = s.files.find((x) => x.name === t.file)!;
    const file = path.join(dir, f.name);
    const sha = await fileSha256(file).catch(() => null);
    if (sha !== f.sha256)
      throw new InputError(
        `${file} (${t.table}) ${sha ? 'does not match its sha256 in the snapshot: it was altered or is corrupt' : 'is missing'}`,
        'use the snapshot as content-sync wrote it; the target was not touched',
      );
    let rows = 0;
    const hash = createHash('sha256');
    try {
      await pipeline(
        readArchive(file, f.encrypted, secret),
        new Writable({
          write(chunk: Buffer, _enc, done) {
            hash.update(chunk);
            for (const b of chunk) if (b === 10) rows++;
            done();
          },
        }),
      );
    } catch (error) {
      throw new InputError(
        `${file} (${t.table}) cannot be read: ${(error as Error).message}`,
        'use an intact snapshot and the key it was taken with; the target was not touched',
      );
    }
    if (rows !== t.rows)
      throw new InputError(
        `${file} (${t.table}) holds ${rows} row(s), the snapshot says ${t.rows}`,
        'use the snapshot as content-sync wrote it; the target was not touched',
      );
  }
}

/**
 * rollback: the content tables made exactly the snapshot again in ONE target transaction — the
 * snapshot staged and played as the source (delete forced, no column ignored, triggers not
 * fired), protected references refused, sequences left where they are, the proof, and each
 * table's count and checksum equal to the snapshot's before COMMIT.
 */
async function rollbackContent(ctx: JobContext, o: ContentSyncOptions): Promise<ContentSyncResult> {
  const started = Date.now();
  const dir = o.from!;
  const secret = snapshotSecret(o);
  const snapshot = readContentSnapshot(dir);
  await verifySnapshotFiles(snapshot, dir, secret);
  const tgt = await connect(o.target, {
    applicationName: 'envsync content-sync',
    connectTimeout: o.connectTimeout,
  });
  try {
    await refuseOtherDatabase(tgt, snapshot, dir, o);
    await guardProduction(tgt, o.target, o.env, o.allowProduction, 'content-sync');
    ctx.log.info(`content-sync rollback: ${dir} → ${o.target.display}`);
    const tables = restoreTables(snapshot, await readInventory(tgt, { exactCounts: false }));
    const open = (file: string) => {
      const f = snapshot.files.find((x) => x.name === file)!;
      return readArchive(path.join(dir, file), f.encrypted, secret);
    };
    await tgt.unsafe('begin');
    try {
      await tgt`select set_config('lock_timeout', ${`${o.lockTimeoutMs}ms`}, true)`;
      await pinOutputSettings(tgt);
      const staged = await stageContent(tgt, tables, fromSnapshot(tgt, snapshot, open));
      const results = new Map<Staged, ContentTableResult>();
      for (const s of staged) results.set(s, await compareTable(tgt, s));
      const proof = await writeContent(tgt, staged, results, 'rollback', (l) => ctx.log.info(l));
      const restoreChecks: ContentRestoreCheck[] = [];
      for (const t of tables) {
        const was = snapshot.tables.find((e) => e.table === t.qualified)!;
        const restored = await tableChecksum(tgt, t);
        const expected = { table: t.qualified, rows: was.rows, checksum: was.checksum };
        restoreChecks.push({
          table: t.qualified,
          snapshot: expected,
          restored,
          equal: restored.rows === was.rows && restored.checksum === was.checksum,
        });
      }
      const differ = restoreChecks.filter((c) => !c.equal);
      if (differ.length)
        throw new JobError(
          `the rollback did not restore the snapshot: ${differ.map((c) => `${c.table} has ${c.restored.rows} row(s) (${c.restored.checksum}), the snapshot ${c.snapshot.rows} (${c.snapshot.checksum})`).join('; ')} — rolled back, nothing committed`,
          'a column the snapshot does not carry (a default, a trigger) differs: restore by hand from the snapshot files',
        );
      await tgt.unsafe('commit');
      return {
        mode: 'rollback',
        source: { name: 'snapshot', display: dir },
        target: { name: o.target.name, display: o.target.display },
        config: o.config.file ?? 'envsync.yaml',
        tables: [...results.values()],
        protected: null,
        proof,
        snapshot: snapshotSummary(snapshot, dir),
        restoreChecks,
        sequencesLeft: snapshot.sequences.map((q) => q.sequence),
        inSync: true,
        committed: true,
        durationMs: Date.now() - started,
      };
    } catch (error) {
      await tgt.unsafe('rollback').catch(() => {});
      throw error;
    }
  } finally {
    await tgt.end({ timeout: 5 }).catch(() => {});
  }
}

export const contentSyncJob: Job<ContentSyncOptions, ContentSyncResult> = {
  name: 'content-sync',
  description:
    'Promotes content — the tables envsync.yaml lists under content.tables — from --source to --target and never ' +
    'writes any other table. --mode compare (read-only: rows new, changed, only on the target, protected rows that ' +
    'point at them), dry-run (the same, as the plan), sync (ONE transaction: upsert by key skipping equal rows, ' +
    'deletes only where allowed and no protected row points, sequences forward only, triggers not fired, then the ' +
    'proof from the transaction’s own statistics that no protected table was written, then validate; the target’s ' +
    'content saved first to <out>/content-snapshot), validate, rollback --from <snapshot> (the content made exactly ' +
    'the snapshot again in one transaction, sequences left where they are).',
  examples: [
    'npm run content-sync -- --source staging --target production --mode compare',
    'npm run content-sync -- --source staging --target production --mode sync --allow-production',
    'npm run content-sync -- --target production --mode rollback --from artifacts/content-sync/content-snapshot --allow-production',
  ],
  flags: {
    source: { type: 'string', value: '<env|url>', description: 'where the content comes from' },
    target: {
      type: 'string',
      value: '<env|url>',
      description: 'where it goes (its other tables are protected)',
    },
    mode: {
      type: 'string',
      value: '<compare|dry-run|sync|validate|rollback>',
      description: 'what to do (default compare)',
    },
    from: {
      type: 'string',
      value: '<dir>',
      description: 'rollback: the content snapshot a sync wrote (<out>/content-snapshot)',
    },
    config: { type: 'string', value: '<file>', description: 'the configuration (default envsync.yaml)' },
    manifest: {
      type: 'string',
      value: '<dir>',
      description:
        'validate: a sync’s content snapshot; each protected table reported unchanged since it, or written since by others',
    },
    plan: {
      type: 'string',
      value: '<dir>',
      description: 'sync: the --out of a dry run; refused when either side’s content changed since',
    },
    'lock-timeout': {
      type: 'string',
      value: '<duration>',
      description: 'how long a write may wait for a lock (default 5s)',
    },
    'allow-production': { type: 'boolean', description: 'allow --mode sync into production' },
    'connect-timeout': connectTimeoutFlag,
  },
  parse: (flags, env) => {
    const read = readFlags({
      databases: () =>
        flags.mode === 'rollback'
          ? { source: null, target: requireDatabase(flags, 'target', env) }
          : requireSourceAndTarget(flags, env, 'content-sync', flags.mode === 'sync'),
      from: () => {
        if (flags.mode !== 'rollback') return null;
        if (typeof flags.from !== 'string' || flags.from === '')
          throw new InputError(
            '--mode rollback needs --from <dir>',
            'pass the content-snapshot directory a sync wrote (<out>/content-snapshot)',
          );
        return flags.from;
      },
      mode: () => {
        const mode = flags.mode ?? 'compare';
        if (!MODES.includes(mode as ContentMode))
          throw new InputError(
            `--mode ${String(mode)} is not one of ${MODES.join(', ')}`,
            'use e.g. --mode compare',
          );
        return mode as ContentMode;
      },
      config: () => {
        const config = loadConfig(typeof flags.config === 'string' ? flags.config : undefined);
        if (!config.content || Object.keys(config.content.tables).length === 0)
          throw new InputError(
            `${config.file ?? 'envsync.yaml'} lists no content tables`,
            'add content.tables to envsync.yaml (npm run analyze suggests a start)',
          );
        return config as ContentSyncOptions['config'];
      },
      lockTimeoutMs: () => parseDuration('--lock-timeout', flags['lock-timeout'], 5_000, 600_000),
      connectTimeout: () => parseConnectTimeout(flags['connect-timeout']),
    });
    return {
      ...read.databases,
      mode: read.mode,
      config: read.config,
      lockTimeoutMs: read.lockTimeoutMs,
      allowProduction: flags['allow-production'] === true,
      connectTimeout: read.connectTimeout,
      env,
      snapshotDir: path.join(
        typeof flags.out === 'string' ? flags.out : path.join('artifacts', 'content-sync'),
        'content-snapshot',
      ),
      from: read.from,
      manifestDir: typeof flags.manifest === 'string' ? flags.manifest : null,
      ...(typeof flags.plan === 'string' ? { planDir: flags.plan } : {}),
    };
  },
  run: runContentSync,
  render: renderContentSyncSummary,
  verdict: (r) => {
    const refused = r.tables.flatMap((t) =>
      t.protectedReferences.map(
        (p) => `${t.table}: ${p.rows} row(s) of ${p.table} reference rows it would delete`,
      ),
    );
    const ok = r.mode === 'validate' || r.mode === 'sync' || r.mode === 'rollback' ? r.inSync : true;
    const count = (k: 'new' | 'changed' | 'onlyOnTarget') => r.tables.reduce((n, t) => n + t[k], 0);
    const written = (k: 'inserted' | 'updated' | 'deleted') => r.tables.reduce((n, t) => n + t.written[k], 0);
    return {
      ok,
      headline:
        r.mode === 'rollback'
          ? `${r.target.display}: content rolled back to the snapshot of ${r.snapshot?.createdAt ?? '?'} — ${written('inserted')} re-inserted, ${written('updated')} restored, ${written('deleted')} removed in ${r.tables.length} content table(s); counts and checksums equal the snapshot's; no protected table written; sequences left where they are`
          : r.mode === 'sync'
            ? `${r.target.display}: ${r.tables.reduce((n, t) => n + t.written.inserted, 0)} inserted, ${r.tables.reduce((n, t) => n + t.written.updated, 0)} updated, ${r.tables.reduce((n, t) => n + t.written.deleted, 0)} deleted in ${r.tables.length} content table(s); no protected table written${r.inSync ? '; validated' : ''}`
            : r.inSync
              ? `the content of ${r.target.display} equals ${r.source.display}'s (${r.tables.length} table(s))`
              : `${count('new')} new, ${count('changed')} changed, ${count('onlyOnTarget')} only on the target in ${r.tables.length} content table(s)`,
      problems:
        r.mode === 'validate' && !r.inSync
          ? r.tables
              .filter((t) => !equalUnderPolicy(t))
              .map(
                (t) => `${t.table}: ${t.new} new, ${t.changed} changed, ${t.onlyOnTarget} only on the target`,
              )
          : [],
      warnings: refused,
    };
  },
  outputs: (r) => ({
    in_sync: r.inSync,
    committed: r.committed,
    changed_rows: r.tables.reduce((n, t) => n + t.new + t.changed, 0),
  }),
};
