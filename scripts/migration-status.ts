// migration-status: every migration against every environment. See docs/migrate.md.
import { migrationStatusJob } from './lib/jobs/migration-status.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(migrationStatusJob, process.argv.slice(2));
