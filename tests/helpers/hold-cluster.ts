// Starts a cluster, prints where it is, and waits to be killed (the watchdog test).
import { startCluster } from '../../scripts/lib/db/cluster.ts';

const c = await startCluster({ name: 'held' });
process.stdout.write(`${JSON.stringify({ pid: c.postmasterPid, baseDir: c.baseDir })}\n`);
setInterval(() => {}, 60_000);
