// sync: make the target an exact replica of the source, in one transaction. See docs/sync.md.
import { runJob } from './lib/jobs/runner.ts';
import { syncJob } from './lib/jobs/sync.ts';

process.exitCode = await runJob(syncJob, process.argv.slice(2));
