// new-migration: an empty migration file named as `supabase migration new` names it — a
// 14-digit UTC version — and always after every local version, so it sorts last everywhere.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InputError, readFlags } from '../base/errors.ts';
import { readMigrations } from '../migrations/files.ts';
import { renderNewMigrationSummary } from '../report/new-migration-summary.ts';
import type { NewMigrationResult } from '../results/new-migration.ts';
import type { Job, JobContext } from './runner.ts';

export interface NewMigrationOptions {
  name: string;
  dir: string;
}

/** `YYYYMMDDHHMMSS` in UTC. */
export const versionAt = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14);

export async function runNewMigration(ctx: JobContext, o: NewMigrationOptions): Promise<NewMigrationResult> {
  if (!existsSync(o.dir)) mkdirSync(o.dir, { recursive: true });
  const { files } = readMigrations(o.dir);
  const clash = files.find((f) => f.name === o.name);
  if (clash)
    throw new InputError(
      `a migration named ${o.name} exists already: ${clash.file}`,
      'choose another name (a migration says what it changes: add_room_rates, drop_legacy_log)',
    );
  let version = versionAt(ctx.now());
  const latest = files.at(-1)?.version;
  // A clock behind a teammate's, or two files in one second: still after every local version.
  if (latest && !(version > latest)) version = (BigInt(latest) + 1n).toString().padStart(latest.length, '0');
  const file = path.join(o.dir, `${version}_${o.name}.sql`);
  writeFileSync(file, '', { flag: 'wx' });
  ctx.log.info(`created ${file}`);
  return { version, name: o.name, path: file };
}

export const newMigrationJob: Job<NewMigrationOptions, NewMigrationResult> = {
  name: 'new-migration',
  description:
    'Creates supabase/migrations/<14-digit UTC version>_<name>.sql as `supabase migration new` does, always ' +
    'later than every local version; refuses a bad name or one already used.',
  examples: ['npm run new-migration -- --name add_room_rates'],
  flags: {
    name: {
      type: 'string',
      value: '<name>',
      description: 'what the migration changes: letters, digits, _ and -',
    },
    dir: { type: 'string', value: '<dir>', description: 'the migrations (default supabase/migrations)' },
  },
  parse: (flags) =>
    readFlags({
      name: () => {
        const name = flags.name;
        if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/.test(name))
          throw new InputError(
            `--name ${name === undefined ? 'is required' : `${String(name)} is not a migration name`}`,
            'use letters, digits, _ and -, e.g. --name add_room_rates',
          );
        return name;
      },
      dir: () => (typeof flags.dir === 'string' ? flags.dir : 'supabase/migrations'),
    }),
  run: runNewMigration,
  render: renderNewMigrationSummary,
  verdict: (r) => ({ ok: true, headline: `created ${r.path}`, problems: [], warnings: [] }),
  outputs: (r) => ({ version: r.version, path: r.path }),
};
