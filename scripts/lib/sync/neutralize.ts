// What a copy of production must not do on its target — call production's endpoints from
// triggers, run production's pg_cron jobs, replicate from its publications — found on the
// target and turned into statements the sync runs in its own transaction, before COMMIT.

import type { Query } from '../db/connect.ts';
import { ident, literal, qname } from '../db/sql-text.ts';
import type { SideEffectsConfig } from '../results/config.ts';

export interface TriggerSideEffect {
  schema: string;
  table: string;
  name: string;
  /** ALTER TABLE works on tables, ALTER FOREIGN TABLE on foreign tables; a view's triggers cannot be disabled. */
  relation: 'table' | 'foreign table' | 'view';
  enabled: 'origin' | 'disabled' | 'replica' | 'always';
  /** The trigger function, `schema.name`. */
  function: string;
  /** Its function is supabase_functions.http_request: the URL is its first argument. */
  webhook: boolean;
  args: string[];
  /** pg_get_triggerdef under search_path pg_catalog: every name in it qualified. */
  definition: string;
  constraintTrigger: boolean;
  comment: string | null;
  /** What in its function's body (or a function it calls) calls out: `net.http_post`, `public.notify_api`. */
  calls: string;
}

export interface CronJobSideEffect {
  jobid: string;
  jobname: string | null;
  command: string;
  username: string;
  active: boolean;
  /** How the connecting role can change the row: UPDATE cron.job, cron.alter_job (its own jobs only), or not at all. */
  change: 'update' | 'alter_job' | null;
  /** The connecting role. */
  role: string;
  /** What in the command calls out (null: it stays inside the database). */
  callsOut: string | null;
  /** The functions here it calls that call out (their bodies are not rewritten). */
  callsFunctions: string[];
}

export interface SubscriptionSideEffect {
  name: string;
  owner: string;
  enabled: boolean;
  publications: string[];
  role: string;
  /** The connecting role owns it (or is a member of its owner) or is a superuser: ALTER SUBSCRIPTION is allowed. */
  canAlter: boolean;
}

export interface SideEffect {
  kind: 'webhook' | 'cron' | 'subscription';
  /** For people: `trigger notify_signup on public.profiles`, `cron job 3 nightly-digest`, `subscription prod_feed` */
  name: string;
  /** The URLs it calls, when they can be read (a webhook's first trigger argument, URLs found in a cron command or a function body). */
  urls: string[];
  /** webhook: how it calls out — 'database webhook' (supabase_functions.http_request) or 'function calls out' (its function's body calls net.http_* / http_*) */
  via?: string;
  trigger?: TriggerSideEffect;
  cronJob?: CronJobSideEffect;
  subscription?: SubscriptionSideEffect;
}

export interface NeutralizedAction {
  kind: SideEffect['kind'];
  name: string;
  action: 'disabled' | 'rewritten' | 'kept';
  /** One line for the summary: e.g. `https://api.prod.example.com/hook → https://staging.example.com/hook`, or why it was kept/disabled. */
  detail: string;
  /** The config asked to neutralize it and the connecting role cannot: it is still live on the target. */
  blocked?: true;
}

// ── finding them ────────────────────────────────────────────────────────────

