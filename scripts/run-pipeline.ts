// run-pipeline: analyze → backup → prepare → sync → validate → health-check, rollback on failure. See docs/sync.md.
import { pipelineJob } from './lib/jobs/run-pipeline.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(pipelineJob, process.argv.slice(2));
