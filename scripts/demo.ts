// demo: two local throwaway databases, the demo app, and what differs. See README.
import { demoJob } from './lib/jobs/demo.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(demoJob, process.argv.slice(2));
