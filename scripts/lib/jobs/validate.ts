// validate: proves a target is an exact replica of a source — every replicated object
// compared through the catalog model, every replicated table's count and checksum and
// every sequence's state compared, both servers read in parallel.

import { readFlags } from '../base/errors.ts';
import { diffInventories } from '../catalog/diff.ts';
import { readInventory } from '../catalog/inventory.ts';
import type { Inventory } from '../catalog/model.ts';
import { readSnapshot } from '../catalog/snapshot.ts';
import { loadConfig, maskingFlags, parseMaskingFlags } from '../cli/config.ts';
import {
  connectTimeoutFlag,
  parseConnectTimeout,
  parseList,
  platformTablesFlag,
  requireSourceAndTarget,
} from '../cli/database-flags.ts';
import {
  checksumTables,
  compareChecksums,
  fastHashAgrees,
  type HashAgreement,
  hashChoice,
  sequenceStates,
  withSnapshotWorkers,
} from '../db/checksum.ts';
import { connect } from '../db/connect.ts';
import { productionReason } from '../db/guards.ts';
import { libpqEnvironment } from '../db/libpq-env.ts';
import { locateDifferences } from '../db/locate.ts';
import { findClientProgram, type PgProgram } from '../db/pg-binaries.ts';
import type { DatabaseTarget } from '../db/url.ts';
import { decideMasking, type Masking } from '../masking/decide.ts';
import { maskedColumns } from '../masking/rules.ts';
import { proveMasked } from '../masking/verify.ts';
import { compareDumps, type DumpScript } from '../replica/dump-entries.ts';
import { dumpSchema } from '../replica/schema-dump.ts';
import { renderValidateSummary } from '../report/validate-summary.ts';
import type { SequenceState, TableChecksum } from '../results/manifest.ts';
import type { SourceDigest } from '../results/sync.ts';
import type { ValidateResult } from '../results/validate.ts';
import { digestKind, loadDigest } from '../sync/digest.ts';
import { findSideEffects } from '../sync/neutralize.ts';
import { openPair, type Pair, syncScope } from '../sync/scope.ts';
import type { Job, JobContext } from './runner.ts';

export interface ValidateOptions {
  source: DatabaseTarget;
  target: DatabaseTarget;
  connectTimeout: number;
  workers: number;
  /** Narrow each table whose data differs to its differing primary keys. */
  locate: boolean;
  /** The platform tables whose rows the sync copied (default: catalog/platform.ts's list). */
  platformTables?: string[];
  /** A committed sync's --out: its source digest stands in for reading the source's rows. */
  digestDir?: string;
  /** The copy was masked (forced when the source is production): --masked, and its --config. */
  masked: boolean;
  config?: string;
  env: NodeJS.ProcessEnv;
}

type Side = 'source' | 'target';
type TableList = { schema: string; name: string }[];

/**
 * Both sides checksum the same tables: those of the replica's scope (catalog/scope.ts, the
 * sync's own) that both have — a table on one side only is an object difference already.
 * Each side calls `agree` with its inventory and waits for the other's; `fail` releases the
 * waiting side when the other could not read.
 */
function tableAgreement(platformTables: string[] | undefined) {
  const seen: Partial<Record<Side, Inventory>> = {};
  let resolve!: (tables: TableList) => void;
  let reject!: (error: unknown) => void;
  const agreed = new Promise<TableList>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  agreed.catch(() => {}); // awaited by each side
  const key = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;
  return {
    fail: reject,
    agree(side: Side, inv: Inventory): Promise<TableList> {
      seen[side] = inv;
      if (seen.source && seen.target) {
        try {
          const { tables } = syncScope(seen.source, seen.target, platformTables);
          const there = new Set(seen.target.tables.map(key));
          resolve(tables.filter((t) => there.has(key(t))).map((t) => ({ schema: t.schema, name: t.name })));
        } catch (error) {
          reject(error);
        }
      }
      return agreed;
    },
  };
}

interface SideRead {
  inventory: Inventory;
  dump: DumpScript;
  checksums: TableChecksum[];
  sequences: SequenceState[];
  inventoryMs: number;
}

