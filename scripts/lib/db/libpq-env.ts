// Connection settings for libpq programs (pg_dump, pg_restore, psql) as environment
// variables: a password in a command line is visible to every user of the machine.

import { sslMode } from './tls.ts';
import type { DatabaseTarget } from './url.ts';

const PARAMS: Record<string, string> = {
  sslmode: 'PGSSLMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  options: 'PGOPTIONS',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
};

export function libpqEnvironment(
  target: DatabaseTarget,
  applicationName: string,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const u = new URL(target.url);
  const env: NodeJS.ProcessEnv = {};
  // Only what a libpq program needs from our environment; nothing else leaks in.
  for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR']) if (base[k]) env[k] = base[k];
  env.PGHOST = decodeURIComponent(u.hostname.replace(/^\[|\]$/g, ''));
  env.PGPORT = u.port || '5432';
  env.PGUSER = decodeURIComponent(u.username);
  env.PGDATABASE = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres';
  const password = u.password ? decodeURIComponent(u.password) : u.searchParams.get('password');
  if (password) env.PGPASSWORD = password;
  env.PGAPPNAME = applicationName;
  env.PGCONNECT_TIMEOUT ??= '10';
  for (const [param, variable] of Object.entries(PARAMS)) {
    const v = u.searchParams.get(param);
    if (v) env[variable] = v;
  }
  // The same TLS decision as the jobs' own connections (TLS by default off this machine).
  env.PGSSLMODE = sslMode(u);
  return env;
}
