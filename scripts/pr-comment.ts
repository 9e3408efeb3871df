// pr-comment: a plan on its pull request, as one comment updated on every run. See docs/pr-comment.md.

import { prCommentJob } from './lib/jobs/pr-comment.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(prCommentJob, process.argv.slice(2));
