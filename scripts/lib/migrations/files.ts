// The migration files of a directory as the Supabase CLI sees them: `<digits>_<name>.sql`,
// the digits are the version (compared as text), anything else is skipped and named.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../base/errors.ts';

export interface MigrationFile {
  version: string;
  name: string;
  /** The file name, e.g. `20260101120000_add_rooms.sql`. */
  file: string;
  path: string;
  text: string;
}

/** The CLI's pattern: digits, an underscore, a name, `.sql`. */
export const MIGRATION_FILE = /^([0-9]+)_(.*)\.sql$/;

export interface MigrationDirectory {
  files: MigrationFile[];
  /** Entries that are not migrations (skipped, as the CLI skips them). */
  skipped: string[];
}

/** The entries of the migrations directory, sorted; a missing or unreadable one is bad input. */
export function listMigrationDirectory(dir: string): string[] {
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    return readdirSync(dir).sort();
  } catch (error) {
    throw new InputError(
      `--dir ${dir} is not a readable directory (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      'give the migrations directory, e.g. --dir supabase/migrations',
    );
  }
}

/** Every migration in `dir`, in version order. */
export function readMigrations(dir: string): MigrationDirectory {
  const entries = listMigrationDirectory(dir);
  const files: MigrationFile[] = [];
  const skipped: string[] = [];
  for (const file of entries) {
    const m = MIGRATION_FILE.exec(file);
    const full = path.join(dir, file);
    if (!m || !statSync(full).isFile()) {
      skipped.push(file);
      continue;
    }
    files.push({ version: m[1]!, name: m[2]!, file, path: full, text: readFileSync(full, 'utf8') });
  }
  // Versions compare as text, as the CLI compares them.
  files.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  const clash = files.find((f, i) => i > 0 && files[i - 1]!.version === f.version);
  if (clash) {
    const other = files.find((f) => f.version === clash.version && f !== clash)!;
    throw new InputError(
      `two migrations have version ${clash.version}: ${other.file} and ${clash.file}`,
      'give one of them a later version (npm run new-migration -- <name> makes one)',
    );
  }
  return { files, skipped };
}
