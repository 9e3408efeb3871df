// rollback: restore a database from a backup in one transaction, then prove it. See docs/rollback.md.
import { rollbackJob } from './lib/jobs/rollback.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(rollbackJob, process.argv.slice(2));
