// content-sync: promotes content (the allow-list of envsync.yaml) from one database to another
// and never writes anything else — users' tables are protected, and a sync proves it from the
// transaction's own statistics before it commits.

import { InputError, JobError, readFlags } from '../base/errors.ts';
import { readInventory } from '../catalog/inventory.ts';
import { readSnapshot } from '../catalog/snapshot.ts';
import { type EnvsyncConfig, loadConfig } from '../cli/config.ts';
import { connectTimeoutFlag, parseConnectTimeout, requireSourceAndTarget } from '../cli/database-flags.ts';
import { parseDuration } from '../cli/duration.ts';
import {
  advanceSequences,
  compareTable,
  deleteFromTable,
  enabledTriggers,
  protectedWrites,
  type Staged,
  stageContent,
  upsertTable,
} from '../content/engine.ts';
import { resolveContentTables } from '../content/tables.ts';
import { sequenceStates } from '../db/checksum.ts';
import type { Sql } from '../db/connect.ts';
import type { CopySource } from '../db/copy-table.ts';
import { guardProduction } from '../db/guards.ts';
import { libpqEnvironment } from '../db/libpq-env.ts';
import { findClientProgram } from '../db/pg-binaries.ts';
import { ident, qname } from '../db/sql-text.ts';
import type { DatabaseTarget } from '../db/url.ts';
import { renderContentSyncSummary } from '../report/content-sync-summary.ts';
import type { ContentMode, ContentSyncResult, ContentTableResult } from '../results/content-sync.ts';
import { openPair } from '../sync/scope.ts';
import type { Job, JobContext } from './runner.ts';

export interface ContentSyncOptions {
  source: DatabaseTarget;
  target: DatabaseTarget;
  mode: ContentMode;
  config: EnvsyncConfig & { content: NonNullable<EnvsyncConfig['content']> };
  lockTimeoutMs: number;
  allowProduction: boolean;
  connectTimeout: number;
  env: NodeJS.ProcessEnv;
}

const MODES: ContentMode[] = ['compare', 'dry-run', 'sync', 'validate'];

/** Under the delete policy, the target's content equals the source's. */
const equalUnderPolicy = (r: ContentTableResult) =>
  r.new === 0 && r.changed === 0 && (r.policy.delete === 'keep' || r.onlyOnTarget === 0);