/** One side: its inventory, then checksums of the agreed tables over workers sharing one snapshot. */
async function readSide(
  db: DatabaseTarget,
  o: ValidateOptions,
  agreement: ReturnType<typeof tableAgreement>,
  side: Side,
  hashes: HashAgreement,
  pgDump: PgProgram,
  digest: SourceDigest | null,
  exclude: Map<string, string[]>,
): Promise<SideRead> {
  const leader = await connect(db, { applicationName: 'envsync validate', connectTimeout: o.connectTimeout });
  try {
    return await readSnapshot(leader, async ({ tx, id: snapshot, inventory: readInventory }) => {
      const t0 = Date.now();
      const inventory = await readInventory({ exactCounts: false });
      const inventoryMs = Date.now() - t0;
      const appSchemas = inventory.schemas.filter((s) => !s.platform).map((s) => s.name);
      const dumping = appSchemas.length
        ? dumpSchema(pgDump, libpqEnvironment(db, 'envsync validate pg_dump', o.env), snapshot, appSchemas)
        : Promise.resolve({ preamble: '', entries: [] });
      dumping.catch(() => {}); // awaited below
      // Masked columns differ by design: left out of both sides' checksums.
      const tables = (await agreement.agree(side, inventory)).map((t) => ({
        ...t,
        exclude: exclude.get(`${t.schema}.${t.name}`) ?? [],
      }));
      // A digest's tables are hashed on the target as the sync hashed them on the source, and
      // not read on the source at all; any other table is read on both, as without a digest.
      const digested = new Map((digest?.tables ?? []).map((c) => [c.table, c]));
      const key = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;
      const kind = (t: { schema: string; name: string }) => {
        const d = digested.get(key(t));
        return d ? digestKind(d.checksum) : hashChoice(hashes);
      };
      const read = side === 'source' ? tables.filter((t) => !digested.has(key(t))) : tables;
      const computed = read.length
        ? await withSnapshotWorkers(
            () =>
              connect(db, { applicationName: 'envsync validate checksum', connectTimeout: o.connectTimeout }),
            snapshot,
            o.workers,
            (workers) => checksumTables({ workers, tables: read, kind }),
          )
        : [];
      const byTable = new Map(computed.map((c) => [c.table, c]));
      const checksums = tables.map((t) => byTable.get(key(t)) ?? digested.get(key(t))!);
      const recorded = new Map(
        side === 'source' ? (digest?.sequences ?? []).map((q) => [q.sequence, q]) : [],
      );
      const live = await sequenceStates(
        tx,
        inventory.sequences
          .filter((s) => !s.platform && !recorded.has(`${s.schema}.${s.name}`))
          .map((s) => ({ schema: s.schema, name: s.name })),
      );
      const present = new Set(inventory.sequences.map((s) => `${s.schema}.${s.name}`));
      const sequences = [...live, ...[...recorded.values()].filter((q) => present.has(q.sequence))];
      return { inventory, dump: await dumping, checksums, sequences, inventoryMs };
    });
  } finally {
    await leader.end({ timeout: 5 });
  }
}

/** Sequences whose state differs, and those only one side has. */
function compareSequences(source: SequenceState[], target: SequenceState[]): ValidateResult['sequences'] {
  const there = new Map(target.map((x) => [x.sequence, x]));
  const here = new Set(source.map((x) => x.sequence));
  return [
    ...source.flatMap((a) => {
      const b = there.get(a.sequence);
      if (!b) return [{ sequence: a.sequence, source: a }];
      return b.lastValue !== a.lastValue || b.isCalled !== a.isCalled
        ? [{ sequence: a.sequence, source: a, target: b }]
        : [];
    }),
    ...target.filter((b) => !here.has(b.sequence)).map((b) => ({ sequence: b.sequence, target: b })),
  ];
}

/** Whether the copy is masked (as sync decides it), with the source's catalog the rules resolve on. */
async function maskingOf(
  o: ValidateOptions,
  pair: Pair,
): Promise<{ masking: Masking; inventory: Inventory } | null> {
  const sourceProduction = await productionReason(pair.src, o.source, o.env);
  if (!o.masked && !sourceProduction) return null;
  const inventory = await readInventory(pair.src, { exactCounts: false });
  const masking = await decideMasking(
    {
      mask: o.masked,
      config: () => loadConfig(o.config),
      env: o.env,
      source: o.source,
      target: o.target,
      src: pair.src,
      targetProduction: await productionReason(pair.tgt, o.target, o.env),
      needKey: false,
    },
    inventory,
    inventory.tables.map((t) => `${t.schema}.${t.name}`),
  );
  return masking ? { masking, inventory } : null;
}

