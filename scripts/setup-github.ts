// setup-github: the repository's environments and branch protection, set through GitHub's API. See docs/setup-github.md.

import { runJob } from './lib/jobs/runner.ts';
import { setupGitHubJob } from './lib/jobs/setup-github.ts';

process.exitCode = await runJob(setupGitHubJob, process.argv.slice(2));
