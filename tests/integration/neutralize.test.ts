// A copy of production neutralized on its target, against real peers: webhook triggers whose
// calls a local HTTP server receives (Supabase's http_request convention, pg_net's functions),
// pg_cron running the copied jobs, and a live logical replication subscription. Each proof has
// its positive control: the same thing, not neutralized, does reach its peer.
//
// pg_cron schedules by the minute: the jobs are copied and neutralized in beforeAll, the other
// tests run meanwhile, and the last test waits for the one minute tick that follows.

import type postgres from 'postgres';
import { DEFAULT_SIDE_EFFECTS, type SideEffectsConfig } from '../../scripts/lib/cli/config.ts';
import { type Cluster, startCluster } from '../../scripts/lib/db/cluster.ts';
import { ident, literal, qname } from '../../scripts/lib/db/sql-text.ts';
import {
  findSideEffects,
  type NeutralizedAction,
  neutralizeStatements,
  type SideEffect,
} from '../../scripts/lib/sync/neutralize.ts';
import {
  type CallOutDatabase,
  callOutDatabase,
  type Received,
  type RecordingServer,
  recordingServer,
  requireCallOutExtensions,
  rolledBack,
} from '../helpers/side-effects.ts';
import { until } from '../helpers/wait.ts';

const ownCluster = process.env.TEST_DATABASE_URL ? describe.skip : describe;

let server: RecordingServer;
let db: CallOutDatabase;
let publisher: Cluster | undefined;
let app: postgres.Sql;
let su: postgres.Sql;
/** When the copied cron jobs were committed, and what neutralizing them did. */
let cron: { committedAt: number; disabled: NeutralizedAction[]; rewritten: NeutralizedAction[] };

const prod = () => `${server.base}/prod`;
const staging = () => `${server.base}/staging`;
const settings = (c: Partial<SideEffectsConfig>): SideEffectsConfig => ({ ...DEFAULT_SIDE_EFFECTS, ...c });
const rewrite = () =>
  settings({ webhooks: 'rewrite', cron: 'rewrite', rewrite: { from: prod(), to: staging() } });

const ODD_SCHEMA = 'Odd "Schema"';
const ODD_TABLE = 'Guest List';
const ODD_TRIGGER = `Notify "VIP" guest's arrival`;
const ODD_CONSTRAINT_TRIGGER = 'Late "Check"';

/** Requests that webhooks made after `since` (cron jobs call under /cron/, and may do so at any moment). */
const webhookCalls = (since: number): Received[] =>
  server.received.slice(since).filter((r) => !r.path.includes('/cron/'));

const byName = (actions: NeutralizedAction[]) => Object.fromEntries(actions.map((a) => [a.name, a]));

/** Finds and neutralizes in `tx`, as the sync will; answers what was found and done. */
async function neutralize(
  tx: postgres.TransactionSql,
  scope: { schemas: string[]; cronCopied: boolean },
  config: SideEffectsConfig,
  only: (e: SideEffect) => boolean = () => true,
) {
  const effects = (await findSideEffects(tx, scope)).filter(only);
  const planned = neutralizeStatements(effects, config);
  for (const s of planned.statements) await tx.unsafe(s);
  return { effects, ...planned };
}

