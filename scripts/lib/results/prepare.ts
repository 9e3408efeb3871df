// prepare.json: the plan, whether it is ready, and the snapshot's time.
// A result type only: renderers read it from here, never from the job that produces it.

import type { SyncPlan } from './plan.ts';

export interface PrepareResult {
  plan: SyncPlan;
  ready: boolean;
  snapshotMs: number | null;
}
