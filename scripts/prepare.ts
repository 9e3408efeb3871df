// prepare: preflight, plan and the target's rollback snapshot for a sync. See docs/sync.md.
import { prepareJob } from './lib/jobs/prepare.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(prepareJob, process.argv.slice(2));
