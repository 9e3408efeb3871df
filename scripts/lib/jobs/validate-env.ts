// validate-env: reads a workflow for the secrets and variables its jobs need, then checks that
// this process holds each (as the workflow maps them; locally from .env), well-formed and, with
// --connect, reachable — the first step of a job, so a missing secret fails in seconds by name.

import { EnvsyncError, InputError, readFlags } from '../base/errors.ts';
import { connectTimeoutFlag, parseConnectTimeout, parseList } from '../cli/database-flags.ts';
import {
  type NeededName,
  parseInputsFlag,
  readWorkflowNeeds,
  type WorkflowNeeds,
} from '../cli/workflow-needs.ts';
import { connect, connectionError, type Sql } from '../db/connect.ts';
import { type DatabaseTarget, urlSecrets } from '../db/url.ts';
import { renderValidateEnvSummary } from '../report/validate-env-summary.ts';
import type { NameCheck, NameStatus, ValidateEnvResult } from '../results/validate-env.ts';
import { checkForm, kindOfName } from './env-value-checks.ts';
import type { Job, JobContext } from './runner.ts';

export interface ValidateEnvOptions {
  needs: WorkflowNeeds;
  scope: { environment: string | null; job: string | null };
  /** The value of each needed name (the process environment over .env): checked, never printed. */
  values: Record<string, string | undefined>;
  connect: boolean;
  connectTimeout: number;
  /** The values that come from secrets, for the runner's mask. */
  secrets: string[];
}

/** The statuses that fail the check, in the order the headline names them. */
export const FAILING: NameStatus[] = ['missing', 'malformed', 'unreachable'];

export async function runValidateEnv(ctx: JobContext, o: ValidateEnvOptions): Promise<ValidateEnvResult> {
  const checks = await Promise.all(o.needs.names.map((n) => checkName(ctx, o, n)));
  const width = Math.max(0, ...checks.map((c) => c.name.length));
  for (const c of checks) ctx.log.info(`  ${c.status.padEnd(11)} ${c.name.padEnd(width)}  ${c.detail}`);
  return {
    workflow: o.needs.workflow,
    scope: o.scope,
    jobs: o.needs.jobs,
    inputs: o.needs.inputs,
    connect: o.connect,
    checks,
    direct: o.needs.direct,
    unmapped: o.needs.unmapped,
    notes: o.needs.notes,
  };
}

/** One name: present, missing (or unset, when it may be), well-formed, and reachable with --connect. */
async function checkName(ctx: JobContext, o: ValidateEnvOptions, n: NeededName): Promise<NameCheck> {
  const kind = kindOfName(n.name);
  const base = {
    name: n.name,
    kind,
    from: n.from,
    jobs: n.jobs,
    ...(n.optional ? { optional: n.optional } : {}),
    ...(n.stepOnly ? { stepOnly: n.stepOnly } : {}),
  };
  const value = o.values[n.name];
  if (value === undefined || value.trim() === '') {
    return n.optional
      ? { ...base, status: 'unset', detail: `not set (optional: ${n.optional})` }
      : { ...base, status: 'missing', detail: missingDetail(n) };
  }
  const form = checkForm(n.name, kind, value, ctx.now());
  if (!form.ok) return { ...base, status: 'malformed', detail: form.problem };
  if (o.connect && form.database) {
    const reached = await reach(form.database, o.connectTimeout);
    return reached.ok
      ? {
          ...base,
          status: 'present',
          detail: `${form.detail}: connected, PostgreSQL ${reached.version}`,
          latencyMs: reached.ms,
        }
      : { ...base, status: 'unreachable', detail: `${form.detail}: ${reached.problem}` };
  }
  return { ...base, status: 'present', detail: form.detail };
}

/** Where the value should come from: the secret or variable, and where GitHub keeps it. */
function missingDetail(n: NeededName): string {
  const sources = n.from.map((r) =>
    r.replace(/^secrets\./, 'the secret ').replace(/^vars\./, 'the variable '),
  );
  const environments = [...new Set(n.environments.filter((e): e is string => e !== null))];
  const where = environments.length
    ? `in environment ${environments.join(', ')} or the repository`
    : 'in the repository';
  const step = n.stepOnly
    ? `; mapped only in the env of step "${n.stepOnly}": give the validate-env step the same env`
    : '';
  return `not set: ${sources.join(' or ')}, ${where}${step}`;
}

