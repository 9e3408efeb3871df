// seed: deterministic demo data for a Supabase-shaped database. See docs/demo.md.

import { runJob } from './lib/jobs/runner.ts';
import { seedJob } from './lib/jobs/seed.ts';

process.exitCode = await runJob(seedJob, process.argv.slice(2));
