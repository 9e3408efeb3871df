// seed.json: the demo data written, table by table.
// A result type only: renderers read it from here, never from the job that produces it.

export interface SeedResult {
  target: { name: string; display: string };
  scale: number;
  migrated: boolean;
  tables: { table: string; rows: number; ms: number }[];
  skippedTables: string[];
  rows: number;
  durationMs: number;
}