/** The app's tables and triggers, as `postgres` creates them; a trigger function in plpython3u needs a superuser. */
async function createApp() {
  const json = (v: unknown) => literal(JSON.stringify(v));
  const webhook = (url: string, method = 'POST', headers: unknown = { 'Content-Type': 'application/json' }) =>
    `supabase_functions.http_request(${literal(url)}, ${literal(method)}, ${json(headers)}, '{}', '1000')`;
  await app.unsafe(`
    create table public.profiles (id int primary key, email text, plan text);
    create table public.orders (id int primary key, total numeric);
    create table public.invoices (id int primary key, amount numeric);
    create table public.crm_events (id int primary key, note text);
    create table public.cron_ticks (job text not null, at timestamptz not null default now());

    -- Database Webhooks as the dashboard writes them: url, method, headers, params, timeout_ms.
    create trigger notify_signup after insert or update of email on public.profiles
      for each row when (new.email is not null)
      execute function ${webhook(`${prod()}/hook`, 'POST', { 'Content-Type': 'application/json', Authorization: 'Bearer prod-secret' })};
    comment on trigger notify_signup on public.profiles is 'tells the CRM about sign-ups';
    create trigger notify_order after insert on public.orders
      for each row execute function ${webhook(`${prod()}/orders`)};
    alter table public.orders enable always trigger notify_order;
    create trigger notify_partner after insert on public.orders
      for each row execute function ${webhook(`${server.base}/partner/orders`)};
    create trigger notify_legacy after insert on public.profiles
      for each row execute function ${webhook(`${prod()}/legacy`, 'GET', {})};
    alter table public.profiles disable trigger notify_legacy;

    -- Trigger functions whose bodies call out: pg_net directly, and through a helper.
    create function public.invoice_to_accounting() returns trigger language plpgsql as $fn$
    begin
      perform net.http_post(url := ${literal(`${prod()}/accounting`)}, body := to_jsonb(new));
      return new;
    end $fn$;
    create trigger invoice_to_accounting after insert on public.invoices
      for each row execute function public.invoice_to_accounting();
    create function public.tell_crm(payload jsonb) returns void language plpgsql as $fn$
    begin
      perform net.http_post(${literal(`${prod()}/crm`)}, payload);
    end $fn$;
    create function public.crm_event() returns trigger language plpgsql as $fn$
    begin
      perform public.tell_crm(to_jsonb(new));
      return new;
    end $fn$;
    create trigger crm_event after insert on public.crm_events
      for each row execute function public.crm_event();

    -- A trigger that stays inside the database: never a side effect.
    create function public.default_plan() returns trigger language plpgsql as $fn$
    begin
      new.plan := coalesce(new.plan, 'free');
      return new;
    end $fn$;
    create trigger default_plan before insert on public.profiles
      for each row execute function public.default_plan();

    -- Hostile names: quotes, spaces, capitals, a reserved word.
    create schema ${ident(ODD_SCHEMA)};
    create table ${qname(ODD_SCHEMA, ODD_TABLE)} (id int primary key, "Select" text);
    create trigger ${ident(ODD_TRIGGER)} after insert or update of "Select" on ${qname(ODD_SCHEMA, ODD_TABLE)}
      for each row when (new."Select" is not null)
      execute function ${webhook(`${prod()}/vip?name=o'brien`)};
    create constraint trigger ${ident(ODD_CONSTRAINT_TRIGGER)} after insert on ${qname(ODD_SCHEMA, ODD_TABLE)}
      deferrable initially immediate
      for each row execute function ${webhook(`${prod()}/late`)};
    comment on trigger ${ident(ODD_CONSTRAINT_TRIGGER)} on ${qname(ODD_SCHEMA, ODD_TABLE)} is 'it''s "late"';
  `);
  const slack = JSON.stringify(`${prod()}/slack`);
  await su.unsafe(`
    create function public.slack_alert() returns trigger language plpython3u as $fn$
import json, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
request = urllib.request.Request(${slack}, data=json.dumps(TD['new'], default=str).encode(),
                                 method='POST', headers={'Content-Type': 'application/json'})
opener.open(request, timeout=5).read()
return None
$fn$;
    alter function public.slack_alert() owner to postgres;`);
  await app.unsafe(`create trigger slack_alert after insert on public.invoices
    for each row execute function public.slack_alert()`);
}

/** A row into each public table with a trigger. */
async function insertRows(sql: postgres.Sql | postgres.TransactionSql, id: number) {
  await sql.unsafe(`
    insert into public.profiles (id, email) values (${id}, 'guest${id}@example.com');
    insert into public.orders values (${id}, 10.5);
    insert into public.invoices values (${id}, 99);
    insert into public.crm_events values (${id}, 'hello');`);
}

const hookCount = async (sql: postgres.Sql | postgres.TransactionSql) =>
  Number((await sql`select count(*) as n from supabase_functions.hooks`)[0]!.n);

/** pg_get_triggerdef of every trigger on a table, by name. */
async function definitions(schema: string, table: string): Promise<Record<string, string>> {
  const rows = await app`
    select tgname, pg_get_triggerdef(oid) as def from pg_trigger
    where tgrelid = ${qname(schema, table)}::regclass and not tgisinternal`;
  return Object.fromEntries(rows.map((r) => [String(r.tgname), String(r.def)]));
}

async function enabledStates(schema: string, table: string): Promise<Record<string, string>> {
  const rows = await app`
    select tgname, tgenabled::text as state from pg_trigger
    where tgrelid = ${qname(schema, table)}::regclass and not tgisinternal`;
  return Object.fromEntries(rows.map((r) => [String(r.tgname), String(r.state)]));
}

/**
 * Production's pg_cron jobs copied into the target's cron.job and neutralized in the same
 * transaction, as the sync does: they are never active on the target. `purge-sessions` is
 * disabled by a superuser (UPDATE cron.job); the rest are neutralized by `postgres`, who on
 * Supabase may only read cron.job and changes its own jobs through cron.alter_job.
 */
async function copyCronJobs() {
  const jobs: [string, string][] = [
    ['tick', `insert into public.cron_ticks (job) values ('tick')`],
    [
      'nightly-digest',
      `select net.http_post(url := '${prod()}/cron/digest', body := '{"job": "digest"}'::jsonb)`,
    ],
    ['partner-sync', `select net.http_get('${server.base}/partner/cron/sync')`],
    ['purge-sessions', `insert into public.cron_ticks (job) values ('purge-sessions')`],
    ['crm-report', `select public.tell_crm('{"job": "report"}')`],
  ];
  let disabled: NeutralizedAction[] = [];
  let rewritten: NeutralizedAction[] = [];
  await su.begin(async (tx) => {
    for (const [name, command] of jobs)
      await tx`insert into cron.job (jobname, schedule, command, username, active)
               values (${name}, '* * * * *', ${command}, 'postgres', true)`;
    disabled = (
      await neutralize(tx, { schemas: [], cronCopied: true }, settings({ cron: 'disable' }), (e) =>
        e.name.endsWith(' purge-sessions'),
      )
    ).actions;
    await tx`set local role postgres`;
    rewritten = (await neutralize(tx, { schemas: [], cronCopied: true }, rewrite())).actions;
  });
  cron = { committedAt: Date.now(), disabled, rewritten };
}

beforeAll(async () => {
  if (process.env.TEST_DATABASE_URL) return;
  server = await recordingServer();
  [db, publisher] = await Promise.all([
    callOutDatabase(),
    startCluster({ name: 'publisher', settings: { wal_level: 'logical' } }),
  ]);
  app = db.app();
  su = db.superuser();
  await createApp();
  await copyCronJobs();
}, 120_000);

afterAll(async () => {
  await Promise.all([app?.end(), su?.end()]);
  await Promise.all([db?.cluster.destroy(), publisher?.destroy(), server?.close()]);
});

test('a server without pg_cron or plpython3u fails the file with the packages to install', () => {
  expect(() => requireCallOutExtensions({ bindir: '/nonexistent/bin', major: 99, version: '99.0' })).toThrow(
    'the side-effect tests need pg_cron (Debian/Ubuntu: apt-get install postgresql-99-cron) and plpython3u (Debian/Ubuntu: apt-get install postgresql-plpython3-99) for PostgreSQL 99 (/nonexistent/bin); .ci/run installs them',
  );
});

ownCluster('webhooks', () => {
  test('every call-out is found: Database Webhooks by their URL, functions that call out by their body', async () => {
    const effects = await rolledBack(app, (tx) =>
      findSideEffects(tx, { schemas: ['public'], cronCopied: false }),
    );
    expect(effects.map((e) => [e.name, e.via, e.urls])).toEqual([
      ['trigger crm_event on public.crm_events', 'function calls out', [`${prod()}/crm`]],
      ['trigger invoice_to_accounting on public.invoices', 'function calls out', [`${prod()}/accounting`]],
      ['trigger slack_alert on public.invoices', 'function calls out', [`${prod()}/slack`]],
      ['trigger notify_order on public.orders', 'database webhook', [`${prod()}/orders`]],
      ['trigger notify_partner on public.orders', 'database webhook', [`${server.base}/partner/orders`]],
      ['trigger notify_legacy on public.profiles', 'database webhook', [`${prod()}/legacy`]],
      ['trigger notify_signup on public.profiles', 'database webhook', [`${prod()}/hook`]],
    ]);
    expect(effects.find((e) => e.trigger?.name === 'crm_event')!.trigger!.calls).toBe('public.tell_crm');
    expect(effects.find((e) => e.trigger?.name === 'slack_alert')!.trigger!.calls).toBe('urllib');
    // keep: nothing changes, and the summary still says what calls out.
    const kept = neutralizeStatements(effects, settings({ webhooks: 'keep' }));
    expect(kept.statements).toEqual([]);
    expect(kept.actions.every((a) => a.action === 'kept' && /keep —/.test(a.detail))).toBe(true);
  });

  test('disable: inserts that reach production before reach nothing after', async () => {
    // Control: every trigger calls its endpoint.
    let since = server.received.length;
    await insertRows(app, 1);
    expect(
      webhookCalls(since)
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    ).toEqual([
      'POST /partner/orders',
      'POST /prod/accounting',
      'POST /prod/crm',
      'POST /prod/hook',
      'POST /prod/orders',
      'POST /prod/slack',
    ]);
    const hooks = await hookCount(app);
    expect(hooks).toBe(3);

    const done = await rolledBack(app, async (tx) => {
      const n = await neutralize(tx, { schemas: ['public'], cronCopied: false }, settings({}));
      since = server.received.length;
      await insertRows(tx, 2);
      // The webhooks run inside the insert: when it returns, anything they sent has arrived.
      return {
        ...n,
        calls: webhookCalls(since),
        hooks: await hookCount(tx),
        plan: (await tx`select plan from public.profiles where id = 2`)[0]!.plan,
        states: (
          await tx`
          select tgname, tgenabled::text as state from pg_trigger
          where tgrelid in ('public.profiles'::regclass, 'public.orders'::regclass) and not tgisinternal`
        ).map((r) => `${r.tgname}:${r.state}`),
      };
    });
    expect(done.calls).toEqual([]);
    expect(done.hooks).toBe(hooks);
    // A trigger that does not call out still runs.
    expect(done.plan).toBe('free');
    expect(done.states.sort()).toEqual([
      'default_plan:O',
      'notify_legacy:D',
      'notify_order:D',
      'notify_partner:D',
      'notify_signup:D',
    ]);
    expect(done.statements).toContain('ALTER TABLE "public"."orders" DISABLE TRIGGER "notify_order"');
    const actions = byName(done.actions);
    expect(actions['trigger notify_legacy on public.profiles']).toMatchObject({
      action: 'kept',
      detail: 'already disabled',
    });
    expect(actions['trigger notify_signup on public.profiles']).toMatchObject({
      action: 'disabled',
      detail: `POST ${prod()}/hook (database webhook)`,
    });
    expect(actions['trigger crm_event on public.crm_events']!.detail).toBe(
      `its function public.crm_event calls out (public.tell_crm): ${prod()}/crm`,
    );
  });

  test('rewrite: a webhook under the prefix calls staging, same method, payload and headers; the rest is disabled', async () => {
    let since = server.received.length;
    await app`update public.profiles set email = 'changed@example.com' where id = 1`;
    const control = webhookCalls(since);
    expect(control.map((r) => r.path)).toEqual(['/prod/hook']);

    const [profiles, orders] = [
      await definitions('public', 'profiles'),
      await definitions('public', 'orders'),
    ];
    const done = await app.begin((tx) =>
      neutralize(tx, { schemas: ['public'], cronCopied: false }, rewrite()),
    );
    expect(
      done.actions.map((a) => [a.name, a.action, a.detail]).sort((a, b) => a[0]!.localeCompare(b[0]!)),
    ).toEqual([
      [
        'trigger crm_event on public.crm_events',
        'disabled',
        `its function public.crm_event calls out (public.tell_crm): ${prod()}/crm; a function body is not rewritten`,
      ],
      [
        'trigger invoice_to_accounting on public.invoices',
        'disabled',
        `its function public.invoice_to_accounting calls out (net.http_post): ${prod()}/accounting; a function body is not rewritten`,
      ],
      [
        'trigger notify_legacy on public.profiles',
        'rewritten',
        `${prod()}/legacy → ${staging()}/legacy (stays disabled)`,
      ],
      ['trigger notify_order on public.orders', 'rewritten', `${prod()}/orders → ${staging()}/orders`],
      [
        'trigger notify_partner on public.orders',
        'disabled',
        `${server.base}/partner/orders does not start with ${prod()}`,
      ],
      ['trigger notify_signup on public.profiles', 'rewritten', `${prod()}/hook → ${staging()}/hook`],
      [
        'trigger slack_alert on public.invoices',
        'disabled',
        `its function public.slack_alert calls out (urllib): ${prod()}/slack; a function body is not rewritten`,
      ],
    ]);

    // Only the URL changed: timing, events, columns, WHEN, the other arguments, state and comment stay.
    const swap = (def: string, path: string) =>
      def.replace(literal(`${prod()}${path}`), literal(`${staging()}${path}`));
    expect(await definitions('public', 'profiles')).toEqual({
      ...profiles,
      notify_signup: swap(profiles.notify_signup!, '/hook'),
      notify_legacy: swap(profiles.notify_legacy!, '/legacy'),
    });
    expect(await definitions('public', 'orders')).toEqual({
      ...orders,
      notify_order: swap(orders.notify_order!, '/orders'),
    });
    expect(await enabledStates('public', 'orders')).toEqual({ notify_order: 'A', notify_partner: 'D' });
    expect(await enabledStates('public', 'profiles')).toEqual({
      default_plan: 'O',
      notify_legacy: 'D',
      notify_signup: 'O',
    });
    const [comment] = await app`
      select obj_description(oid, 'pg_trigger') as c from pg_trigger where tgname = 'notify_signup'`;
    expect(comment!.c).toBe('tells the CRM about sign-ups');

    since = server.received.length;
    await app`update public.profiles set email = 'again@example.com' where id = 1`;
    await insertRows(app, 3);
    const calls = webhookCalls(since);
    expect(calls.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'POST /staging/hook',
      'POST /staging/hook',
      'POST /staging/orders',
    ]);
    const [before, after] = [control[0]!, calls[0]!];
    const shape = (r: Received) => {
      const body = JSON.parse(r.body);
      return {
        method: r.method,
        keys: Object.keys(body).sort(),
        record: Object.keys(body.record).sort(),
        type: body.type,
        table: `${body.schema}.${body.table}`,
        authorization: r.headers.authorization,
        contentType: r.headers['content-type'],
      };
    };
    expect(shape(after)).toEqual(shape(before));
    expect(shape(after)).toMatchObject({
      keys: ['old_record', 'record', 'schema', 'table', 'type'],
      type: 'UPDATE',
      table: 'public.profiles',
      authorization: 'Bearer prod-secret',
    });
    expect(JSON.parse(after.body).record.email).toBe('again@example.com');
  });

  test('hostile names: quoted schema, table, triggers and URL are disabled and rewritten exactly', async () => {
    const scope = { schemas: [ODD_SCHEMA], cronCopied: false };
    const table = qname(ODD_SCHEMA, ODD_TABLE);
    let since = server.received.length;
    await app.unsafe(`insert into ${table} values (1, 'yes')`);
    expect(webhookCalls(since).map((r) => r.path)).toEqual(['/prod/late', "/prod/vip?name=o'brien"]);

    const disabled = await rolledBack(app, async (tx) => {
      const n = await neutralize(tx, scope, settings({}));
      since = server.received.length;
      await tx.unsafe(`insert into ${table} values (2, 'yes')`);
      return { ...n, calls: webhookCalls(since) };
    });
    expect(disabled.statements).toEqual([
      `ALTER TABLE "Odd ""Schema"""."Guest List" DISABLE TRIGGER "Late ""Check"""`,
      `ALTER TABLE "Odd ""Schema"""."Guest List" DISABLE TRIGGER "Notify ""VIP"" guest's arrival"`,
    ]);
    expect(disabled.calls).toEqual([]);
    expect(disabled.actions.map((a) => a.name)).toEqual([
      `trigger ${ODD_CONSTRAINT_TRIGGER} on ${ODD_SCHEMA}.${ODD_TABLE}`,
      `trigger ${ODD_TRIGGER} on ${ODD_SCHEMA}.${ODD_TABLE}`,
    ]);

    const before = await definitions(ODD_SCHEMA, ODD_TABLE);
    const rewritten = await app.begin((tx) => neutralize(tx, scope, rewrite()));
    expect(rewritten.actions.map((a) => a.action)).toEqual(['rewritten', 'rewritten']);
    expect(await definitions(ODD_SCHEMA, ODD_TABLE)).toEqual({
      [ODD_CONSTRAINT_TRIGGER]: before[ODD_CONSTRAINT_TRIGGER]!.replace(
        literal(`${prod()}/late`),
        literal(`${staging()}/late`),
      ),
      [ODD_TRIGGER]: before[ODD_TRIGGER]!.replace(
        literal(`${prod()}/vip?name=o'brien`),
        literal(`${staging()}/vip?name=o'brien`),
      ),
    });
    // The constraint trigger was dropped and created again: still deferrable, its comment back.
    const [late] = await app`
      select t.tgdeferrable, obj_description(t.oid, 'pg_trigger') as comment
      from pg_trigger t where t.tgname = ${ODD_CONSTRAINT_TRIGGER}`;
    expect(late).toEqual({ tgdeferrable: true, comment: `it's "late"` });

    since = server.received.length;
    await app.unsafe(`insert into ${table} values (3, 'yes')`);
    expect(webhookCalls(since).map((r) => r.path)).toEqual(['/staging/late', "/staging/vip?name=o'brien"]);
  });
});

