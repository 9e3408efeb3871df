// validate-env: checks the secrets and variables a workflow's jobs need. See docs/validate-env.md.

import { runJob } from './lib/jobs/runner.ts';
import { validateEnvJob } from './lib/jobs/validate-env.ts';

process.exitCode = await runJob(validateEnvJob, process.argv.slice(2));