/** Calls out of the database in SQL, PL/pgSQL or an untrusted language's body; the first match names it. */
const CALL_OUT: RegExp[] = [
  /\bnet\s*\.\s*"?http_(?:get|post|delete)\b/i, // pg_net
  /\bsupabase_functions\s*\.\s*"?http_request\b/i,
  /\bhttp_(?:get|post|put|patch|delete|head)\s*\(/i, // the http extension, any schema
  /(?:^|[^\w$."])(?:\w+\s*\.\s*)?http\s*\(/i, // the http extension's http(request)
  /\bdblink(?:_exec|_send_query|_open)?\s*\(/i, // another database, maybe production's
  /\burlopen\b|\burllib\b|\bhttp\.client\b|\bhttplib2?\b|\brequests\s*\.\s*(?:get|post|put|patch|delete|request)\b/, // plpython
  /\bLWP::|\bHTTP::Tiny\b|\bIO::Socket\b/, // plperlu
];
const URL_PATTERN = /https?:\/\/[^\s'"`\\)\]}>,;]+/gi;

/**
 * What in `text` calls out of the database (the matched call), or null. A URL alone does not
 * count in a function body (a trigger may only build links); in a cron command it does.
 */
export function callOutIn(text: string): string | null {
  for (const p of CALL_OUT) {
    const m = p.exec(text);
    if (m) return m[0].replace(/^[^\w]+|\s*\($/g, '').replace(/\s+/g, '');
  }
  return null;
}

export const urlsIn = (text: string): string[] => [...new Set(text.match(URL_PATTERN) ?? [])];

interface FunctionSource {
  oid: string;
  schema: string;
  name: string;
  body: string;
}

interface CallingOut {
  /** What it calls: the call in its body, or the function here through which it calls out. */
  calls: string;
  urls: string[];
}

/**
 * A function that calling already counts as calling out (net.http_post, http_get…): a call to
 * it is seen by CALL_OUT with its URL argument in view, not as a body that cannot be rewritten.
 */
const isPrimitive = (f: FunctionSource) => callOutIn(`${f.schema}.${f.name}(`) !== null;

/** `name(` in a body: unquoted names fold to lower case, others appear quoted. */
function callPattern(name: string): RegExp {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (/^[a-z_][a-z0-9_$]*$/.test(name)) return new RegExp(`(?:^|[^\\w$])"?${escaped}"?\\s*\\(`, 'i');
  return new RegExp(`"${escaped.replace(/"/g, '""')}"\\s*\\(`);
}

/**
 * The functions whose bodies call out, directly or through other functions here, by oid. A body
 * is text: a call built with EXECUTE or hidden in a C function is not seen, and a name mentioned
 * in a comment counts — on the safe side for a trigger, which is then disabled.
 */
function callingOut(functions: FunctionSource[]): Map<string, CallingOut> {
  const found = new Map<string, CallingOut>();
  for (const f of functions) {
    const call = callOutIn(f.body);
    if (call) found.set(f.oid, { calls: call, urls: urlsIn(f.body) });
  }
  for (let changed = true; changed; ) {
    changed = false;
    const callees = functions
      .filter((f) => found.has(f.oid) && !isPrimitive(f))
      .map((f) => ({ f, pattern: callPattern(f.name) }));
    for (const f of functions) {
      if (found.has(f.oid)) continue;
      const callee = callees.find((c) => c.f.oid !== f.oid && c.pattern.test(f.body));
      if (!callee) continue;
      const via = found.get(callee.f.oid)!;
      found.set(f.oid, {
        calls: `${callee.f.schema}.${callee.f.name}`,
        urls: [...new Set([...urlsIn(f.body), ...via.urls])],
      });
      changed = true;
    }
  }
  return found;
}

async function functionSources(tx: Query): Promise<FunctionSource[]> {
  // Every function with a body we can read (not C or internal), outside the system schemas.
  const rows = await tx`
    select p.oid::text as oid, n.nspname as schema, p.proname as name,
           coalesce(nullif(p.prosrc, ''), pg_catalog.pg_get_function_sqlbody(p.oid), '') as body
    from pg_catalog.pg_proc p
    join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    join pg_catalog.pg_language l on l.oid = p.prolang
    where n.nspname not in ('pg_catalog', 'information_schema') and l.lanname not in ('c', 'internal')`;
  return rows.map((r) => ({
    oid: String(r.oid),
    schema: String(r.schema),
    name: String(r.name),
    body: String(r.body),
  }));
}

const ENABLED = { O: 'origin', D: 'disabled', R: 'replica', A: 'always' } as const;
const RELATION = { r: 'table', p: 'table', f: 'foreign table', v: 'view' } as const;

/** A trigger's arguments: tgargs holds them NUL-terminated, one after another. */
function triggerArgs(tgargs: Buffer | Uint8Array | null, count: number): string[] {
  if (!tgargs || count === 0) return [];
  return Buffer.from(tgargs).toString('utf8').split('\0').slice(0, count);
}

/**
 * Triggers on the tables of `schemas` that call out: Database Webhooks, and triggers whose
 * function's body calls out. Definitions are read under search_path pg_catalog so that every
 * name in them is qualified and a rebuilt trigger means the same whatever the caller's path.
 */
async function triggerEffects(tx: Query, schemas: string[], out: Map<string, CallingOut>) {
  const [current] = await tx`select pg_catalog.current_setting('search_path') as path`;
  const path = String(current!.path);
  await tx`select pg_catalog.set_config('search_path', 'pg_catalog', true)`;
  let rows: Record<string, unknown>[];
  try {
    // User triggers (clones on partitions follow their parent's) with their function and arguments.
    rows = await tx`
      select t.oid::text as oid, n.nspname as schema, c.relname as table, c.relkind::text as relkind,
             t.tgname as name, t.tgenabled::text as enabled, t.tgfoid::text as function_oid,
             pn.nspname as function_schema, p.proname as function_name,
             t.tgconstraint <> 0 as constraint_trigger, t.tgnargs as nargs, t.tgargs as args,
             pg_catalog.pg_get_triggerdef(t.oid) as definition,
             pg_catalog.obj_description(t.oid, 'pg_trigger') as comment
      from pg_catalog.pg_trigger t
      join pg_catalog.pg_class c on c.oid = t.tgrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      join pg_catalog.pg_proc p on p.oid = t.tgfoid
      join pg_catalog.pg_namespace pn on pn.oid = p.pronamespace
      where not t.tgisinternal and t.tgparentid = 0 and n.nspname = any(${schemas}::text[])
      order by n.nspname, c.relname, t.tgname`;
  } finally {
    await tx`select pg_catalog.set_config('search_path', ${path}, true)`.catch(() => {});
  }
  const effects: SideEffect[] = [];
  for (const r of rows) {
    const webhook = r.function_schema === 'supabase_functions' && r.function_name === 'http_request';
    const calling = out.get(String(r.function_oid));
    if (!webhook && !calling) continue;
    const args = triggerArgs(r.args as Buffer | null, Number(r.nargs));
    const trigger: TriggerSideEffect = {
      schema: String(r.schema),
      table: String(r.table),
      name: String(r.name),
      relation: RELATION[String(r.relkind) as keyof typeof RELATION] ?? 'table',
      enabled: ENABLED[String(r.enabled) as keyof typeof ENABLED] ?? 'origin',
      function: `${r.function_schema}.${r.function_name}`,
      webhook,
      args,
      definition: String(r.definition),
      constraintTrigger: Boolean(r.constraint_trigger),
      comment: r.comment === null ? null : String(r.comment),
      calls: webhook ? 'supabase_functions.http_request' : calling!.calls,
    };
    effects.push({
      kind: 'webhook',
      name: `trigger ${trigger.name} on ${trigger.schema}.${trigger.table}`,
      urls: webhook ? (args[0] ? [args[0]] : []) : calling!.urls,
      via: webhook ? 'database webhook' : 'function calls out',
      trigger,
    });
  }
  return effects;
}

/** The rows of cron.job, and how the connecting role may change each (UPDATE, or cron.alter_job on its own). */
async function cronEffects(tx: Query, functions: FunctionSource[], out: Map<string, CallingOut>) {
  const [access] = await tx`
    select pg_catalog.to_regclass('cron.job') is not null as present, current_user as role,
           r.rolsuper as superuser, r.rolbypassrls as bypass_rls,
           pg_catalog.to_regprocedure('cron.alter_job(bigint,text,text,text,text,boolean)') as alter_job
    from pg_catalog.pg_roles r where r.rolname = current_user`;
  if (!access?.present) return [];
  const [rights] = await tx`
    select pg_catalog.has_table_privilege('cron.job', 'UPDATE') as can_update,
           pg_catalog.pg_has_role(c.relowner, 'USAGE') as owns
    from pg_catalog.pg_class c where c.oid = 'cron.job'::regclass`;
  // cron.alter_job (pg_cron ≥ 1.4) changes the caller's own jobs as the extension's owner.
  const canAlter =
    access.alter_job !== null &&
    Boolean(
      (await tx`select pg_catalog.has_function_privilege(${String(access.alter_job)}, 'EXECUTE') as ok`)[0]!
        .ok,
    );
  const role = String(access.role);
  const superuser = Boolean(access.superuser);
  // Row security on cron.job lets a role see and update only its own jobs, unless it bypasses it.
  const allRows = superuser || Boolean(access.bypass_rls) || Boolean(rights!.owns);
  const rows = await tx`
    select jobid::text as jobid, jobname::text as jobname, command, username, active
    from cron.job order by jobid`;
  const callers = functions
    .filter((f) => out.has(f.oid) && !isPrimitive(f))
    .map((f) => ({ f, pattern: callPattern(f.name) }));
  return rows.map((r): SideEffect => {
    const command = String(r.command);
    const username = String(r.username);
    const callsFunctions = callers
      .filter((c) => c.pattern.test(command))
      .map((c) => `${c.f.schema}.${c.f.name}`);
    const urls = [
      ...new Set([
        ...urlsIn(command),
        ...callers.flatMap((c) =>
          callsFunctions.includes(`${c.f.schema}.${c.f.name}`) ? out.get(c.f.oid)!.urls : [],
        ),
      ]),
    ];
    const change =
      rights!.can_update && (allRows || username === role)
        ? 'update'
        : canAlter && (superuser || username === role)
          ? 'alter_job'
          : null;
    const cronJob: CronJobSideEffect = {
      jobid: String(r.jobid),
      jobname: r.jobname === null ? null : String(r.jobname),
      command,
      username,
      active: Boolean(r.active),
      change,
      role,
      callsOut: callOutIn(command) ?? urlsIn(command)[0] ?? callsFunctions[0] ?? null,
      callsFunctions,
    };
    return {
      kind: 'cron',
      name: `cron job ${cronJob.jobid}${cronJob.jobname ? ` ${cronJob.jobname}` : ''}`,
      urls,
      cronJob,
    };
  });
}

/** This database's logical replication subscriptions (the columns anyone may read). */
async function subscriptionEffects(tx: Query): Promise<SideEffect[]> {
  const rows = await tx`
    select s.subname as name, pg_catalog.pg_get_userbyid(s.subowner) as owner, s.subenabled as enabled,
           s.subpublications as publications, current_user as role,
           pg_catalog.pg_has_role(s.subowner, 'USAGE')
             or (select rolsuper from pg_catalog.pg_roles where rolname = current_user) as can_alter
    from pg_catalog.pg_subscription s
    where s.subdbid = (select oid from pg_catalog.pg_database where datname = pg_catalog.current_database())
    order by s.subname`;
  return rows.map((r) => {
    const subscription: SubscriptionSideEffect = {
      name: String(r.name),
      owner: String(r.owner),
      enabled: Boolean(r.enabled),
      publications: (r.publications as string[]) ?? [],
      role: String(r.role),
      canAlter: Boolean(r.can_alter),
    };
    return { kind: 'subscription', name: `subscription ${subscription.name}`, urls: [], subscription };
  });
}

/** What on the target (read in the caller's transaction) calls out: webhook triggers on tables of `schemas`, cron jobs when `cronCopied`, subscriptions of this database. */
export async function findSideEffects(
  tx: Query,
  scope: { schemas: string[]; cronCopied: boolean },
): Promise<SideEffect[]> {
  const functions = await functionSources(tx);
  const out = callingOut(functions);
  return [
    ...(await triggerEffects(tx, scope.schemas, out)),
    ...(scope.cronCopied ? await cronEffects(tx, functions, out) : []),
    ...(await subscriptionEffects(tx)),
  ];
}

// ── neutralizing them ───────────────────────────────────────────────────────

interface Neutralized {
  statements: string[];
  action: Omit<NeutralizedAction, 'kind' | 'name'>;
}

const kept = (detail: string, blocked = false): Neutralized => ({
  statements: [],
  action: { action: 'kept', detail, ...(blocked ? { blocked: true as const } : {}) },
});

const alterRelation = (t: TriggerSideEffect) =>
  `${t.relation === 'foreign table' ? 'ALTER FOREIGN TABLE' : 'ALTER TABLE'} ${qname(t.schema, t.table)}`;

/** What a webhook trigger calls, in one line. */
function calls(e: SideEffect, t: TriggerSideEffect): string {
  if (t.webhook) return `${t.args[1] ?? 'POST'} ${t.args[0] ?? '(no URL)'} (database webhook)`;
  return `its function ${t.function} calls out (${t.calls})${e.urls.length ? `: ${e.urls.join(', ')}` : ''}`;
}

function disableTrigger(e: SideEffect, t: TriggerSideEffect, why: string): Neutralized {
  if (t.enabled === 'disabled') return kept('already disabled');
  if (t.relation === 'view')
    return kept(`${why}; a trigger on a view cannot be disabled — drop it on the target or keep it`, true);
  return {
    statements: [`${alterRelation(t)} DISABLE TRIGGER ${ident(t.name)}`],
    action: { action: 'disabled', detail: why || calls(e, t) },
  };
}

/**
 * The trigger's definition with other arguments: pg_get_triggerdef ends with
 * `(<each argument quoted>)`, so the arguments are replaced by position from the end and
 * the rest — timing, events, columns, WHEN, the function — is kept as the server wrote it.
 * Null when the definition does not end as expected (then the trigger is disabled instead).
 */
export function withArguments(t: TriggerSideEffect, args: string[]): string | null {
  const tail = `(${t.args.map(literal).join(', ')})`;
  if (!t.definition.endsWith(tail)) return null;
  return `${t.definition.slice(0, -tail.length)}(${args.map(literal).join(', ')})`;
}

function rewriteTrigger(t: TriggerSideEffect, from: string, to: string, url: string): Neutralized | null {
  const rewritten = to + url.slice(from.length);
  const definition = withArguments(t, [rewritten, ...t.args.slice(1)]);
  if (!definition) return null;
  const on = `${ident(t.name)} ON ${qname(t.schema, t.table)}`;
  const statements: string[] = [];
  if (!t.constraintTrigger && definition.startsWith('CREATE TRIGGER ')) {
    // Replaced in place: same oid, so its comment and its clones on partitions stay.
    statements.push(`CREATE OR REPLACE TRIGGER ${definition.slice('CREATE TRIGGER '.length)}`);
  } else {
    statements.push(`DROP TRIGGER ${on}`, definition);
    if (t.comment !== null) statements.push(`COMMENT ON TRIGGER ${on} IS ${literal(t.comment)}`);
  }
  // A new trigger fires on origin: the state it had is put back.
  const state = { origin: null, disabled: 'DISABLE', replica: 'ENABLE REPLICA', always: 'ENABLE ALWAYS' }[
    t.enabled
  ];
  if (state) statements.push(`${alterRelation(t)} ${state} TRIGGER ${ident(t.name)}`);
  return {
    statements,
    action: {
      action: 'rewritten',
      detail: `${url} → ${rewritten}${t.enabled === 'disabled' ? ' (stays disabled)' : ''}`,
    },
  };
}

function neutralizeWebhook(e: SideEffect, t: TriggerSideEffect, config: SideEffectsConfig): Neutralized {
  if (config.webhooks === 'keep') return kept(`side_effects.webhooks: keep — ${calls(e, t)}`);
  if (config.webhooks === 'disable') return disableTrigger(e, t, calls(e, t));
  const rewrite = config.rewrite;
  if (!rewrite) return disableTrigger(e, t, `${calls(e, t)}; no side_effects.rewrite prefix is configured`);
  if (!t.webhook) return disableTrigger(e, t, `${calls(e, t)}; a function body is not rewritten`);
  const url = t.args[0];
  if (!url?.startsWith(rewrite.from))
    return disableTrigger(e, t, `${url ?? 'no URL'} does not start with ${rewrite.from}`);
  return (
    rewriteTrigger(t, rewrite.from, rewrite.to, url) ??
    disableTrigger(e, t, `${url}: its definition could not be rebuilt with the new URL`)
  );
}

/** One cron job changed: by UPDATE cron.job, or cron.alter_job (which a non-superuser may run on its own jobs). */
function changeJob(j: CronJobSideEffect, change: { active: false } | { command: string }): string {
  const id = `${literal(j.jobid)}::bigint`;
  if (j.change === 'update')
    return 'active' in change
      ? `UPDATE cron.job SET active = false WHERE jobid = ${id}`
      : `UPDATE cron.job SET command = ${literal(change.command)} WHERE jobid = ${id}`;
  return 'active' in change
    ? `SELECT cron.alter_job(job_id => ${id}, active => false)`
    : `SELECT cron.alter_job(job_id => ${id}, command => ${literal(change.command)})`;
}

const cannotChange = (j: CronJobSideEffect, why: string) =>
  kept(
    `${why}, but ${j.role} may not change it (job of ${j.username}; ${j.role} cannot UPDATE cron.job) — run the sync as a superuser or as ${j.username}`,
    true,
  );

function neutralizeCron(j: CronJobSideEffect, config: SideEffectsConfig): Neutralized | 'disable' {
  if (!j.active) return kept('already inactive');
  if (config.cron === 'keep')
    return kept(
      `side_effects.cron: keep — ${j.callsOut ? `calls out (${j.callsOut})` : 'runs on the target'}`,
    );
  if (config.cron === 'disable') return 'disable';
  const rewrite = config.rewrite;
  if (rewrite && j.command.includes(rewrite.from)) {
    const command = j.command.split(rewrite.from).join(rewrite.to);
    const elsewhere = urlsIn(command).filter((u) => !u.startsWith(rewrite.to));
    if (elsewhere.length || j.callsFunctions.length) return 'disable';
    if (!j.change) return cannotChange(j, `its command calls ${rewrite.from}`);
    return {
      statements: [changeJob(j, { command })],
      action: {
        action: 'rewritten',
        detail:
          urlsIn(j.command)
            .filter((u) => u.startsWith(rewrite.from))
            .map((u) => `${u} → ${rewrite.to}${u.slice(rewrite.from.length)}`)
            .join(', ') || `${rewrite.from} → ${rewrite.to} in its command`,
      },
    };
  }
  if (j.callsOut) return 'disable';
  return kept(
    'its command stays inside the database (no URL, net.http_*, http_* or function that calls out)',
  );
}

function cronDisableReason(j: CronJobSideEffect, config: SideEffectsConfig): string {
  if (config.cron === 'disable') return j.callsOut ? `calls out (${j.callsOut})` : `copied from the source`;
  const rewrite = config.rewrite;
  if (!rewrite) return `calls out (${j.callsOut}); no side_effects.rewrite prefix is configured`;
  if (j.callsFunctions.length)
    return `calls ${j.callsFunctions.join(', ')}, which call${j.callsFunctions.length > 1 ? '' : 's'} out; a function body is not rewritten`;
  if (j.command.includes(rewrite.from)) {
    const command = j.command.split(rewrite.from).join(rewrite.to);
    return `also calls ${urlsIn(command)
      .filter((u) => !u.startsWith(rewrite.to))
      .join(', ')}, not under ${rewrite.from}`;
  }
  return `calls out (${j.callsOut}), not to ${rewrite.from}`;
}

function neutralizeSubscription(s: SubscriptionSideEffect, config: SideEffectsConfig): Neutralized {
  const what = `publication${s.publications.length === 1 ? '' : 's'} ${s.publications.join(', ')}`;
  if (config.subscriptions === 'keep') return kept(`side_effects.subscriptions: keep — ${what}`);
  if (!s.enabled) return kept('already disabled');
  if (!s.canAlter)
    return kept(
      `${what}: owned by ${s.owner}, and ${s.role} is neither its owner nor a superuser — run ALTER SUBSCRIPTION ${ident(s.name)} DISABLE as ${s.owner}`,
      true,
    );
  return {
    statements: [`ALTER SUBSCRIPTION ${ident(s.name)} DISABLE`],
    action: { action: 'disabled', detail: what },
  };
}

/** The statements that neutralize them as `config` says, and what each does; statements are run in the caller's transaction, in order. */
/**
 * A detail as summaries and sync.json show it: a webhook's or job's URL may carry a credential
 * (`https://user:secret@…`, `?apikey=…`), which is the app's secret, not one envsync was given
 * and could mask — so every URL in it loses its user info and its query values.
 */
export function shownUrls(text: string): string {
  return text.replace(URL_PATTERN, (url) =>
    url.replace(/^(https?:\/\/)[^/@]*@/i, '$1***@').replace(/([?&][^=&#]+)=[^&#]*/g, '$1=***'),
  );
}

export function neutralizeStatements(
  effects: SideEffect[],
  config: SideEffectsConfig,
): { statements: string[]; actions: NeutralizedAction[] } {
  const statements: string[] = [];
  const actions: NeutralizedAction[] = [];
  // Cron jobs disabled by UPDATE go in one statement, after the others.
  const updates: string[] = [];
  for (const e of effects) {
    let done: Neutralized;
    if (e.trigger) done = neutralizeWebhook(e, e.trigger, config);
    else if (e.subscription) done = neutralizeSubscription(e.subscription, config);
    else if (e.cronJob) {
      const j = e.cronJob;
      const decided = neutralizeCron(j, config);
      if (decided !== 'disable') done = decided;
      else {
        const why = cronDisableReason(j, config);
        if (!j.change) done = cannotChange(j, why);
        else if (j.change === 'update') {
          updates.push(j.jobid);
          done = { statements: [], action: { action: 'disabled', detail: why } };
        } else
          done = {
            statements: [changeJob(j, { active: false })],
            action: { action: 'disabled', detail: why },
          };
      }
    } else continue;
    statements.push(...done.statements);
    actions.push({ kind: e.kind, name: e.name, ...done.action, detail: shownUrls(done.action.detail) });
  }
  if (updates.length)
    statements.push(
      `UPDATE cron.job SET active = false WHERE jobid IN (${updates.map((id) => `${literal(id)}::bigint`).join(', ')})`,
    );
  return { statements, actions };
}
