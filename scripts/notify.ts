// notify: tells Slack or Discord how a finished run went. See docs/notify.md.
import { notifyJob } from './lib/jobs/notify.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(notifyJob, process.argv.slice(2));
