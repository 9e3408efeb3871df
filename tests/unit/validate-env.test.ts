// validate-env against the repository's real workflows (and one fixture workflow that uses a
// secret every way a job can): what each environment's jobs need, a missing or malformed value
// named, bad input refused with what exists, and never a value in anything it prints or writes.
// No database: --connect is tested on real PostgreSQL in tests/integration/validate-env.test.ts.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkForm, kindOfName } from '../../scripts/lib/jobs/env-value-checks.ts';
import { validateEnvJob } from '../../scripts/lib/jobs/validate-env.ts';
import type { JobRecord } from '../../scripts/lib/results/job-record.ts';
import type { NameCheck, ValidateEnvResult } from '../../scripts/lib/results/validate-env.ts';
import { expectGolden } from '../helpers/golden.ts';
import { cleanEnv, runInProcess, runScript } from '../helpers/run-script.ts';
import { readKeyValues } from '../helpers/workflow/replay.ts';

const DB_SYNC = '.github/workflows/db-sync.yml';
const DEPLOY_STAGING = '.github/workflows/deploy-staging.yml';
const FIXTURE = 'tests/fixtures/validate-env/deploy.yml';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
/** A Supabase-style JWT (HS256 header, the role claim, an expiry) with a made-up signature. */
const jwt = (role: string, exp = 4102444800) =>
  `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iss: 'supabase', ref: 'abcdefghij', role, iat: 1700000000, exp })}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk`;

// Values that must never appear in anything validate-env prints or writes.
const DEV_URL = 'postgres://postgres:dev-Pa55word-x7@db.dev.example.test:5432/postgres';
const STAGING_URL = 'postgres://postgres:stag1ng-Pa55word-q9@db.staging.example.test:5432/postgres';
const BACKUP_KEY = 'backup-key-0123456789-abcdefghij';
const ANON_KEY = jwt('anon');
const SERVICE_KEY = jwt('service_role');

const tmp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), `envsync-validate-env-${prefix}-`));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  record: JobRecord<ValidateEnvResult>;
  result: ValidateEnvResult;
  summary: string;
  /** Everything a person or a later job could read: both streams, the JSON, the summary. */
  everything: string;
}

async function validateEnv(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const out = tmp('out');
  const r = await runInProcess(validateEnvJob, [...args, '--out', out], cleanEnv(env));
  const json = readFileSync(path.join(out, 'validate-env.json'), 'utf8');
  const summary = readFileSync(path.join(out, 'summary.md'), 'utf8');
  const record = JSON.parse(json) as JobRecord<ValidateEnvResult>;
  return {
    ...r,
    record,
    result: record.result!,
    summary,
    everything: [r.stdout, r.stderr, json, summary].join('\n'),
  };
}

const check = (r: Run, name: string): NameCheck => {
  const c = r.result.checks.find((x) => x.name === name);
  if (!c) throw new Error(`${name} was not checked: ${r.result.checks.map((x) => x.name).join(', ')}`);
  return c;
};
const names = (r: Run) => r.result.checks.map((c) => c.name);

/** Not the value, and not the mask's *** either: nothing ever printed it for the mask to catch. */
function expectNeverShown(r: Run, values: string[]) {
  for (const v of values) expect(r.everything).not.toContain(v);
  expect(r.everything).not.toContain('***');
}

