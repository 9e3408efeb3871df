// mark-production.json: the production marker written (or found) on a database.
// A result type only: renderers read it from here, never from the job that produces it.

export interface ProductionMarker {
  markedAt: string;
  markedBy: string;
}

export interface MarkProductionResult {
  target: { name: string; display: string };
  marker: ProductionMarker;
  /** The database was marked already (by an earlier run or another tool). */
  already: boolean;
}
