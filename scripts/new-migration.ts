// new-migration: an empty migration file named as supabase migration new names it. See docs/migrate.md.
import { newMigrationJob } from './lib/jobs/new-migration.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(newMigrationJob, process.argv.slice(2));