describe('what a workflow needs, read from the repository’s own workflows', () => {
  test('db-sync.yml, environment staging: every job but report, the two database URLs, the backup key, the health check’s Supabase settings', async () => {
    const r = await validateEnv(['--workflow', DB_SYNC, '--environment', 'staging']);
    expect(r.code).toBe(1);
    expect(r.result.jobs.map((j) => j.id)).toEqual(
      expect.arrayContaining([
        'analyze',
        'backup',
        'prepare',
        'sync',
        'validate',
        'health-check',
        'rollback',
      ]),
    );
    expect(r.result.jobs.map((j) => j.id)).not.toContain('report');
    expect(new Set(r.result.jobs.map((j) => j.environment))).toEqual(new Set(['staging']));
    expect(names(r)).toEqual(
      expect.arrayContaining([
        'DEV_DATABASE_URL',
        'STAGING_DATABASE_URL',
        'BACKUP_ENCRYPTION_KEY',
        'STAGING_SUPABASE_URL',
        'STAGING_SUPABASE_ANON_KEY',
        'STAGING_CRITICAL_TABLES',
      ]),
    );
    // The workflow's own defaults (source dev, target staging) decide its conditional mappings:
    // dev's URL reaches the jobs that read the source, staging's those that touch the target.
    expect(r.result.inputs).toMatchObject({ source: 'dev', target: 'staging' });
    expect(check(r, 'DEV_DATABASE_URL').jobs).toEqual(
      expect.arrayContaining(['analyze', 'backup', 'prepare', 'sync', 'validate']),
    );
    expect(check(r, 'DEV_DATABASE_URL').jobs).not.toContain('health-check');
    expect(check(r, 'STAGING_DATABASE_URL').jobs).toEqual(
      expect.arrayContaining(['prepare', 'sync', 'validate', 'health-check', 'rollback']),
    );
    expect(check(r, 'STAGING_DATABASE_URL').jobs).not.toContain('analyze');
    expect(check(r, 'STAGING_DATABASE_URL')).toMatchObject({
      status: 'missing',
      kind: 'database-url',
      from: ['secrets.STAGING_DATABASE_URL'],
    });
    expect(check(r, 'STAGING_DATABASE_URL').detail).toMatch(
      /secret STAGING_DATABASE_URL, in environment staging/,
    );
    expect(check(r, 'STAGING_SUPABASE_URL')).toMatchObject({
      kind: 'https-url',
      from: ['vars.STAGING_SUPABASE_URL'],
    });
  });

  test('the inputs decide a conditional mapping: analyze reads the source’s URL only', async () => {
    const fromDev = await validateEnv(['--workflow', DB_SYNC, '--job', 'analyze'], {
      DEV_DATABASE_URL: DEV_URL,
    });
    expect(fromDev.code).toBe(0);
    expect(names(fromDev)).toEqual(['DEV_DATABASE_URL']);
    expect(fromDev.result.unmapped.map((u) => u.name)).toEqual([
      'STAGING_DATABASE_URL',
      'PRODUCTION_DATABASE_URL',
    ]);
    expect(fromDev.summary).toContain('Not mapped with these inputs');

    const fromStaging = await validateEnv(
      ['--workflow', DB_SYNC, '--job', 'analyze', '--inputs', '{"source":"staging","target":"dev"}'],
      { DEV_DATABASE_URL: DEV_URL },
    );
    expect(names(fromStaging)).toEqual(['STAGING_DATABASE_URL']);
    expect(fromStaging.code).toBe(1);
    expect(fromStaging.stderr.split('\n')[0]).toBe('failed: missing: STAGING_DATABASE_URL');
    // Its environment follows the inputs too (environment || target).
    expect(fromStaging.result.jobs).toEqual([{ id: 'analyze', environment: 'dev' }]);
  });

  test('with another environment’s inputs, --environment dev finds the jobs that run there', async () => {
    const r = await validateEnv([
      '--workflow',
      DB_SYNC,
      '--environment',
      'dev',
      '--inputs',
      '{"source":"staging","target":"dev","environment":"dev"}',
    ]);
    expect(new Set(r.result.jobs.map((j) => j.environment))).toEqual(new Set(['dev']));
    expect(check(r, 'DEV_DATABASE_URL').jobs).toContain('health-check');
    expect(check(r, 'STAGING_DATABASE_URL').jobs).toContain('analyze');
  });

  test('deploy-staging.yml: app-health needs staging’s URL; STAGING_APP_URL may be unset because the job checks it itself; the called db-sync is named', async () => {
    const r = await validateEnv(
      ['--workflow', DEPLOY_STAGING, '--optional', 'STAGING_SUPABASE_*,*_CRITICAL_TABLES'],
      {
        STAGING_DATABASE_URL: STAGING_URL,
      },
    );
    expect(r.code).toBe(0);
    expect(check(r, 'STAGING_APP_URL')).toMatchObject({ status: 'unset' });
    expect(check(r, 'STAGING_APP_URL').optional).toMatch(/checks it itself/);
    expect(check(r, 'STAGING_SUPABASE_ANON_KEY')).toMatchObject({
      status: 'unset',
      optional: 'given in --optional',
    });
    expect(check(r, 'STAGING_DATABASE_URL')).toMatchObject({
      status: 'present',
      detail: 'postgres://postgres@db.staging.example.test:5432/postgres',
    });
    expect(r.result.notes.join('\n')).toMatch(/job database calls \.\/\.github\/workflows\/db-sync\.yml/);
    expect(r.stdout).toMatch(
      /^ok: 1 name set and well-formed, 4 optional unset for every job of \.github\/workflows\/deploy-staging\.yml$/m,
    );
    expectNeverShown(r, [STAGING_URL, 'stag1ng-Pa55word-q9']);
  });

  test('validate-dev.yml: no secret reaches its jobs, nothing to check, exit 0', async () => {
    const r = await validateEnv(['--workflow', 'validate-dev']);
    expect(r.code).toBe(0);
    expect(r.result.checks).toEqual([]);
    expect(r.stdout).toMatch(/^ok: nothing to check/m);
  });
});

