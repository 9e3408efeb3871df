// A plan as a pull request's comment, against its goldens: the production plan and the lint
// findings composed from their own jobs' renderers, a run that ended in an error, the cut to
// GitHub's limit; the pr-comment job's own summary; and the pure choice of the one write.
import { planCommentWrite, planMarker } from '../../scripts/lib/github/plan-comment.ts';
import { renderLintMigrationsSummary } from '../../scripts/lib/report/lint-migrations-summary.ts';
import {
  COMMENT_LIMIT,
  renderPlanComment,
  renderPrCommentSummary,
} from '../../scripts/lib/report/pr-comment-summary.ts';
import { renderProductionPlanSummary } from '../../scripts/lib/report/production-plan-summary.ts';
import type { PrCommentResult } from '../../scripts/lib/results/pr-comment.ts';
import { lintFailed } from '../fixtures/results/lint-migrations.ts';
import { lintRecord, productionPlanError, productionPlanRecord } from '../fixtures/results/pr-comment.ts';
import { productionPlanned } from '../fixtures/results/production-plan.ts';
import { expectGolden } from '../helpers/golden.ts';

const RUN = 'https://github.com/acme/shop/actions/runs/4243';
const main = { marker: '<!-- envsync:plan:main -->', base: 'main', runUrl: RUN };

