// production-plan: what a production deploy will do, hashed for the approver. See docs/production.md.
import { productionPlanJob } from './lib/jobs/production-plan.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(productionPlanJob, process.argv.slice(2));
