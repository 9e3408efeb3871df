// Client program discovery: the same major as the server if there is one, else the
// oldest newer one; never an older one.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../scripts/lib/base/errors.ts';
import { findClientProgram } from '../../scripts/lib/db/pg-binaries.ts';

function fakeBin(version: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `envsync-bin-${version}-`));
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'pg_dump');
  writeFileSync(file, `#!/bin/sh\necho "pg_dump (PostgreSQL) ${version}"\n`);
  chmodSync(file, 0o755);
  return dir;
}

const v14 = fakeBin('14.2');
const v17 = fakeBin('17.6');
const v19 = fakeBin('19.1');
const pathOf = (...dirs: string[]) => ({ PATH: dirs.join(path.delimiter) });

test('picks the same major as the server when present', () => {
  expect(findClientProgram('pg_dump', 17, pathOf(v14, v19, v17))).toMatchObject({
    major: 17,
    version: '17.6',
    bindir: v17,
  });
});

test('else the oldest newer one', () => {
  expect(findClientProgram('pg_dump', 16, pathOf(v19, v17, v14)).major).toBe(17);
});

test('PG_BIN is searched first', () => {
  expect(findClientProgram('pg_dump', 19, { PG_BIN: v19, PATH: v14 }).bindir).toBe(v19);
});

test('none new enough: bad input naming the server version, what was found, and the package', () => {
  try {
    findClientProgram('pg_dump', 99, pathOf(v14));
    throw new Error('expected an error');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toMatch(
      /^no pg_dump of PostgreSQL 99 or newer for this server \(PostgreSQL 99\) \(found .*14\.2 in /,
    );
    expect((e as InputError).hint).toContain('postgresql-client-99');
    expect((e as InputError).hint).toContain('brew install libpq');
    expect((e as InputError).hint).toContain('GitHub Actions');
  }
});

test('the search stops at the first program of the server’s major: the ones after it are never run', () => {
  const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'envsync-bin-ran-')), 'ran');
  const later = mkdtempSync(path.join(os.tmpdir(), 'envsync-bin-later-'));
  writeFileSync(
    path.join(later, 'pg_dump'),
    `#!/bin/sh\ntouch ${marker}\necho "pg_dump (PostgreSQL) 17.9"\n`,
  );
  chmodSync(path.join(later, 'pg_dump'), 0o755);
  expect(findClientProgram('pg_dump', 17, pathOf(v14, v17, later)).bindir).toBe(v17);
  expect(existsSync(marker)).toBe(false);
});