export async function runContentSync(ctx: JobContext, o: ContentSyncOptions): Promise<ContentSyncResult> {
  const started = Date.now();
  const pair = await openPair(o.source, o.target, 'content-sync', o.connectTimeout);
  try {
    if (o.mode === 'sync')
      await guardProduction(pair.tgt, o.target, o.env, o.allowProduction, 'content-sync');
    ctx.log.info(`content-sync ${o.mode}: ${o.source.display} → ${o.target.display}`);
    return await readSnapshot(pair.src, async (snapshot) => {
      const [src, tgt] = [
        await snapshot.inventory({ exactCounts: false }),
        await readInventory(pair.tgt, { exactCounts: false }),
      ];
      const tables = resolveContentTables(o.config.content.tables, src, tgt);
      const major = Math.floor(src.database.serverVersionNum / 10000);
      const copySource: CopySource = {
        psql: findClientProgram('psql', major, o.env),
        env: libpqEnvironment(o.source, 'envsync content-sync', o.env),
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
        source: { name: o.source.name, display: o.source.display },
        target: { name: o.target.name, display: o.target.display },
        config: o.config.file ?? 'envsync.yaml',
      };
      if (o.mode !== 'sync') {
        const results = await compareInTransaction(pair.tgt, copySource, tables);
        return {
          ...outline,
          tables: results,
          proof: null,
          inSync: results.every(equalUnderPolicy),
          committed: false,
          durationMs: Date.now() - started,
        };
      }
      const { results, proof } = await syncContent(ctx, pair.tgt, copySource, tables, sequences, o);
      ctx.log.info('  committed; validating the content against the source');
      const after = await compareInTransaction(pair.tgt, copySource, tables);
      return {
        ...outline,
        tables: results,
        proof,
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

/**
 * compare, dry-run, validate: staged and compared in a transaction that is always rolled back.
 * It writes only its temp tables (PostgreSQL refuses even those in a READ ONLY transaction).
 */
async function compareInTransaction(
  tgt: Sql,
  source: CopySource,
  tables: ReturnType<typeof resolveContentTables>,
): Promise<ContentTableResult[]> {
  await tgt.unsafe('begin isolation level repeatable read');
  try {
    const staged = await stageContent(tgt, source, tables);
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
  tables: ReturnType<typeof resolveContentTables>,
  sequences: Map<string, { lastValue: string; isCalled: boolean }>,
  o: ContentSyncOptions,
): Promise<{ results: ContentTableResult[]; proof: NonNullable<ContentSyncResult['proof']> }> {
  await tgt.unsafe('begin');
  await tgt`select set_config('lock_timeout', ${`${o.lockTimeoutMs}ms`}, true)`;
  const staged = await stageContent(tgt, source, tables);
  const results = new Map<Staged, ContentTableResult>();
  for (const s of staged) results.set(s, await compareTable(tgt, s));
  const blocked = [...results.values()].flatMap((r) =>
    r.protectedReferences.map(
      (p) =>
        `${p.rows} row(s) of ${p.table} (${p.constraint}, ON DELETE ${p.onDelete}) reference rows of ${r.table} the sync would delete`,
    ),
  );
  if (blocked.length)
    throw new JobError(
      `content-sync refused: ${blocked.join('; ')}`,
      'users’ rows point at that content: keep those rows (delete: keep), or move the users’ rows first; nothing was changed',
    );
  const disabled: { table: string; trigger: string }[] = [];
  for (const s of staged.filter((x) => x.table.triggers === 'skip')) {
    const r = results.get(s)!;
    r.triggersSkipped = await enabledTriggers(tgt, s.table);
    for (const trigger of r.triggersSkipped) {
      const table = qname(s.table.schema, s.table.name);
      await tgt.unsafe(`alter table ${table} disable trigger ${ident(trigger)}`);
      disabled.push({ table, trigger });
    }
  }
  for (const s of staged) {
    ctx.log.info(`  ${s.table.qualified}: upserting`);
    await upsertTable(tgt, s, results.get(s)!);
  }
  for (const s of [...staged].reverse()) await deleteFromTable(tgt, s, results.get(s)!);
  for (const s of staged) results.get(s)!.sequencesAdvanced = await advanceSequences(tgt, s.table, sequences);
  for (const d of disabled) await tgt.unsafe(`alter table ${d.table} enable trigger ${ident(d.trigger)}`);
  const { checked, writes } = await protectedWrites(tgt, new Set(tables.map((t) => t.qualified)));
  if (writes.length) {
    await tgt.unsafe('rollback').catch(() => {});
    throw new JobError(
      `the proof failed: this transaction wrote to protected table(s) ${writes.map((w) => `${w.table} (${w.inserted} inserted, ${w.updated} updated, ${w.deleted} deleted)`).join(', ')} — rolled back, nothing committed`,
      'a trigger or an FK action on a content table writes to users’ tables: set triggers: skip for it, or remove the FK action',
    );
  }
  await tgt.unsafe('commit');
  return { results: [...results.values()], proof: { protectedTablesChecked: checked, writes } };
}

export const contentSyncJob: Job<ContentSyncOptions, ContentSyncResult> = {
  name: 'content-sync',
  description:
    'Promotes content — the tables envsync.yaml lists under content.tables — from --source to --target and never ' +
    'writes any other table. --mode compare (read-only: rows new, changed, only on the target, protected rows that ' +
    'point at them), dry-run (the same, as the plan), sync (ONE transaction: upsert by key skipping equal rows, ' +
    'deletes only where allowed and no protected row points, sequences forward only, triggers not fired, then the ' +
    'proof from the transaction’s own statistics that no protected table was written, then validate), validate.',
  examples: [
    'npm run content-sync -- --source staging --target production --mode compare',
    'npm run content-sync -- --source staging --target production --mode sync --allow-production',
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
      value: '<compare|dry-run|sync|validate>',
      description: 'what to do (default compare)',
    },
    config: { type: 'string', value: '<file>', description: 'the configuration (default envsync.yaml)' },
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
      databases: () => requireSourceAndTarget(flags, env, 'content-sync', flags.mode === 'sync'),
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
    const ok = r.mode === 'validate' || r.mode === 'sync' ? r.inSync : true;
    const count = (k: 'new' | 'changed' | 'onlyOnTarget') => r.tables.reduce((n, t) => n + t[k], 0);
    return {
      ok,
      headline:
        r.mode === 'sync'
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
