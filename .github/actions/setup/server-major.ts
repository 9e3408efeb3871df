// Prints the PostgreSQL major version of the server that <NAME>_DATABASE_URL names, asking
// it through psql with the connection in libpq's environment — never on a command line,
// where every user of the runner (`ps`, /proc/*/cmdline) would see the password.
// Usage: node --import tsx server-major.ts <ENV_VAR>; exit 1 (and nothing printed) when unreachable.
import { spawnSync } from 'node:child_process';
import { libpqEnvironment } from '../../../scripts/lib/db/libpq-env.ts';
import { resolveDatabase } from '../../../scripts/lib/db/url.ts';

const variable = process.argv[2] ?? '';
try {
  const target = resolveDatabase('--db', process.env[variable] ?? '', process.env);
  const env = { ...libpqEnvironment(target, 'envsync setup', process.env), PGCONNECT_TIMEOUT: '20' };
  const r = spawnSync('psql', ['-XAtqc', "select current_setting('server_version_num')::int / 10000"], {
    env,
    encoding: 'utf8',
  });
  if (r.status !== 0 || !/^\d+$/.test(r.stdout.trim())) process.exit(1);
  process.stdout.write(`${r.stdout.trim()}\n`);
} catch {
  process.exit(1);
}
