// The database flags every job shares: a required --db/--source/--target and
// --connect-timeout, parsed the same way everywhere.

import { InputError, readFlags } from '../base/errors.ts';
import type { FlagSpec, ParsedFlags } from '../base/flags.ts';
import { PLATFORM_DATA_TABLES } from '../catalog/platform.ts';
import { DEFAULT_CONNECT_TIMEOUT } from '../db/connect.ts';
import { refuseKnownProduction } from '../db/guards.ts';
import { type DatabaseTarget, resolveDatabase } from '../db/url.ts';

export const connectTimeoutFlag: FlagSpec = {
  type: 'string',
  value: '<seconds>',
  description: `how long to wait for the server (default ${DEFAULT_CONNECT_TIMEOUT})`,
};

export function parseConnectTimeout(value: unknown): number {
  if (value === undefined) return DEFAULT_CONNECT_TIMEOUT;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 300) {
    throw new InputError(
      `--connect-timeout ${String(value)} is not a number of seconds`,
      'use e.g. --connect-timeout 10',
    );
  }
  return n;
}

/** `--<name>` must be given: an environment name or a URL. */
export function requireDatabase(flags: ParsedFlags, name: string, env: NodeJS.ProcessEnv): DatabaseTarget {
  const value = flags[name];
  if (typeof value !== 'string' || value === '') {
    throw new InputError(
      `--${name} is required`,
      `pass --${name} dev (reads DEV_DATABASE_URL), --${name} staging, or --${name} postgres://…`,
    );
  }
  return resolveDatabase(`--${name}`, value, env);
}

/**
 * `--source` and `--target`, both required, never the same URL. A job that replaces the
 * target (`replaces`) also refuses one named production without --allow-production (the
 * server-side guard runs once connected).
 */
export function requireSourceAndTarget(
  flags: ParsedFlags,
  env: NodeJS.ProcessEnv,
  job: string,
  replaces: boolean,
): { source: DatabaseTarget; target: DatabaseTarget } {
  const { source, target } = readFlags({
    source: () => requireDatabase(flags, 'source', env),
    target: () => requireDatabase(flags, 'target', env),
  });
  if (source.display === target.display) {
    throw new InputError(
      `--target ${target.display} is the same database as --source`,
      replaces ? `${job} copies one database into another` : 'compare a replica with its source',
    );
  }
  if (replaces) refuseKnownProduction(target, env, flags['allow-production'] === true, job);
  return { source, target };
}

/** The `--platform-tables` flag every syncing job takes. */
export const platformTablesFlag: FlagSpec = {
  type: 'string',
  value: '<s.t,…>',
  description: `platform tables whose rows are copied (default ${PLATFORM_DATA_TABLES.join(',')})`,
};

/** `a, b,c` → ['a', 'b', 'c']; undefined when the flag is absent. */
export function parseList(value: unknown): string[] | undefined {
  return typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
}
