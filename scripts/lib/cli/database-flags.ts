// The database flags every job shares: a required --db/--source/--target and
// --connect-timeout, parsed the same way everywhere.

import { DEFAULT_CONNECT_TIMEOUT } from '../db/connect.ts';
import { type DatabaseTarget, resolveDatabase } from '../db/url.ts';
import type { FlagSpec, ParsedFlags } from '../jobs/runner.ts';
import { InputError } from './errors.ts';

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
