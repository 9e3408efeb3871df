// What the linter reads: the migration files of a directory (a clashing version is a finding
// here, where files.ts refuses it as bad input before applying), and, with --base, the same
// directory at a git ref.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { InputError } from '../base/errors.ts';
import { listMigrationDirectory, MIGRATION_FILE } from './files.ts';

export interface LintSource {
  /** The path findings name: the directory as given joined with the file name. */
  path: string;
  /** The file name. */
  name: string;
  version: string;
  text: string;
  /** Its git blob id: equal ids mean equal contents at the base. */
  blob: string;
}

export interface LintSources {
  /** `<digits>_<name>.sql` files, in version order (as text, as the Supabase CLI compares), then by name. */
  files: LintSource[];
  /** `.sql` files the CLI would skip for their name. */
  misnamed: string[];
  /** Everything else in the directory (README, .gitkeep, folders). */
  skipped: string[];
}

export interface BaseMigration {
  name: string;
  version: string;
  blob: string;
}

export interface BaseSnapshot {
  ref: string;
  commit: string;
  /** The migrations in the directory at that commit (none when it did not exist there). */
  files: BaseMigration[];
}

/** The migrations of `dir`; a missing or unreadable directory is bad input. */
export function readLintSources(dir: string): LintSources {
  const entries = listMigrationDirectory(dir);
  const sources: LintSources = { files: [], misnamed: [], skipped: [] };
  for (const name of entries) {
    const full = path.join(dir, name);
    const isFile = statSync(full).isFile();
    const m = MIGRATION_FILE.exec(name);
    if (m && isFile) {
      const text = readFileSync(full, 'utf8');
      sources.files.push({ path: findingPath(dir, name), name, version: m[1]!, text, blob: gitBlobId(text) });
    } else if (isFile && /\.sql$/i.test(name)) sources.misnamed.push(findingPath(dir, name));
    else sources.skipped.push(name);
  }
  sources.files.sort((a, b) => compareText(a.version, b.version) || compareText(a.name, b.name));
  return sources;
}

/** `dir/name` with forward slashes, as GitHub annotations and people read it. */
export const findingPath = (dir: string, name: string) => path.join(dir, name).split(path.sep).join('/');

export const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** git's id of a blob with these contents. */
function gitBlobId(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

const run = promisify(execFile);

async function git(dir: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-C', dir, ...args], { maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/** The migrations in `dir` as they are at `ref`; a ref git does not know is bad input. */
export async function readBaseSnapshot(dir: string, ref: string): Promise<BaseSnapshot> {
  if (ref.startsWith('-') || ref.trim() === '') {
    throw new InputError(
      `--base ${ref} is not a git ref`,
      'give a branch, tag or commit, e.g. --base origin/main',
    );
  }
  let prefix: string;
  try {
    prefix = (await git(dir, ['rev-parse', '--show-prefix'])).trim();
  } catch {
    throw new InputError(
      `--base needs --dir ${dir} inside a git repository`,
      'run it in a checkout of the repository, or leave out --base',
    );
  }
  let commit: string;
  try {
    commit = (
      await git(dir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])
    ).trim();
  } catch {
    throw new InputError(
      `--base ${ref} is not a commit in this repository`,
      'fetch it first (in GitHub Actions: actions/checkout with fetch-depth: 0), or name an existing branch, tag or commit',
    );
  }
  const tree = `${commit}:${prefix.replace(/\/$/, '')}`;
  const exists = await git(dir, ['cat-file', '-t', tree]).then(
    (type) => type.trim() === 'tree',
    () => false,
  );
  const listing = exists ? await git(dir, ['ls-tree', '-z', '--full-tree', tree]) : '';
  const files: BaseMigration[] = [];
  for (const entry of listing.split('\0').filter(Boolean)) {
    const [meta, name] = entry.split('\t') as [string, string];
    const [, type, blob] = meta.split(' ') as [string, string, string];
    const m = MIGRATION_FILE.exec(name);
    if (type === 'blob' && m) files.push({ name, version: m[1]!, blob });
  }
  return { ref, commit, files };
}
