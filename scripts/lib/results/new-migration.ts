// new-migration.json: the migration file created.
// A result type only: renderers read it from here, never from the job that produces it.

export interface NewMigrationResult {
  version: string;
  name: string;
  /** The file written, relative to the working directory. */
  path: string;
}
