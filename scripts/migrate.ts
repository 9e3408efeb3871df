// migrate: applies pending migrations, recorded as the Supabase CLI records them. See docs/migrate.md.
import { migrateJob } from './lib/jobs/migrate.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(migrateJob, process.argv.slice(2));
