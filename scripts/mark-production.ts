// mark-production: marks a database as production, server-side. See docs/security.md.
import { markProductionJob } from './lib/jobs/mark-production.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(markProductionJob, process.argv.slice(2));
