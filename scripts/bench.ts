// bench: envsync sync and validate against pg_dump | psql and friends on the same data in
// the same run. A benchmark, not a test. See docs/bench.md.
//
//   npm run bench                       # pgbench scale 50 and the demo app at scale 100, 5 runs
//   npm run bench -- --runs 3 --datasets pgbench --pgbench-scale 10
import { benchJob } from './lib/jobs/bench.ts';
import { runJob } from './lib/jobs/runner.ts';

process.exitCode = await runJob(benchJob, process.argv.slice(2));