ownCluster('subscriptions', () => {
  test('a live subscription: kept (with the reason) for postgres, disabled by a superuser, and it stops', async () => {
    const pub = publisher!.admin();
    try {
      await pub.unsafe(`
        create table public.feed (id int primary key, note text);
        insert into public.feed values (1, 'copied');
        create publication prod_feed for table public.feed`);
      await su.unsafe('create table public.feed (id int primary key, note text)');
      await su.unsafe(
        `create subscription prod_feed connection ${literal(publisher!.superuserUrl())} publication prod_feed`,
      );
      const has = async (id: number) => (await su`select 1 from public.feed where id = ${id}`).length > 0;
      // Control: the initial copy, then a row streamed live.
      expect(await until(() => has(1), 30_000, 50)).toBe(true);
      await pub`insert into public.feed values (2, 'streamed')`;
      expect(await until(() => has(2), 30_000, 50)).toBe(true);

      const asApp = await rolledBack(app, (tx) =>
        neutralize(tx, { schemas: [], cronCopied: false }, settings({})),
      );
      expect(asApp.statements).toEqual([]);
      expect(asApp.actions).toEqual([
        {
          kind: 'subscription',
          name: 'subscription prod_feed',
          action: 'kept',
          blocked: true,
          detail:
            'publication prod_feed: owned by supabase_admin, and postgres is neither its owner nor a superuser — run ALTER SUBSCRIPTION "prod_feed" DISABLE as supabase_admin',
        },
      ]);

      const asSuperuser = await su.begin((tx) =>
        neutralize(tx, { schemas: [], cronCopied: false }, settings({})),
      );
      expect(asSuperuser.statements).toEqual(['ALTER SUBSCRIPTION "prod_feed" DISABLE']);
      expect(asSuperuser.actions).toEqual([
        {
          kind: 'subscription',
          name: 'subscription prod_feed',
          action: 'disabled',
          detail: 'publication prod_feed',
        },
      ]);
      // Its apply worker exits; nothing applies the publisher's rows any more.
      const worker = async () =>
        (await su`select pid from pg_stat_subscription where subname = 'prod_feed' and pid is not null`)
          .length;
      expect(await until(async () => (await worker()) === 0, 30_000, 50)).toBe(true);
      await pub`insert into public.feed values (3, 'after')`;
      expect(await has(3)).toBe(false);
      expect(
        (await su`select subenabled from pg_subscription where subname = 'prod_feed'`)[0]!.subenabled,
      ).toBe(false);
      // Run again: already disabled.
      const again = await rolledBack(su, (tx) =>
        neutralize(tx, { schemas: [], cronCopied: false }, settings({})),
      );
      expect(again.actions[0]).toMatchObject({ action: 'kept', detail: 'already disabled' });
    } finally {
      await pub.end();
    }
  });
});

