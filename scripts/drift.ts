// drift: is an environment what its migrations make (or what another environment is)? See docs/drift.md.
import { driftJob } from './lib/jobs/drift.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(driftJob, process.argv.slice(2));
