// After the last test file: nothing of ours may keep running.
import { sweepOrphanClusters } from '../../scripts/lib/db/cluster.ts';

export default async function globalTeardown(): Promise<void> {
  sweepOrphanClusters();
}
