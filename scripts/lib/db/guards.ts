// Guards every job that replaces a database's contents keeps.

import { InputError } from '../cli/errors.ts';
import { type DatabaseTarget, resolveDatabase } from './url.ts';

/** The target is production: named so, or the same URL as PRODUCTION_DATABASE_URL. */
export function isProduction(target: DatabaseTarget, env: NodeJS.ProcessEnv): boolean {
  const production = env.PRODUCTION_DATABASE_URL
    ? resolveDatabase(target.flag, 'production', env)
    : undefined;
  return target.name === 'production' || (production !== undefined && production.display === target.display);
}

/** A production target needs --allow-production. */
export function guardProduction(
  target: DatabaseTarget,
  env: NodeJS.ProcessEnv,
  allowed: boolean,
  job: string,
): void {
  if (isProduction(target, env) && !allowed) {
    throw new InputError(
      `${target.flag} ${target.display} is production: ${job} replaces its data`,
      `pass --allow-production to ${job} production on purpose`,
    );
  }
}
