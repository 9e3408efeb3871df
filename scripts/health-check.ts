// health-check: database, HTTP and Supabase probes with latencies. See docs/health-check.md.
import { healthCheckJob } from './lib/jobs/health-check.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(healthCheckJob, process.argv.slice(2));
