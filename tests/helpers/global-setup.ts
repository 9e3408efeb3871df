// Before any test file: sweep clusters left by a killed earlier run, build the
// initdb template once (so workers don't race to), and fix the app password used
// when TEST_DATABASE_URL points at a shared server.
import { randomBytes } from 'node:crypto';
import { findServerBinaries, startCluster, sweepOrphanClusters } from '../../scripts/lib/db/cluster.ts';

export default async function globalSetup(): Promise<void> {
  sweepOrphanClusters();
  process.env.ENVSYNC_TEST_APP_PASSWORD ??= randomBytes(12).toString('base64url');
  if (!process.env.TEST_DATABASE_URL) {
    const warm = await startCluster({ name: 'warmup', binaries: findServerBinaries() });
    await warm.destroy();
  }
}
