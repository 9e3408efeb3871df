// rollback: restores a database from a backup (or prepare's target snapshot) in one
// transaction, after proving the files are intact, then proves the result equals
// the manifest table by table and sequence by sequence.

import path from 'node:path';
import { fileSha256, readArchive } from '../backup/archive.ts';
import { checkPlatformTables, readManifest, verifyManifest } from '../backup/manifest.ts';
import { restoreBackup, schemasAfterBackup } from '../backup/restore.ts';
import { compareWithManifest } from '../backup/verify.ts';
import { InputError, JobError, readFlags } from '../base/errors.ts';
import { readInventory } from '../catalog/inventory.ts';
import type { Inventory } from '../catalog/model.ts';
import { connectTimeoutFlag, parseConnectTimeout } from '../cli/database-flags.ts';
import { connect, type Sql } from '../db/connect.ts';
import { guardProduction, refuseKnownProduction } from '../db/guards.ts';
import { databaseIdentity, sameDatabase } from '../db/identity.ts';
import { findClientProgram } from '../db/pg-binaries.ts';
import { type DatabaseTarget, resolveDatabase } from '../db/url.ts';
import { renderRollbackSummary } from '../report/rollback-summary.ts';
import type { BackupManifest } from '../results/manifest.ts';
import type { DatabaseIdentity } from '../results/plan.ts';
import type { RollbackResult } from '../results/rollback.ts';
import { privilegesCheck, targetChecks } from '../sync/preflight.ts';
import type { Job, JobContext } from './runner.ts';

export interface RollbackOptions {
  target: DatabaseTarget;
  from: string;
  manifest: BackupManifest;
  forceForeignBackup: boolean;
  allowProduction: boolean;
  /** Restore a backup taken without a key even where a key is expected. */
  allowUnsigned: boolean;
  encryptionKey?: string;
  connectTimeout: number;
  env: NodeJS.ProcessEnv;
}

/** Every file's sha256 (and, when encrypted, its authentication tag) before anything is touched. */
async function verifyFiles(o: RollbackOptions): Promise<void> {
  for (const f of o.manifest.files) {
    const file = path.join(o.from, f.name);
    let actual: string;
    try {
      actual = await fileSha256(file);
    } catch {
      throw new JobError(
        `${file} is missing: the backup is incomplete`,
        'use a complete backup directory; the target was not touched',
      );
    }
    if (actual !== f.sha256) {
      throw new JobError(
        `${file} does not match its sha256 in manifest.json: the file is corrupt or was altered`,
        'use an intact backup; the target was not touched',
      );
    }
    if (f.encrypted) {
      try {
        for await (const _ of readArchive(file, true, o.encryptionKey)) {
          // consumed only to check the GCM tag at the end
        }
      } catch (error) {
        throw new JobError(
          `${file}: ${(error as Error).message}`,
          'use an intact backup and the key it was taken with; the target was not touched',
        );
      }
    }
  }
}

/**
 * What the restore would fail on, found before the target is touched: the privileges it needs,
 * anything outside the backup's schemas that their replacement would take along, publications
 * and extensions as the backup had them (a backup without that state skips the latter).
 */
async function checkTarget(sql: Sql, current: Inventory, o: RollbackOptions): Promise<void> {
  checkPlatformTables(o.manifest, current.foreignKeys);
  const checks = [
    await privilegesCheck(sql, current, o.manifest.schemas),
    ...(o.manifest.state
      ? await targetChecks(
          sql,
          current,
          o.manifest.schemas,
          schemasAfterBackup(current, o.manifest),
          o.manifest.state,
        )
      : []),
  ];
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length) {
    throw new JobError(
      `${o.target.display} cannot be restored from this backup: ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}`,
      `${failed[0]!.hint ?? 'fix the target'}; nothing was changed`,
    );
  }
}

