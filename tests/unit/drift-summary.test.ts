// The drift renderer against its golden files (the same rule as tests/unit/summaries.test.ts),
// and the job's verdict: drift and function body errors fail, warnings do not.
import { driftJob } from '../../scripts/lib/jobs/drift.ts';
import { renderDriftSummary } from '../../scripts/lib/report/drift-summary.ts';
import {
  driftBetweenEnvironments,
  driftByHand,
  driftNone,
  driftUnchecked,
} from '../fixtures/results/drift.ts';
import { expectGolden } from '../helpers/golden.ts';

test('no drift: the verdict, the timings of the replay, the function bodies checked', () => {
  const md = renderDriftSummary(driftNone());
  expectGolden('drift-summary.none.md', md);
  expect(md).toContain('## envsync drift — staging vs migrations');
  expect(md).toContain('**No drift.** staging is what its 4 migrations make');
  expect(md).not.toContain('### Objects');
});

test('hand changes: grouped by object, in the words of drift; function errors before warnings', () => {
  const md = renderDriftSummary(driftByHand());
  expectGolden('drift-summary.by-hand.md', md);
  expect(md).toContain('**Drifted:** 5 objects of staging differ from what its 4 migrations make.');
  expect(md).toContain('| table | `public.legacy_sync_log` | extra, with 32 grants |');
  expect(md).toContain('column `nickname` extra');
  expect(md).toContain('RLS off (expected on)');
  expect(md).toContain('policy `staff read colleagues` missing');
  expect(md.indexOf('| error |')).toBeLessThan(md.indexOf('| warning |'));
  expect(md).toContain('Not checked: `public.stamp_row()`');
});

test('two environments: named on both sides, schema only, no function section', () => {
  const md = renderDriftSummary(driftBetweenEnvironments());
  expectGolden('drift-summary.environments.md', md);
  expect(md).toContain('## envsync drift — production vs staging');
  expect(md).toContain('(schema only)');
  expect(md).toContain('*missing*: staging has it, production lacks it');
  expect(md).not.toContain('### Function bodies');
});

test('without plpgsql_check, replayed on another major: the note, the package, the caveat', () => {
  const md = renderDriftSummary(driftUnchecked());
  expectGolden('drift-summary.unchecked.md', md);
  expect(md).toContain('plpgsql_check not installed: function bodies not checked.');
  expect(md).toContain('`postgresql-15-plpgsql-check`');
  expect(md).toContain(
    '> Replayed on PostgreSQL 15; `postgres://postgres@127.0.0.1:54322/postgres` runs 17.',
  );
});

describe('verdict', () => {
  test('no drift and clean bodies pass', () => {
    const v = driftJob.verdict(driftNone());
    expect(v.ok).toBe(true);
    expect(v.headline).toBe(
      'staging matches its migrations (4 in supabase/migrations): 484 objects compared; plpgsql_check: 0 error(s), 0 warning(s) in 4 plpgsql function(s)',
    );
  });

  test('drift fails, each difference named with its side', () => {
    const v = driftJob.verdict(driftByHand());
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual(
      expect.arrayContaining([
        'grant SELECT on table public.audit_log to anon: extra on staging (not in the migrations)',
        'policy public.staff_users.staff read colleagues: missing on staging (the migrations make it)',
        'table public.profiles: differs on staging (columns, rlsEnabled)',
        'hotels.room_rate(p_unit uuid, p_day date) line 4: error: column "nightly_rate" does not exist (42703)',
      ]),
    );
    expect(v.warnings).toContain(
      'public.audit_row() (trigger on public.guest_reservations) line 2: warning extra: never read variable "old_row"',
    );
  });

  test('a function body error alone fails; warnings alone do not', () => {
    const errorOnly = { ...driftByHand(), differences: [], drifted: false };
    expect(driftJob.verdict(errorOnly).ok).toBe(false);
    const check = errorOnly.functionCheck!;
    const warningsOnly = {
      ...errorOnly,
      functionCheck: { ...check, problems: check.problems.filter((p) => p.level !== 'error') },
    };
    expect(driftJob.verdict(warningsOnly).ok).toBe(true);
    expect(driftJob.verdict(warningsOnly).warnings).toHaveLength(3);
  });

  test('without plpgsql_check, on another major: the note and the caveat as warnings', () => {
    const v = driftJob.verdict(driftUnchecked());
    expect(v.ok).toBe(false);
    expect(v.warnings).toEqual([
      expect.stringMatching(
        /^the migrations were replayed on PostgreSQL 15, postgres:\/\/postgres@127\.0\.0\.1:54322\/postgres runs 17: /,
      ),
      'plpgsql_check not installed: function bodies not checked',
    ]);
    expect(v.headline).toMatch(/; function bodies not checked \(plpgsql_check not installed\)$/);
    expect(driftJob.verdict({ ...driftUnchecked(), differences: [], drifted: false }).warnings).toEqual([
      'plpgsql_check not installed: function bodies not checked',
    ]);
  });
});
