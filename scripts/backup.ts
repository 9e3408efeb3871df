// backup: verified pg_dump of what a sync could change, with checksums. See docs/backup.md.
import { backupJob } from './lib/jobs/backup.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(backupJob, process.argv.slice(2));