/** The masked copy's proof, and the side-effect triggers on the target (`schema.table.name`). */
async function proveCopy(o: ValidateOptions, m: { masking: Masking; inventory: Inventory }) {
  const [a, b] = await Promise.all(
    [o.source, o.target].map((db) =>
      connect(db, { applicationName: 'envsync validate masked', connectTimeout: o.connectTimeout }),
    ),
  );
  try {
    const proof = await proveMasked(a!, b!, m.inventory, m.masking.plan);
    const schemas = m.inventory.schemas.filter((s) => !s.platform).map((s) => s.name);
    const effects = await findSideEffects(b!, { schemas, cronCopied: false });
    const triggers = effects.flatMap((e) =>
      e.trigger ? [`${e.trigger.schema}.${e.trigger.table}.${e.trigger.name}`, e.trigger.name] : [],
    );
    return { proof, triggers };
  } finally {
    await Promise.all([a!.end({ timeout: 5 }), b!.end({ timeout: 5 })]);
  }
}

export async function runValidate(ctx: JobContext, o: ValidateOptions): Promise<ValidateResult> {
  const started = ctx.now().getTime();
  ctx.log.info(`validate ${o.target.display} against ${o.source.display}`);
  // Same server+database however written: comparing a database with itself proves nothing.
  const pair = await openPair(o.source, o.target, 'validate', o.connectTimeout);
  let hashes: HashAgreement;
  let pgDump: PgProgram;
  let digest: SourceDigest | null = null;
  let masking: { masking: Masking; inventory: Inventory } | null = null;
  try {
    if (o.digestDir) {
      digest = loadDigest(
        o.digestDir,
        { source: pair.srcIdentity, target: pair.tgtIdentity },
        { source: o.source.display, target: o.target.display },
      );
      if (digest)
        ctx.log.info(
          `  the source's rows as the sync read them (${o.digestDir}, ${digest.takenAt}): only the target's are read`,
        );
      else
        ctx.log.warn(
          `--digest ${o.digestDir}: that sync kept no digest of the source (run without --digest, or it could not be read); the source's rows are read instead`,
        );
    }
    hashes = await fastHashAgrees(pair.src, pair.tgt);
    masking = await maskingOf(o, pair);
    // One pg_dump for both sides (new enough for the newer server), so the dumps compare.
    const majors = await Promise.all(
      [pair.src, pair.tgt].map(async (c) => {
        const [v] = await c`select current_setting('server_version_num')::int as num`;
        return Math.floor(Number(v!.num) / 10000);
      }),
    );
    pgDump = findClientProgram('pg_dump', Math.max(...majors), o.env);
  } finally {
    await pair.close();
  }
  if (!hashes.text) ctx.log.info('  the servers hash differently: comparing with md5 row hashes (slower)');

  const excluded = masking
    ? maskedColumns(masking.masking.plan, masking.inventory)
    : new Map<string, string[]>();
  // Copied cron jobs are disabled or re-pointed on a masked copy: those columns differ too.
  if (masking) excluded.set('cron.job', ['active', 'command']);
  if (masking)
    ctx.log.info(
      `  a masked copy (${masking.masking.reason}): ${[...excluded.values()].flat().length} masked column(s) left out of the checksums`,
    );
  const agreement = tableAgreement(o.platformTables);
  const checksumStart = ctx.now().getTime();
  const [src, tgt] = await Promise.all(
    (['source', 'target'] as const).map((side) =>
      readSide(o[side], o, agreement, side, hashes, pgDump, digest, excluded).catch((error) => {
        agreement.fail(error);
        throw error;
      }),
    ),
  );
  const checksumMs = ctx.now().getTime() - checksumStart;

  const allObjects = diffInventories(src!.inventory, tgt!.inventory);
  const allDump = compareDumps(src!.dump, tgt!.dump);
  const proved = masking ? await proveCopy(o, masking) : null;
  // A neutralized side effect (a webhook trigger disabled or re-pointed) is meant to differ.
  const neutral = (object: string) => proved?.triggers.some((t) => object.includes(t)) ?? false;
  const objects = allObjects.filter((d) => !(d.kind === 'trigger' && neutral(d.object)));
  const schemaDump = allDump.filter((d) => !(d.kind === 'trigger' && neutral(d.object)));
  const data = compareChecksums(src!.checksums, tgt!.checksums);
  const sequences = compareSequences(src!.sequences, tgt!.sequences);
  const located: ValidateResult['located'] = [];
  if (o.locate && data.length) {
    const [a, b] = await Promise.all(
      [o.source, o.target].map((db) =>
        connect(db, { applicationName: 'envsync validate locate', connectTimeout: o.connectTimeout }),
      ),
    );
    try {
      for (const d of data.filter((x) => x.expected && x.actual)) {
        const t = src!.inventory.tables.find((x) => `${x.schema}.${x.name}` === d.table);
        if (!t || t.primaryKey.length === 0) continue;
        const found = await locateDifferences(a!, b!, { schema: t.schema, name: t.name }, t.primaryKey);
        located.push({
          table: d.table,
          primaryKey: t.primaryKey,
          keys: found.keys.sort(),
          truncated: found.truncated,
        });
        ctx.log.info(
          `  ${d.table}: ${found.keys.length}${found.truncated ? '+' : ''} differing key(s) located`,
        );
      }
    } finally {
      await Promise.all([a!.end({ timeout: 5 }), b!.end({ timeout: 5 })]);
    }
  }
  const result: ValidateResult = {
    source: { name: o.source.name, display: o.source.display },
    target: { name: o.target.name, display: o.target.display },
    objects,
    schemaDump,
    data,
    sequences,
    located,
    tablesCompared: src!.checksums.length,
    rowsCompared: src!.checksums.reduce((n, c) => n + c.rows, 0),
    digest:
      digest && o.digestDir
        ? {
            dir: o.digestDir,
            takenAt: digest.takenAt,
            tables: src!.checksums.filter((c) => digest!.tables.some((d) => d.table === c.table)).length,
          }
        : null,
    masked:
      masking && proved
        ? {
            reason: masking.masking.reason,
            excluded: [...excluded].flatMap(([t, cs]) => cs.map((c) => `${t}.${c}`)),
            neutralized: [
              ...allObjects.filter((d) => !objects.includes(d)).map((d) => `${d.kind} ${d.object}`),
              ...allDump.filter((d) => !schemaDump.includes(d)).map((d) => `pg_dump ${d.kind} ${d.object}`),
            ],
            proof: proved.proof,
          }
        : null,
    identical:
      objects.length === 0 &&
      schemaDump.length === 0 &&
      data.length === 0 &&
      sequences.length === 0 &&
      (proved?.proof.ok ?? true),
    timings: {
      inventoryMs: Math.max(src!.inventoryMs, tgt!.inventoryMs),
      checksumMs,
      totalMs: ctx.now().getTime() - started,
    },
  };
  ctx.log.info(
    `  ${result.tablesCompared} tables (${result.rowsCompared.toLocaleString('en-US')} rows) compared; ${objects.length} object, ${schemaDump.length} schema dump, ${data.length} data and ${sequences.length} sequence difference(s)`,
  );
  return result;
}