const elapsed = (t0: number) => Math.round(performance.now() - t0);

/** connect (with its `select 1` and session check), the server's version, closed again. */
async function reach(
  target: DatabaseTarget,
  connectTimeout: number,
): Promise<{ ok: true; ms: number; version: string } | { ok: false; problem: string }> {
  const t0 = performance.now();
  let sql: Sql | undefined;
  try {
    sql = await connect(target, { applicationName: 'envsync validate-env', connectTimeout });
    const [row] = await sql`select current_setting('server_version') as v`;
    return { ok: true, ms: elapsed(t0), version: String(row!.v) };
  } catch (error) {
    const e = error instanceof EnvsyncError ? error : connectionError(target, error);
    // connectionError names `<flag> <display>: …`; the display is already in the detail.
    return { ok: false, problem: e.message.replace(`${target.flag} ${target.display}: `, '') };
  } finally {
    await sql?.end({ timeout: 1 }).catch(() => {});
  }
}

/** `--optional NAME,PREFIX_*`: names that may be unset (the job works without them). */
function parseOptional(value: unknown): RegExp[] {
  const patterns = parseList(value) ?? [];
  const bad = patterns.filter((p) => !/^[A-Za-z_*][A-Za-z0-9_*]*$/.test(p));
  if (bad.length) {
    throw new InputError(
      `--optional ${bad.join(', ')}: not a variable name or pattern`,
      'give names or patterns with *, e.g. --optional STAGING_APP_URL,*_SUPABASE_ANON_KEY',
    );
  }
  return patterns.map((p) => new RegExp(`^${p.replace(/\*/g, '[A-Za-z0-9_]*')}$`));
}

function optionalScope(flag: unknown, name: string): string | null {
  if (flag === undefined) return null;
  if (typeof flag !== 'string' || flag.trim() === '') {
    throw new InputError(`--${name} needs a value`, `give --${name} <${name === 'job' ? 'id' : 'name'}>`);
  }
  return flag.trim();
}

/** The needs with --optional applied, each pattern that matched nothing noted (a typo fails no check). */
function withOptional(needs: WorkflowNeeds, patterns: RegExp[], given: unknown): WorkflowNeeds {
  const names = needs.names.map((n) =>
    !n.optional && patterns.some((p) => p.test(n.name)) ? { ...n, optional: 'given in --optional' } : n,
  );
  const unused = (parseList(given) ?? []).filter(
    (_, i) => !needs.names.some((n) => patterns[i]!.test(n.name)),
  );
  const notes = unused.length
    ? [...needs.notes, `--optional ${unused.join(', ')} matches no name these jobs need`]
    : needs.notes;
  return { ...needs, names, notes };
}

/** Secret values (not variables') for the mask: a database URL in all its password spellings. */
function secretValues(needs: WorkflowNeeds, values: Record<string, string | undefined>): string[] {
  return needs.names.flatMap((n) => {
    const v = values[n.name];
    if (!v || v.length < 6 || !n.from.some((r) => r.startsWith('secrets.'))) return [];
    return kindOfName(n.name) === 'database-url' ? urlSecrets(v.trim()) : [v];
  });
}