describe('a job’s first step: set, missing, malformed — by name, never by value', () => {
  const prepare = ['--workflow', DB_SYNC, '--job', 'prepare'];

  test('all set and well-formed: one line per name, exit 0, the values nowhere', async () => {
    const r = await validateEnv(prepare, {
      DEV_DATABASE_URL: DEV_URL,
      STAGING_DATABASE_URL: STAGING_URL,
      BACKUP_ENCRYPTION_KEY: BACKUP_KEY,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n').filter((l) => /^ {2}\w/.test(l));
    expect(lines).toEqual([
      expect.stringMatching(
        /^ {2}present +DEV_DATABASE_URL +postgres:\/\/postgres@db\.dev\.example\.test:5432\/postgres$/,
      ),
      expect.stringMatching(
        /^ {2}present +STAGING_DATABASE_URL +postgres:\/\/postgres@db\.staging\.example\.test/,
      ),
      expect.stringMatching(/^ {2}present +BACKUP_ENCRYPTION_KEY +long enough/),
    ]);
    expect(r.stdout).toMatch(
      /^ok: 3 names set and well-formed for job prepare of \.github\/workflows\/db-sync\.yml$/m,
    );
    expectNeverShown(r, [DEV_URL, STAGING_URL, BACKUP_KEY, 'dev-Pa55word-x7', 'stag1ng-Pa55word-q9']);
  });

  test('a missing secret is named in the one-line headline, with where it belongs; an empty one counts as missing', async () => {
    for (const empty of [undefined, '', '   ']) {
      const env: Record<string, string> = { DEV_DATABASE_URL: DEV_URL, BACKUP_ENCRYPTION_KEY: BACKUP_KEY };
      if (empty !== undefined) env.STAGING_DATABASE_URL = empty;
      const r = await validateEnv(prepare, env);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')[0]).toBe('failed: missing: STAGING_DATABASE_URL');
      expect(r.stderr).toMatch(
        /STAGING_DATABASE_URL missing — not set: the secret STAGING_DATABASE_URL, in environment staging or the repository/,
      );
      expect(r.record).toMatchObject({ status: 'failed', exitCode: 1 });
      expect(check(r, 'DEV_DATABASE_URL').status).toBe('present');
      expect(r.summary).toMatch(/\*\*1 of 3 names fail\*\*: missing `STAGING_DATABASE_URL`/);
      expectNeverShown(r, [DEV_URL, BACKUP_KEY]);
    }
  });

  test('malformed database URL and backup key: each named with why, in one headline, values nowhere', async () => {
    const badUrl = 'mysql://root:my-Secret-pw-55@db.example.test:3306/app';
    const shortKey = 'short-key-9';
    const r = await validateEnv(prepare, {
      DEV_DATABASE_URL: 'postgres://postgres:no-db-Pa55word@db.dev.example.test:5432',
      STAGING_DATABASE_URL: badUrl,
      BACKUP_ENCRYPTION_KEY: shortKey,
    });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(
      'failed: malformed: DEV_DATABASE_URL (names no database: end it with /<database>, e.g. /postgres), ' +
        'STAGING_DATABASE_URL (not a postgres:// URL), ' +
        'BACKUP_ENCRYPTION_KEY (shorter than 16 characters: backup refuses it (use e.g. openssl rand -base64 32))',
    );
    expect(r.record.result!.checks.map((c) => c.status)).toEqual(['malformed', 'malformed', 'malformed']);
    expectNeverShown(r, [badUrl, 'my-Secret-pw-55', shortKey, 'no-db-Pa55word']);
  });

  test('missing and malformed together: "missing: …; malformed: … (not https)", and a key of the wrong role refused', async () => {
    const r = await validateEnv(['--workflow', DEPLOY_STAGING, '--job', 'app-health'], {
      STAGING_APP_URL: 'http://staging.example.com/api/health',
      STAGING_SUPABASE_URL: 'https://abcdefghij.supabase.co',
      STAGING_SUPABASE_ANON_KEY: SERVICE_KEY,
      STAGING_CRITICAL_TABLES: 'public.tenant_registry',
    });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(
      'failed: missing: STAGING_DATABASE_URL; malformed: STAGING_APP_URL (not https), ' +
        'STAGING_SUPABASE_ANON_KEY (the service_role key, where the anon key belongs)',
    );
    expect(check(r, 'STAGING_SUPABASE_URL')).toMatchObject({
      status: 'present',
      detail: 'https://abcdefghij.supabase.co',
    });
    const outputs = validateEnvJob.outputs(r.result);
    expect(outputs).toMatchObject({
      ok: false,
      missing: 'STAGING_DATABASE_URL',
      malformed: 'STAGING_APP_URL,STAGING_SUPABASE_ANON_KEY',
      unreachable: '',
    });
    // The service key is a secret: neither it nor its signature part is shown.
    expectNeverShown(r, [SERVICE_KEY, SERVICE_KEY.split('.')[1]!]);
  });

  test('locally the values come from .env, and the real environment wins over it (an empty one too)', async () => {
    const dir = tmp('dotenv');
    const file = path.join(dir, '.env');
    writeFileSync(
      file,
      `DEV_DATABASE_URL=not-a-url\nSTAGING_DATABASE_URL=${STAGING_URL}\nBACKUP_ENCRYPTION_KEY=${BACKUP_KEY}\n`,
    );
    const r = await validateEnv(prepare, { ENVSYNC_ENV_FILE: file, DEV_DATABASE_URL: DEV_URL });
    expect(r.code).toBe(0);
    expect(check(r, 'STAGING_DATABASE_URL').status).toBe('present');
    expect(check(r, 'DEV_DATABASE_URL').detail).toContain('db.dev.example.test');

    const emptied = await validateEnv(prepare, {
      ENVSYNC_ENV_FILE: file,
      DEV_DATABASE_URL: DEV_URL,
      BACKUP_ENCRYPTION_KEY: '',
    });
    expect(emptied.stderr.split('\n')[0]).toBe('failed: missing: BACKUP_ENCRYPTION_KEY');
  });

  test('on GitHub Actions: the outputs and step summary name what is missing, every secret is registered as a mask before anything prints', async () => {
    const dir = tmp('actions');
    const output = path.join(dir, 'output');
    const summary = path.join(dir, 'summary');
    writeFileSync(output, '');
    writeFileSync(summary, '');
    const r = await runScript(
      'validate-env',
      [
        ...prepare,
        '--inputs',
        '{"source":"dev","target":"staging","environment":"staging"}',
        '--out',
        path.join(dir, 'out'),
      ],
      cleanEnv({
        GITHUB_ACTIONS: 'true',
        GITHUB_OUTPUT: output,
        GITHUB_STEP_SUMMARY: summary,
        DEV_DATABASE_URL: DEV_URL,
        STAGING_DATABASE_URL: '',
        BACKUP_ENCRYPTION_KEY: BACKUP_KEY,
      }),
    );
    expect(r.code).toBe(1);
    expect(readKeyValues(output)).toMatchObject({
      status: 'failed',
      headline: 'missing: STAGING_DATABASE_URL',
      ok: 'false',
      missing: 'STAGING_DATABASE_URL',
    });
    expect(readFileSync(summary, 'utf8')).toContain('missing `STAGING_DATABASE_URL`');
    expect(r.stdout).toMatch(/^::error::STAGING_DATABASE_URL missing/m);
    // A value reaches stdout only inside the runner's ::add-mask:: command, which GitHub swallows.
    const lines = r.stdout.split('\n');
    for (const secret of [DEV_URL, BACKUP_KEY, 'dev-Pa55word-x7']) {
      expect(lines.filter((l) => l.includes(secret)).every((l) => l.startsWith('::add-mask::'))).toBe(true);
    }
    expect(lines.some((l) => l === `::add-mask::${BACKUP_KEY}`)).toBe(true);
    expect(r.stderr + readFileSync(summary, 'utf8') + readFileSync(output, 'utf8')).not.toContain(
      'dev-Pa55word-x7',
    );
  });
});

describe('every way a job uses a secret (tests/fixtures/validate-env/deploy.yml)', () => {
  const good = {
    PRODUCTION_DATABASE_URL: 'postgres://postgres:pr0d-Pa55word-z3@db.prod.example.test:5432/postgres',
    DEV_DATABASE_URL: DEV_URL,
    BACKUP_ENCRYPTION_KEY: BACKUP_KEY,
    PRODUCTION_SUPABASE_URL: 'https://prodrefabcd.supabase.co',
    PRODUCTION_SUPABASE_ANON_KEY: ANON_KEY,
    PRODUCTION_SUPABASE_SERVICE_ROLE_KEY: 'sb_secret_AbCdEfGhIjKlMnOpQrStUv_12345678',
    PRODUCTION_APP_URL: 'https://app.example.com/api/health',
    API_SECRET: 'api-secret-value-42',
    NOTIFY_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX',
  };

  test('mapped names checked, GitHub’s token skipped, direct uses reported, a fallback and an if: make a name optional', async () => {
    const r = await validateEnv(['--workflow', FIXTURE], good);
    expect(r.code).toBe(0);
    expect(names(r)).toEqual([
      'PRODUCTION_DATABASE_URL',
      'DEV_DATABASE_URL',
      'BACKUP_ENCRYPTION_KEY',
      'PRODUCTION_SUPABASE_URL',
      'PRODUCTION_SUPABASE_ANON_KEY',
      'PRODUCTION_SUPABASE_SERVICE_ROLE_KEY',
      'PRODUCTION_APP_URL',
      'PRODUCTION_CRITICAL_TABLES',
      'API_SECRET',
      'NOTIFY_WEBHOOK_URL',
    ]);
    expect(names(r)).not.toContain('GH_TOKEN');
    expect(names(r)).not.toContain('GITHUB_TOKEN');
    expect(r.result.jobs).toEqual([
      { id: 'deploy', environment: 'production' },
      { id: 'notify', environment: null },
      { id: 'downstream', environment: null },
    ]);
    expect(r.result.direct).toEqual([
      { ref: 'secrets.DEPLOY_TOKEN', job: 'deploy', where: 'with.token of step "actions/checkout@v4"' },
      { ref: 'secrets.RELEASE_NOTES_KEY', job: 'deploy', where: 'run of step "release notes"' },
    ]);
    expect(r.stdout).toMatch(/^warning: secrets\.DEPLOY_TOKEN is used directly in with\.token/m);
    expect(check(r, 'PRODUCTION_CRITICAL_TABLES')).toMatchObject({ status: 'unset' });
    expect(check(r, 'NOTIFY_WEBHOOK_URL').optional).toMatch(/job notify checks it itself/);
    expect(check(r, 'API_SECRET').stepOnly).toBe('ask the API');
    expect(check(r, 'PRODUCTION_SUPABASE_ANON_KEY').detail).toBe('JWT, role anon');
    expect(check(r, 'PRODUCTION_SUPABASE_SERVICE_ROLE_KEY').detail).toBe('secret key (sb_secret_…)');
    expect(check(r, 'NOTIFY_WEBHOOK_URL').detail).toBe('https://hooks.slack.com');
    expect(r.result.unmapped).toEqual([
      { name: 'STAGING_DATABASE_URL', from: ['secrets.STAGING_DATABASE_URL'], jobs: ['deploy'] },
    ]);
    expectGolden('validate-env-summary.ok.md', r.summary);
    // The secrets' values (the variables' are not secret: an https URL's host is shown).
    const secrets = [
      good.PRODUCTION_DATABASE_URL,
      good.DEV_DATABASE_URL,
      good.BACKUP_ENCRYPTION_KEY,
      good.API_SECRET,
    ];
    expectNeverShown(r, [
      ...secrets,
      ANON_KEY,
      good.PRODUCTION_SUPABASE_SERVICE_ROLE_KEY,
      good.NOTIFY_WEBHOOK_URL,
      'pr0d-Pa55word-z3',
    ]);
  });

  test('an optional name is still checked when set; a step-only mapping says how the first step sees it', async () => {
    const { API_SECRET: _unset, ...rest } = good;
    const r = await validateEnv(['--workflow', FIXTURE], {
      ...rest,
      NOTIFY_WEBHOOK_URL: 'http://hooks.example.com/services/T0/B0/not-https-secret',
      PRODUCTION_SUPABASE_ANON_KEY: jwt('anon', 1600000000),
      PRODUCTION_SUPABASE_SERVICE_ROLE_KEY: 'sb_publishable_AbCdEfGhIjKlMnOpQrStUv_1234',
    });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(
      'failed: missing: API_SECRET; malformed: PRODUCTION_SUPABASE_ANON_KEY (expired on 2020-09-13), ' +
        'PRODUCTION_SUPABASE_SERVICE_ROLE_KEY (a publishable key (sb_publishable_…) where the service_role key belongs), ' +
        'NOTIFY_WEBHOOK_URL (not https)',
    );
    expect(check(r, 'API_SECRET').detail).toMatch(
      /mapped only in the env of step "ask the API": give the validate-env step the same env/,
    );
    expectGolden('validate-env-summary.failed.md', r.summary);
    expectNeverShown(r, ['not-https-secret', 'sb_publishable_AbCdEfGhIjKlMnOpQrStUv_1234']);
  });
});

describe('bad input to validate-env itself: exit 2, naming what exists', () => {
  const notYaml = () => {
    const f = path.join(tmp('yaml'), 'broken.yml');
    writeFileSync(f, 'name: broken\njobs:\n  build:\n    steps: [unclosed\n');
    return f;
  };
  const notWorkflow = () => {
    const f = path.join(tmp('yaml'), 'list.yml');
    writeFileSync(f, '- just\n- a list\n');
    return f;
  };

  test.each([
    [
      ['--workflow', 'no-such.yml'],
      /^error: --workflow no-such\.yml: no such file$/,
      /\.github\/workflows\/db-sync\.yml/,
    ],
    [['--workflow', notYaml], /^error: .*broken\.yml:\d+:\d+: not YAML: /, /fix the YAML/],
    [
      ['--workflow', notWorkflow],
      /^error: .*list\.yml is not a GitHub Actions workflow \(it has no jobs:\)$/,
      /workflow file/,
    ],
    [
      ['--workflow', DB_SYNC, '--environment', 'production'],
      /^error: \.github\/workflows\/db-sync\.yml has no job in environment production: its jobs run in staging \(environment: \$\{\{ inputs\.environment \|\| inputs\.target \}\} with inputs\.environment = '', inputs\.target = 'staging'\)$/,
      /give --environment staging, or give the inputs that pick it, e\.g\. --inputs '\{"environment":"production"\}'/,
    ],
    [
      ['--workflow', DB_SYNC, '--job', 'deploy'],
      /^error: \.github\/workflows\/db-sync\.yml has no job deploy$/,
      /its jobs: analyze, backup, prepare/,
    ],
    [
      ['--workflow', 'validate-dev', '--environment', 'staging'],
      /has no job in environment staging: none of its jobs runs in an environment$/,
      /give --job \(checks, migrations\)/,
    ],
    [
      ['--workflow', DB_SYNC, '--inputs', '{source: dev}'],
      /^error: --inputs is not JSON$/,
      /toJSON\(inputs\)/,
    ],
    [
      ['--workflow', DB_SYNC, '--inputs', '{"sauce":"dev"}'],
      /^error: --inputs: .*db-sync\.yml takes no input sauce$/,
      /its inputs: source, target/,
    ],
    [
      ['--workflow', DB_SYNC, '--optional', 'STAGING-URL'],
      /^error: --optional STAGING-URL: not a variable name/,
      /--optional/,
    ],
    [[], /^error: --workflow is required$/, /--workflow \.github\/workflows/],
  ])('%j', async (args, error, hint) => {
    const argv = args.map((a) => (typeof a === 'function' ? a() : a));
    const out = tmp('bad');
    const r = await runInProcess(validateEnvJob, [...argv, '--out', out], cleanEnv());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const [first, second] = r.stderr.split('\n');
    expect(first).toMatch(error);
    expect(second).toMatch(/^hint: /);
    expect(second).toMatch(hint);
    const record = JSON.parse(
      readFileSync(path.join(out, 'validate-env.json'), 'utf8'),
    ) as JobRecord<unknown>;
    expect(record).toMatchObject({ status: 'error', exitCode: 2 });
  });

  test('several bad flags at once', async () => {
    const r = await runInProcess(
      validateEnvJob,
      ['--workflow', DB_SYNC, '--inputs', 'nope', '--connect-timeout', 'soon', '--out', tmp('bad')],
      cleanEnv(),
    );
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      'error: --inputs is not JSON; --connect-timeout soon is not a number of seconds',
    );
  });
});

describe('well-formed, by name', () => {
  const now = new Date('2026-06-01T00:00:00Z');

  test.each([
    ['STAGING_DATABASE_URL', 'database-url'],
    ['DATABASE_URL', 'database-url'],
    ['BACKUP_ENCRYPTION_KEY', 'backup-key'],
    ['STAGING_APP_URL', 'https-url'],
    ['SUPABASE_URL', 'https-url'],
    ['NOTIFY_WEBHOOK_URL', 'https-url'],
    ['STAGING_SUPABASE_ANON_KEY', 'supabase-key'],
    ['SUPABASE_SERVICE_ROLE_KEY', 'supabase-key'],
    ['SUPABASE_PUBLISHABLE_KEY', 'supabase-key'],
    ['SUPABASE_SECRET_KEY', 'supabase-key'],
    ['STRIPE_API_KEY', 'other'],
    ['STAGING_CRITICAL_TABLES', 'other'],
    ['CURL', 'other'],
  ])('%s is checked as %s', (name, kind) => {
    expect(kindOfName(name)).toBe(kind);
  });

  test.each([
    [
      'STAGING_DATABASE_URL',
      'postgresql://app:p%40ss@db.example.test/app_db',
      'postgres://app@db.example.test:5432/app_db',
    ],
    [
      'STAGING_DATABASE_URL',
      'postgres://u:pw@127.0.0.1:6543/postgres?sslmode=require',
      'postgres://u@127.0.0.1:6543/postgres',
    ],
    ['STAGING_APP_URL', 'https://staging.example.com/api/health?x=1', 'https://staging.example.com'],
    ['STAGING_APP_URL', 'http://localhost:3000/health', 'http://localhost:3000 (this machine)'],
    ['STAGING_APP_URL', 'http://127.0.0.1:54321', 'http://127.0.0.1:54321 (this machine)'],
    ['STAGING_APP_URL', 'http://[::1]:8080/', 'http://[::1]:8080 (this machine)'],
    ['SUPABASE_ANON_KEY', jwt('anon'), 'JWT, role anon'],
    ['SUPABASE_SERVICE_ROLE_KEY', jwt('service_role'), 'JWT, role service_role'],
    [
      'SUPABASE_PUBLISHABLE_KEY',
      'sb_publishable_0123456789abcdefABCDEF_xyz',
      'publishable key (sb_publishable_…)',
    ],
    ['SUPABASE_KEY', 'sb_secret_0123456789abcdefABCDEF', 'secret key (sb_secret_…)'],
    ['BACKUP_ENCRYPTION_KEY', '0123456789abcdef', 'long enough to encrypt and sign backups'],
    ['STRIPE_API_KEY', 'x', 'set'],
  ])('%s=%s is well-formed: %s', (name, value, detail) => {
    expect(checkForm(name, kindOfName(name), value, now)).toMatchObject({ ok: true, detail });
  });

  test.each([
    ['STAGING_DATABASE_URL', 'staging', 'not a postgres:// URL'],
    ['STAGING_DATABASE_URL', 'https://db.example.test/postgres', 'not a postgres:// URL'],
    [
      'STAGING_DATABASE_URL',
      'postgres://u:pw@/postgres',
      'does not parse as postgres://user:password@host:5432/database (percent-encode the password)',
    ],
    [
      'STAGING_DATABASE_URL',
      'postgres://u:pw@db.example.test:5432/',
      'names no database: end it with /<database>, e.g. /postgres',
    ],
    ['STAGING_APP_URL', 'http://staging.example.com', 'not https'],
    ['STAGING_APP_URL', 'ftp://files.example.com', 'not https (a ftp URL)'],
    ['STAGING_APP_URL', 'staging.example.com', 'not a URL'],
    [
      'SUPABASE_ANON_KEY',
      'anon-key-123456',
      'not a Supabase key: neither a JWT (xxx.yyy.zzz) nor sb_publishable_… / sb_secret_…',
    ],
    ['SUPABASE_ANON_KEY', 'aaa.bbb.ccc', 'not a JWT: its parts are not base64url JSON'],
    ['SUPABASE_ANON_KEY', `${jwt('anon')}\n`, 'has spaces or a line break around it'],
    ['SUPABASE_ANON_KEY', jwt('service_role'), 'the service_role key, where the anon key belongs'],
    ['SUPABASE_SERVICE_ROLE_KEY', jwt('anon'), 'the anon key, where the service_role key belongs'],
    ['SUPABASE_ANON_KEY', jwt('anon', 1700000000), 'expired on 2023-11-14'],
    [
      'SUPABASE_ANON_KEY',
      'sb_secret_0123456789abcdefABCDEF',
      'a secret key (sb_secret_…) where the anon key belongs',
    ],
    [
      'BACKUP_ENCRYPTION_KEY',
      '0123456789abcde',
      'shorter than 16 characters: backup refuses it (use e.g. openssl rand -base64 32)',
    ],
  ])('%s=%j is malformed: %s', (name, value, problem) => {
    expect(checkForm(name, kindOfName(name), value, now)).toEqual({ ok: false, problem });
  });
});
