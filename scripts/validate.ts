// validate: is the target an exact replica of the source? See docs/validate.md.
import { runJob } from './lib/jobs/runner.ts';
import { validateJob } from './lib/jobs/validate.ts';

process.exitCode = await runJob(validateJob, process.argv.slice(2));