export const validateEnvJob: Job<ValidateEnvOptions, ValidateEnvResult> = {
  name: 'validate-env',
  description:
    'Reads a workflow for the secrets and variables its jobs use (in one --environment, one --job, or all), as ' +
    'the env names its steps see them, and checks that each is set in this process (locally: the environment ' +
    'over .env) and well-formed: *_DATABASE_URL a postgres:// URL naming a database, BACKUP_ENCRYPTION_KEY as ' +
    'backup requires it, other *_URL https (http only to localhost), Supabase keys a JWT or sb_publishable_… / ' +
    'sb_secret_… of the right role. --connect connects to every database URL. Never prints a value. Run it as ' +
    'the first step of a workflow job, so a missing secret fails in seconds, by name.',
  examples: [
    'npm run validate-env -- --workflow .github/workflows/db-sync.yml --environment staging',
    'npm run validate-env -- --workflow db-sync --environment staging --connect --optional "*_SUPABASE_*,*_CRITICAL_TABLES"',
    'npx tsx scripts/validate-env.ts --workflow .github/workflows/db-sync.yml --job analyze --inputs "$INPUTS"',
  ],
  flags: {
    workflow: {
      type: 'string',
      value: '<file>',
      description: 'the workflow file (or a name in .github/workflows, e.g. db-sync)',
    },
    environment: {
      type: 'string',
      value: '<name>',
      description: 'check the jobs that run in this GitHub Environment (default: every job)',
    },
    job: { type: 'string', value: '<id>', description: 'check this one job (as its first step does)' },
    inputs: {
      type: 'string',
      value: '<json>',
      description:
        "the workflow's inputs as JSON, over its declared defaults (on Actions: toJSON(inputs) through env)",
    },
    optional: {
      type: 'string',
      value: '<A,B_*>',
      description: 'names that may be unset (the jobs work without them); * matches any part of a name',
    },
    connect: { type: 'boolean', description: 'also connect to every database URL (select 1)' },
    'connect-timeout': connectTimeoutFlag,
  },
  parse(flags, env) {
    const { workflow, environment, job, inputs, optional, connectTimeout } = readFlags({
      workflow: () => {
        if (typeof flags.workflow !== 'string' || flags.workflow === '') {
          throw new InputError(
            '--workflow is required',
            'pass --workflow .github/workflows/<file>.yml (or just its name, e.g. --workflow db-sync)',
          );
        }
        return flags.workflow;
      },
      environment: () => optionalScope(flags.environment, 'environment'),
      job: () => optionalScope(flags.job, 'job'),
      inputs: () => parseInputsFlag(flags.inputs),
      optional: () => parseOptional(flags.optional),
      connectTimeout: () => parseConnectTimeout(flags['connect-timeout']),
    });
    const read = readWorkflowNeeds(workflow, {
      ...(environment !== null ? { environment } : {}),
      ...(job !== null ? { job } : {}),
      ...(inputs ? { inputs } : {}),
    });
    const needs = withOptional(read, optional, flags.optional);
    const values = Object.fromEntries(needs.names.map((n) => [n.name, env[n.name]]));
    return {
      needs,
      scope: { environment, job },
      values,
      connect: flags.connect === true,
      connectTimeout,
      secrets: secretValues(needs, values),
    };
  },
  run: runValidateEnv,
  render: renderValidateEnvSummary,
  verdict: (r) => {
    const failing = r.checks.filter((c) => FAILING.includes(c.status));
    const reachable = r.checks.filter((c) => c.latencyMs !== undefined).length;
    const unset = r.checks.filter((c) => c.status === 'unset').length;
    const good = r.checks.length - failing.length - unset;
    const headline = failing.length
      ? FAILING.map((status) => {
          const these = failing.filter((c) => c.status === status);
          if (!these.length) return null;
          const named = these.map((c) => (status === 'missing' ? c.name : `${c.name} (${c.detail})`));
          return `${status}: ${named.join(', ')}`;
        })
          .filter((g) => g !== null)
          .join('; ')
      : r.checks.length === 0
        ? `nothing to check: no secret or variable reaches ${r.scope.job ? `job ${r.scope.job}` : 'these jobs'} of ${r.workflow} through env`
        : `${good} name${good === 1 ? '' : 's'} set and well-formed${r.connect ? ` (${reachable} database${reachable === 1 ? '' : 's'} reachable)` : ''}${unset ? `, ${unset} optional unset` : ''} for ${scopeText(r)} of ${r.workflow}`;
    return {
      ok: failing.length === 0,
      headline,
      problems: failing.map((c) => `${c.name} ${c.status} — ${c.detail} (jobs ${c.jobs.join(', ')})`),
      warnings: [
        ...r.direct.map(
          (d) =>
            `${d.ref} is used directly in ${d.where} of job ${d.job}: it cannot be checked from the process (map it through env to have it checked)`,
        ),
        ...r.notes,
      ],
    };
  },
  outputs: (r) => {
    const names = (status: NameStatus) =>
      r.checks
        .filter((c) => c.status === status)
        .map((c) => c.name)
        .join(',');
    return {
      ok: r.checks.every((c) => !FAILING.includes(c.status)),
      checked: r.checks.length,
      missing: names('missing'),
      malformed: names('malformed'),
      unreachable: names('unreachable'),
    };
  },
};

/** `environment staging`, `job analyze` or `every job`, for the headline. */
function scopeText(r: ValidateEnvResult): string {
  if (r.scope.job) return `job ${r.scope.job}`;
  if (r.scope.environment) return `the jobs in environment ${r.scope.environment}`;
  return 'every job';
}
