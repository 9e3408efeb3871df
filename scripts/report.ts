// report: the one-screen overview of a db-sync run (its last job). See docs/github-setup.md.
import { reportJob } from './lib/jobs/report.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(reportJob, process.argv.slice(2));
