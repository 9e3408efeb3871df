// Before any test file: sweep clusters left by a killed earlier run, build the
// initdb template once (so workers don't race to), and fix the app password used
// when TEST_DATABASE_URL points at a shared server.
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findServerBinaries, startCluster, sweepOrphanClusters } from '../../scripts/lib/db/cluster.ts';

export default async function globalSetup(): Promise<void> {
  sweepOrphanClusters();
  sweepPreparedData();
  process.env.ENVSYNC_TEST_APP_PASSWORD ??= randomBytes(12).toString('base64url');
  if (!process.env.TEST_DATABASE_URL) {
    const warm = await startCluster({ name: 'warmup', binaries: findServerBinaries() });
    await warm.destroy();
  }
}

/** Prepared data directories (helpers/supabase-db.ts) unused for a day: their inputs have moved on. */
function sweepPreparedData(): void {
  for (const entry of readdirSync(os.tmpdir())) {
    if (!entry.startsWith('envsync-prepared-')) continue;
    const dir = path.join(os.tmpdir(), entry);
    if (Date.now() - statSync(dir).mtimeMs > 86_400_000) rmSync(dir, { recursive: true, force: true });
  }
}
