// content-sync: promotes content tables, never users' tables, with a proof. See docs/content-sync.md.
import { contentSyncJob } from './lib/jobs/content-sync.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(contentSyncJob, process.argv.slice(2));