ownCluster('pg_cron', () => {
  test('a job of another role cannot be changed by postgres: reported kept, blocked, with the fix', async () => {
    const found = await rolledBack(su, async (tx) => {
      await tx`insert into cron.job (jobname, schedule, command, username)
               values ('auth-cleanup', '0 3 * * *', 'delete from auth.sessions', 'supabase_auth_admin')`;
      await tx`set local role postgres`;
      return neutralize(tx, { schemas: [], cronCopied: true }, settings({}), (e) =>
        e.name.endsWith(' auth-cleanup'),
      );
    });
    expect(found.statements).toEqual([]);
    expect(found.actions).toEqual([
      expect.objectContaining({
        kind: 'cron',
        action: 'kept',
        blocked: true,
        detail:
          'copied from the source, but postgres may not change it (job of supabase_auth_admin; postgres cannot UPDATE cron.job) — run the sync as a superuser or as supabase_auth_admin',
      }),
    ]);
  });

  test('cron jobs: what is reported for each', () => {
    const names = (actions: NeutralizedAction[]) =>
      actions.map((a) => [a.name.replace(/^cron job \d+ /, ''), a.action, a.detail]);
    expect(names(cron.disabled)).toEqual([['purge-sessions', 'disabled', 'copied from the source']]);
    expect(names(cron.rewritten)).toEqual([
      [
        'tick',
        'kept',
        'its command stays inside the database (no URL, net.http_*, http_* or function that calls out)',
      ],
      ['nightly-digest', 'rewritten', `${prod()}/cron/digest → ${staging()}/cron/digest`],
      ['partner-sync', 'disabled', `calls out (net.http_get), not to ${prod()}`],
      ['purge-sessions', 'kept', 'already inactive'],
      ['crm-report', 'disabled', 'calls public.tell_crm, which calls out; a function body is not rewritten'],
    ]);
  });

  test('pg_cron runs the kept and the rewritten job at the next minute, and never the disabled ones', async () => {
    const ticks = async (job: string) =>
      Number((await app`select count(*) as n from public.cron_ticks where job = ${job}`)[0]!.n);
    // The first minute tick after the commit, with room for one more when the commit fell just
    // before a tick (the scheduler may have read the jobs a moment after it).
    const untilTick = 60_000 - (cron.committedAt % 60_000);
    const wait = cron.committedAt + untilTick + (untilTick < 3000 ? 60_000 : 0) + 10_000 - Date.now();
    expect(await until(async () => (await ticks('tick')) > 0, wait, 250)).toBe(true);
    expect(await until(() => server.received.some((r) => r.path === '/staging/cron/digest'), 10_000)).toBe(
      true,
    );
    // That tick started every job due then: wait for its runs to end, then look at which ran.
    const running = async () =>
      Number(
        (
          await su`select count(*) as n from cron.job_run_details where status not in ('succeeded', 'failed')`
        )[0]!.n,
      );
    expect(await until(async () => (await running()) === 0, 10_000, 50)).toBe(true);
    const ran = await su`
      select distinct j.jobname from cron.job_run_details d join cron.job j using (jobid) order by 1`;
    expect(ran.map((r) => r.jobname)).toEqual(['nightly-digest', 'tick']);
    const digest = server.received.find((r) => r.path === '/staging/cron/digest')!;
    expect([digest.method, JSON.parse(digest.body)]).toEqual(['POST', { job: 'digest' }]);
    expect(server.received.filter((r) => /^\/(prod|partner)\/cron\//.test(r.path))).toEqual([]);
    expect(await ticks('purge-sessions')).toBe(0);
    const jobs = await su`select jobname, active, command from cron.job order by jobid`;
    expect(jobs.map((j) => [j.jobname, j.active])).toEqual([
      ['tick', true],
      ['nightly-digest', true],
      ['partner-sync', false],
      ['purge-sessions', false],
      ['crm-report', false],
    ]);
    expect(jobs[1]!.command).toBe(
      `select net.http_post(url := '${staging()}/cron/digest', body := '{"job": "digest"}'::jsonb)`,
    );
  }, 140_000);
});