describe('the comment', () => {
  test('a production plan: the marker, then the approver’s summary as it is, then where it comes from', () => {
    const { body, truncated } = renderPlanComment(
      { job: 'production-plan', record: productionPlanRecord() },
      main,
    );
    expectGolden('pr-comment-summary.production-plan.md', body);
    expect(truncated).toBe(false);
    expect(body.split('\n')[0]).toBe('<!-- envsync:plan:main -->');
    expect(body).toContain(renderProductionPlanSummary(productionPlanned()).trimEnd());
    expect(body).toContain(`[workflow run](${RUN})`);
  });

  test('a pull request into staging: the lint findings, as lint-migrations renders them', () => {
    const { body } = renderPlanComment(
      { job: 'lint-migrations', record: lintRecord() },
      { marker: '<!-- envsync:plan:staging -->', base: 'staging', runUrl: null },
    );
    expectGolden('pr-comment-summary.lint.md', body);
    expect(body).toContain(renderLintMigrationsSummary(lintFailed()).trimEnd());
    expect(body).not.toContain('workflow run');
  });

  test('a plan run that ended in an error: the error and its fix, escaped', () => {
    const { body } = renderPlanComment({ job: 'production-plan', record: productionPlanError() }, main);
    expectGolden('pr-comment-summary.error.md', body);
    expect(body).toContain('How to fix: set it in the environment \\<production-plan\\> or in .env');
  });

  test('longer than GitHub takes: cut at a line, the note linking the whole plan, the marker kept', () => {
    const plan = productionPlanned();
    const one = plan.pending[0]!;
    plan.pending = Array.from({ length: 3000 }, (_, i) => ({
      ...one,
      file: `${20250601000000 + i}_spot_rating_${i}.sql`,
    }));
    const { body, truncated } = renderPlanComment(
      { job: 'production-plan', record: productionPlanRecord(plan) },
      main,
    );
    expect(truncated).toBe(true);
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(body.length).toBeGreaterThan(COMMENT_LIMIT - 500);
    const lines = body.split('\n');
    expect(lines[0]).toBe(main.marker);
    // The last row kept is whole; then the note and the footer.
    const cut = lines.indexOf('…');
    expect(lines[cut - 2]).toMatch(/^\| `2025\d+_spot_rating_\d+\.sql` \| .* \|$/);
    expect(lines[cut + 2]).toBe(
      `**Cut short:** a comment holds at most 65,536 characters; the whole plan is in [the run’s summary](${RUN}).`,
    );
    expect(lines.at(-2)).toMatch(/^<sub>envsync — the production plan for merging into `main`/);
    // Without a run to link: the artifact.
    const local = renderPlanComment(
      { job: 'production-plan', record: productionPlanRecord(plan) },
      { ...main, runUrl: null },
    );
    expect(local.body).toContain(
      'the whole plan is in the plan’s artifact (`production-plan.json`, `summary.md`)',
    );
    expect(local.body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
  });
});

function result(over: Partial<PrCommentResult> = {}): PrCommentResult {
  const { body } = renderPlanComment({ job: 'production-plan', record: productionPlanRecord() }, main);
  return {
    repo: 'acme/shop',
    pr: 7,
    apiUrl: 'https://api.github.com',
    plan: { dir: 'artifacts/plan', job: 'production-plan', status: 'ok' },
    marker: main.marker,
    dryRun: false,
    action: 'update',
    request: { method: 'PATCH', path: '/repos/acme/shop/issues/comments/101' },
    sent: true,
    comment: { id: 101, url: 'https://github.com/acme/shop/pull/7#issuecomment-101' },
    author: 'envsync-bot',
    commentsRead: 3,
    otherMarked: 0,
    truncated: false,
    body,
    reads: 2,
    durationMs: 420,
    ...over,
  };
}

describe('the pr-comment summary', () => {
  test('updated: which comment, how, the comment as it reads', () => {
    expectGolden('pr-comment-summary.updated.md', renderPrCommentSummary(result()));
  });

  test('a dry run with a workflow’s token (GitHub does not name its user): what it would send', () => {
    const md = renderPrCommentSummary(
      result({
        dryRun: true,
        action: 'create',
        request: { method: 'POST', path: '/repos/acme/shop/issues/7/comments' },
        sent: false,
        comment: null,
        author: null,
        otherMarked: 1,
      }),
    );
    expectGolden('pr-comment-summary.dry-run.md', md);
    expect(md).toContain(
      '**Dry run:** it would create the plan comment with `POST /repos/acme/shop/issues/7/comments`; nothing was sent.',
    );
  });
});

describe('the one write', () => {
  const repo = { owner: 'acme', name: 'shop' };
  const marker = planMarker('main');
  const comment = (id: number, author: string, body: string) => ({
    id,
    author,
    body,
    url: `https://github.com/acme/shop/pull/7#issuecomment-${id}`,
  });

  test('the marker names the branch and cannot close its HTML comment early', () => {
    expect(planMarker('main')).toBe('<!-- envsync:plan:main -->');
    expect(planMarker('release/2026.1')).toBe('<!-- envsync:plan:release/2026.1 -->');
    const hostile = planMarker('x-->y <b>');
    expect(hostile.slice(0, -3)).not.toContain('-->');
    expect(hostile).toBe('<!-- envsync:plan:x-_y__b_ -->');
  });

  test('ours is the oldest with the marker by the token’s user; another’s, even with the marker, is not', () => {
    const body = `${marker}\nplan B\n`;
    const comments = [
      comment(1, 'alice', 'LGTM'),
      comment(2, 'mallory', `${marker}\nplan A\n`),
      comment(3, 'envsync-bot', `${marker}\nplan A\n`),
      comment(4, 'envsync-bot', `${marker}\nplan A\n`),
    ];
    const w = planCommentWrite(repo, 7, comments, marker, 'envsync-bot', body);
    expect(w).toMatchObject({ action: 'update', found: { id: 3 }, otherMarked: 1 });
    expect(w.request).toEqual({
      method: 'PATCH',
      route: '/repos/{owner}/{repo}/issues/comments/{comment_id}',
      params: { owner: 'acme', repo: 'shop', comment_id: 3 },
      path: '/repos/acme/shop/issues/comments/3',
      body: { body },
    });
    // GitHub does not name the token's user: the marker alone.
    expect(planCommentWrite(repo, 7, comments, marker, null, body).found?.id).toBe(2);
    // None of ours: a new one.
    expect(planCommentWrite(repo, 7, comments.slice(0, 2), marker, 'envsync-bot', body)).toMatchObject({
      action: 'create',
      found: null,
      request: { method: 'POST', path: '/repos/acme/shop/issues/7/comments' },
    });
  });

  test('the same text (line endings and trailing space aside) is no write', () => {
    const body = `${marker}\nplan\n| a |\n`;
    const stored = comment(5, 'envsync-bot', `${marker}\r\nplan\r\n| a |`);
    expect(planCommentWrite(repo, 7, [stored], marker, 'envsync-bot', body)).toMatchObject({
      action: 'unchanged',
      request: null,
      found: { id: 5 },
    });
  });
});
