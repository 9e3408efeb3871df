// Guards every job that replaces a database's contents keeps.

import { InputError } from '../cli/errors.ts';
import { type DatabaseTarget, resolveDatabase } from './url.ts';

/** A target that is production (by name or by the same URL) needs --allow-production. */
export function guardProduction(
  target: DatabaseTarget,
  env: NodeJS.ProcessEnv,
  allowed: boolean,
  job: string,
): void {
  const production = env.PRODUCTION_DATABASE_URL
    ? resolveDatabase(target.flag, 'production', env)
    : undefined;
  const isProduction =
    target.name === 'production' || (production !== undefined && production.display === target.display);
  if (isProduction && !allowed) {
    throw new InputError(
      `${target.flag} ${target.display} is production: ${job} replaces its data`,
      `pass --allow-production to ${job} production on purpose`,
    );
  }
}
