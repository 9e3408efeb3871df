// The setup action asks each server its version without putting the URL on a command line
// (where `ps` and /proc/*/cmdline show it to every user of the runner): psql is run through a
// recording stand-in, against a real server.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../scripts/lib/cli/env-file.ts';
import { findClientProgram } from '../../scripts/lib/db/pg-binaries.ts';
import { closeAll, supabaseDatabase } from '../helpers/supabase-db.ts';

afterAll(closeAll);

test('server-major.ts reads the version with the password in the environment only', async () => {
  const db = await supabaseDatabase({ migrations: false });
  const bin = mkdtempSync(path.join(os.tmpdir(), 'envsync-psql-shim-'));
  const argvFile = path.join(bin, 'argv');
  const realPsql = findClientProgram('psql', 15, process.env).path;
  writeFileSync(
    path.join(bin, 'psql'),
    `#!/bin/sh\nprintf '%s\\n' "$@" > '${argvFile}'\nexec '${realPsql}' "$@"\n`,
  );
  chmodSync(path.join(bin, 'psql'), 0o755);
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, '.github/actions/setup/server-major.ts'), 'DEV_DATABASE_URL'],
    {
      cwd: repoRoot,
      env: { PATH: `${bin}:${process.env.PATH}`, DEV_DATABASE_URL: db.url },
      encoding: 'utf8',
    },
  );
  expect(out.trim()).toMatch(/^1[5-9]$/);
  const argv = readFileSync(argvFile, 'utf8');
  expect(argv).not.toContain(db.password);
  expect(argv).not.toContain('postgres://');
  // And the script that runs it no longer hands psql the URL.
  expect(readFileSync(path.join(repoRoot, '.github/actions/setup/postgres-client.sh'), 'utf8')).not.toMatch(
    /psql "\$url"/,
  );
});