export async function runRollback(ctx: JobContext, o: RollbackOptions): Promise<RollbackResult> {
  const started = ctx.now().getTime();
  ctx.log.info(
    `rollback ${o.target.display} from ${o.from} (taken ${o.manifest.createdAt} from ${o.manifest.source.display})`,
  );
  // Unsigned (taken without a key): said in the verdict's warnings — and refused where a key is
  // expected (set here, or on Actions): stripping the MAC and the encryption must not pass.
  const authenticated = verifyManifest(o.manifest, o.from, o.encryptionKey);
  if (!authenticated && (o.encryptionKey || o.env.GITHUB_ACTIONS === 'true') && !o.allowUnsigned) {
    throw new JobError(
      `${o.from}/manifest.json is not signed, but ${o.encryptionKey ? 'BACKUP_ENCRYPTION_KEY is set' : 'this is GitHub Actions'}: a backup taken with the key is always signed`,
      'restore the backup as it was written; pass --allow-unsigned-backup only for one you know was taken without a key; the target was not touched',
    );
  }
  await verifyFiles(o);
  const verifyFilesMs = ctx.now().getTime() - started;
  ctx.log.info(
    `  ${o.manifest.files.length} file(s) intact (sha256${o.manifest.files.some((f) => f.encrypted) ? ' and AES-GCM tag' : ''})`,
  );

  const sql = await connect(o.target, {
    applicationName: 'envsync rollback',
    connectTimeout: o.connectTimeout,
  });
  try {
    await guardProduction(sql, o.target, o.env, o.allowProduction, 'rollback');
    const identity: DatabaseIdentity = await databaseIdentity(sql);
    const foreign = !sameDatabase(identity, o.manifest.source.identity);
    if (foreign && !o.forceForeignBackup) {
      throw new InputError(
        `the backup in ${o.from} was taken from ${o.manifest.source.display}, not from ${o.target.display}`,
        'restore a backup of this database, or pass --force-foreign-backup to replace it with another database’s backup',
      );
    }
    const [v] = await sql`select current_setting('server_version_num')::int as num`;
    const major = Math.floor(Number(v!.num) / 10000);
    const psql = findClientProgram('psql', major, o.env);
    const pgRestore = findClientProgram(
      'pg_restore',
      Math.max(major, Math.floor(o.manifest.source.serverVersionNum / 10000)),
      o.env,
    );
    const inventory = await readInventory(sql, { exactCounts: false });
    await checkTarget(sql, inventory, o);

    const restoreStart = ctx.now().getTime();
    ctx.log.info(
      `  restoring ${o.manifest.schemas.join(', ')} and the rows of ${o.manifest.platformTables.join(', ') || 'no platform table'} in one transaction`,
    );
    await restoreBackup({
      target: o.target,
      dir: o.from,
      manifest: o.manifest,
      psql,
      pgRestore,
      ...(o.encryptionKey ? { secret: o.encryptionKey } : {}),
      env: o.env,
      current: inventory,
    });
    const restoreMs = ctx.now().getTime() - restoreStart;
    ctx.log.info(
      `  committed in ${(restoreMs / 1000).toFixed(1)} s; proving every table and sequence against the manifest`,
    );

    const proveStart = ctx.now().getTime();
    const comparison = await compareWithManifest(sql, o.manifest, () =>
      connect(o.target, { applicationName: 'envsync rollback proof', connectTimeout: o.connectTimeout }),
    );
    return {
      target: { name: o.target.name, display: o.target.display },
      from: o.from,
      backup: {
        createdAt: o.manifest.createdAt,
        source: o.manifest.source.display,
        tables: o.manifest.tables.length,
      },
      foreign,
      authenticated,
      timings: {
        verifyFilesMs,
        restoreMs,
        proveMs: ctx.now().getTime() - proveStart,
        totalMs: ctx.now().getTime() - started,
      },
      comparison,
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export const rollbackJob: Job<RollbackOptions, RollbackResult> = {
  name: 'rollback',
  description:
    'Restores a database from a backup directory (backup’s, or the target snapshot prepare took) in ONE transaction: ' +
    'app schemas replaced, platform-table rows replaced, the app’s triggers/policies on platform tables re-created. ' +
    'Refuses a corrupt or tampered file before touching anything; then proves every table’s count and checksum and ' +
    'every sequence equal the manifest.',
  examples: [
    'npm run rollback -- --target staging --from artifacts/prepare/snapshot',
    'npm run rollback -- --target dev --from backups/dev-2026-11-21',
  ],
  flags: {
    target: {
      type: 'string',
      value: '<env|url>',
      description: 'database to restore: staging, dev, or a URL',
    },
    from: { type: 'string', value: '<dir>', description: 'backup directory (with manifest.json)' },
    'allow-production': { type: 'boolean', description: 'allow a production target' },
    'force-foreign-backup': { type: 'boolean', description: 'allow a backup taken from another database' },
    'allow-unsigned-backup': {
      type: 'boolean',
      description:
        'restore a backup taken without BACKUP_ENCRYPTION_KEY even though the key is set (or on Actions)',
    },
    'connect-timeout': connectTimeoutFlag,
  },
  parse(flags, env) {
    const { target, from, connectTimeout } = readFlags({
      target: () => {
        if (typeof flags.target !== 'string' || !flags.target)
          throw new InputError('--target is required', 'pass --target staging or a URL');
        const target = resolveDatabase('--target', flags.target, env);
        refuseKnownProduction(target, env, flags['allow-production'] === true, 'rollback');
        return target;
      },
      from: () => {
        if (typeof flags.from !== 'string' || !flags.from)
          throw new InputError(
            '--from is required',
            'pass the backup directory, e.g. --from artifacts/backup',
          );
        return flags.from;
      },
      connectTimeout: () => parseConnectTimeout(flags['connect-timeout']),
    });
    const manifest = readManifest(from);
    const key = env.BACKUP_ENCRYPTION_KEY;
    if (manifest.files.some((f) => f.encrypted) && !key) {
      throw new InputError(
        'the backup is encrypted and BACKUP_ENCRYPTION_KEY is not set',
        'set BACKUP_ENCRYPTION_KEY to the key the backup was taken with',
      );
    }
    return {
      target,
      from,
      manifest,
      forceForeignBackup: flags['force-foreign-backup'] === true,
      allowProduction: flags['allow-production'] === true,
      allowUnsigned: flags['allow-unsigned-backup'] === true,
      ...(key ? { encryptionKey: key } : {}),
      connectTimeout,
      env,
    };
  },
  run: runRollback,
  render: renderRollbackSummary,
  verdict: (r) => ({
    ok: r.comparison.identical,
    headline: r.comparison.identical
      ? `${r.target.display} restored and identical to the backup (${r.backup.tables} tables) in ${(r.timings.totalMs / 1000).toFixed(1)} s`
      : `${r.target.display} restored but ${r.comparison.tables.length} table(s) and ${r.comparison.sequences.length} sequence(s) differ from the backup`,
    problems: [
      ...r.comparison.tables.map(
        (d) =>
          `table ${d.table}: expected ${d.expected ? `${d.expected.rows} rows` : 'nothing'}, found ${d.actual ? `${d.actual.rows} rows` : 'nothing'}${d.expected && d.actual && d.expected.rows === d.actual.rows ? ' with other content' : ''}`,
      ),
      ...r.comparison.sequences.map(
        (s) =>
          `sequence ${s.sequence}: expected ${s.expected?.lastValue}, found ${s.actual?.lastValue ?? 'nothing'}`,
      ),
    ],
    warnings: [
      ...(r.foreign
        ? [
            `the backup came from another database (${r.backup.source}); restored because of --force-foreign-backup`,
          ]
        : []),
      ...(r.authenticated
        ? []
        : ['the backup is not signed (taken without BACKUP_ENCRYPTION_KEY): nothing vouches for its files']),
    ],
  }),
  outputs: (r) => ({
    identical: r.comparison.identical,
    tables: r.backup.tables,
    restore_ms: r.timings.restoreMs,
  }),
};
