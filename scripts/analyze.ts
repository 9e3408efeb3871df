// analyze: catalog inventory of one database (read-only). See docs/analyze.md.
import { analyzeJob } from './lib/jobs/analyze.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(analyzeJob, process.argv.slice(2));
