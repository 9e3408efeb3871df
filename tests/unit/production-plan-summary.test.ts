// The approver's screen against its goldens: a plan to deploy, and the deploy's refusal when
// production moved since the approval.
import { renderProductionPlanSummary } from '../../scripts/lib/report/production-plan-summary.ts';
import { productionPlanMoved, productionPlanned } from '../fixtures/results/production-plan.ts';
import { expectGolden } from '../helpers/golden.ts';

test('production plan: what the approver reads', () => {
  const md = renderProductionPlanSummary(productionPlanned());
  expectGolden('production-plan-summary.md', md);
  expect(md).toContain('**To deploy:** 1 pending migration, 99 content row(s)');
});

test('production plan verified after production moved: refused, what moved named', () => {
  const md = renderProductionPlanSummary(productionPlanMoved());
  expectGolden('production-plan-summary.moved.md', md);
  expect(md).toContain(
    '**Refused: production moved since the plan was approved** — the content to promote (either side moved).',
  );
});