export const validateJob: Job<ValidateOptions, ValidateResult> = {
  name: 'validate',
  description:
    'Compares a target with its source, object by object through the catalog model (tables’ columns, defaults, ' +
    'generated expressions, constraints and indexes; views; functions; triggers and their enabled state; RLS flags ' +
    'and policies; grants and default privileges; sequences; enums; extensions; every other object kind), ' +
    '`pg_dump --schema-only` of the app schemas entry by entry, and every replicated table’s row ' +
    'count and checksum and every sequence’s state, reading both servers in parallel. Exit 1 on any difference.',
  examples: [
    'npm run validate -- --source dev --target staging',
    'npm run validate -- --source dev --target staging --digest artifacts/sync',
  ],
  flags: {
    source: { type: 'string', value: '<env|url>', description: 'the database the target should replicate' },
    target: { type: 'string', value: '<env|url>', description: 'the replica to check' },
    locate: {
      type: 'boolean',
      description: 'narrow each differing table to its first 20 differing primary keys (bisection)',
    },
    'platform-tables': {
      ...platformTablesFlag,
      description: `${platformTablesFlag.description}: give the sync's --platform-tables`,
    },
    masked: {
      type: 'boolean',
      description:
        'the target is a masked copy (sync --mask; implied when the source is production): masked columns are left out of the checksums and proven changed, FKs and unique constraints proven whole, neutralized webhooks accepted',
    },
    config: maskingFlags.config,
    digest: {
      type: 'string',
      value: '<dir>',
      description:
        "a committed sync's --out directory: compare the target's rows with the checksums that sync took of the source's snapshot, instead of reading the source's rows again",
    },
    'connect-timeout': connectTimeoutFlag,
  },
  parse(flags, env) {
    const { databases, platformTables, connectTimeout } = readFlags({
      databases: () => requireSourceAndTarget(flags, env, 'validate', false),
      platformTables: () => parseList(flags['platform-tables']),
      connectTimeout: () => parseConnectTimeout(flags['connect-timeout']),
    });
    return {
      ...databases,
      ...(platformTables ? { platformTables } : {}),
      ...(typeof flags.digest === 'string' ? { digestDir: flags.digest } : {}),
      masked: flags.masked === true,
      ...(parseMaskingFlags(flags).config ? { config: flags.config as string } : {}),
      connectTimeout,
      workers: 2,
      locate: flags.locate === true,
      env,
    };
  },
  run: runValidate,
  render: renderValidateSummary,
  verdict: (r) => ({
    ok: r.identical,
    headline: r.identical
      ? `${r.target.display} is an exact replica of ${r.source.display}: ${r.tablesCompared} tables, ${r.rowsCompared.toLocaleString('en-US')} rows (${(r.timings.totalMs / 1000).toFixed(1)} s)`
      : `${r.target.display} differs from ${r.source.display}: ${r.objects.length} object(s), ${r.schemaDump.length} schema dump entr${r.schemaDump.length === 1 ? 'y' : 'ies'}, ${r.data.length} table(s) of data, ${r.sequences.length} sequence(s)`,
    problems: [
      ...r.objects
        .slice(0, 50)
        .map(
          (d) =>
            `${d.kind} ${d.object}: ${d.change}${d.fields ? ` (${d.fields.map((f) => f.field).join(', ')})` : ''}`,
        ),
      ...r.schemaDump
        .slice(0, 50)
        .map(
          (d) =>
            `pg_dump ${d.kind} ${d.object}: ${d.change}${d.change === 'differs' ? ` (source: ${d.source} / target: ${d.target})` : ''}`,
        ),
      ...r.data
        .slice(0, 50)
        .map(
          (d) =>
            `rows of ${d.table}: source ${d.expected?.rows ?? '—'}, target ${d.actual?.rows ?? '—'}${d.expected && d.actual && d.expected.rows === d.actual.rows ? ', content differs' : ''}`,
        ),
      ...(r.masked?.proof.columns ?? [])
        .filter((c) => c.unchanged > 0)
        .map((c) => `masked column ${c.table}.${c.column}: ${c.unchanged} value(s) equal to the source's`),
      ...(r.masked?.proof.foreignKeys ?? [])
        .filter((f) => f.dangling > 0)
        .map((f) => `FK ${f.name} on ${f.table}: ${f.dangling} row(s) reference nothing`),
      ...(r.masked?.proof.uniques ?? [])
        .filter((u) => u.duplicates > 0)
        .map((u) => `unique ${u.constraint} on ${u.table}: ${u.duplicates} duplicated value(s)`),
      ...r.sequences.map(
        (x) =>
          `sequence ${x.sequence}: ${x.source ? `source ${x.source.lastValue}` : 'missing on the source'}, ${x.target ? `target ${x.target.lastValue}` : 'missing on the target'}`,
      ),
    ],
    warnings: [],
  }),
  outputs: (r) => ({
    identical: r.identical,
    object_differences: r.objects.length + r.schemaDump.length,
    data_differences: r.data.length,
    tables: r.tablesCompared,
  }),
};
