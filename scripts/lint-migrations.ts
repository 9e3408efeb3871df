// lint-migrations: the migrations read by PostgreSQL's parser and held to the rules. See docs/lint-migrations.md.
import { lintMigrationsJob } from './lib/jobs/lint-migrations.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(lintMigrationsJob, process.argv.slice(2));
