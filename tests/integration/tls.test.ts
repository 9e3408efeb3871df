// TLS by default to any host that is not spelled as this machine, verified against a local
// server with a self-signed certificate that refuses plain connections (pg_hba: hostssl only).
// `127.1` reaches the local server without being spelled as a local address — the way a
// remote host looks to the TLS decision — so the default is exercised for real.
import { chmodSync, chownSync, copyFileSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isLocalHost, sslMode } from '../../scripts/lib/db/tls.ts';
import { dir } from '../helpers/backups.ts';
import { cleanEnv, runScript } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';
import { selfSignedCertificate } from '../helpers/tls-cert.ts';

const ownCluster = process.env.TEST_DATABASE_URL ? describe.skip : describe;
afterAll(closeAll);

test('the decision: plain only to this machine spelled so; the URL’s own sslmode wins', () => {
  expect(['localhost', '127.0.0.1', '127.8.9.10', '[::1]', '/var/run/postgresql'].map(isLocalHost)).toEqual([
    true,
    true,
    true,
    true,
    true,
  ]);
  expect(
    ['db.abc.supabase.co', 'aws-0-eu-west-1.pooler.supabase.com', '10.0.0.5', '127.1'].map(isLocalHost),
  ).toEqual([false, false, false, false]);
  const mode = (u: string) => sslMode(new URL(u));
  expect(mode('postgres://u@db.abc.supabase.co:5432/postgres')).toBe('require');
  expect(mode('postgres://u@db.abc.supabase.co:5432/postgres?sslrootcert=/ca.crt')).toBe('verify-full');
  expect(mode('postgres://u@db.abc.supabase.co:5432/postgres?sslmode=disable')).toBe('disable');
  expect(mode('postgres://u@127.0.0.1:5432/postgres')).toBe('disable');
  expect(() => mode('postgres://u@h/db?sslmode=always')).toThrow(/not a libpq sslmode/);
});

ownCluster('against a server that only accepts TLS', () => {
  let db: TestDatabase;
  let cert: string;
  const at = (host: string, query = '') => {
    const u = new URL(db.url);
    u.hostname = host;
    return `${u.toString()}${query}`;
  };

  beforeAll(async () => {
    db = await supabaseDatabase({ migrations: false });
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'envsync-tls-'));
    cert = selfSignedCertificate(tmp, 'server', 'localhost').cert;
    const data = db.cluster!.dataDir;
    const { uid, gid } = statSync(data);
    for (const f of ['server.crt', 'server.key']) {
      copyFileSync(path.join(tmp, f), path.join(data, f));
      chownSync(path.join(data, f), uid, gid);
      chmodSync(path.join(data, f), 0o600);
    }
    writeFileSync(
      path.join(data, 'pg_hba.conf'),
      'local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 127.0.0.1/32 reject\n',
    );
    const admin = db.cluster!.admin();
    try {
      await admin`alter system set ssl = on`;
      await admin`select pg_reload_conf()`;
    } finally {
      await admin.end();
    }
  });

  test('a host not spelled as this machine gets TLS by default: the jobs and pg_dump connect', async () => {
    const url = at('127.1');
    const analyze = await runScript('analyze', ['--db', url, '--out', dir('tls-analyze')]);
    expect(analyze.stderr).toBe('');
    expect(analyze.code).toBe(0);
    const backup = await runScript('backup', ['--db', url, '--out', dir('tls-backup')]);
    expect(backup.code).toBe(0);
  });

  test('this machine spelled so stays plain — and is refused here, with what to do', async () => {
    const plain = await runScript('analyze', ['--db', at('127.0.0.1'), '--out', dir('tls-plain')]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/^error: --db .*: the server refused this role or host/m);
    const asked = await runScript('analyze', [
      '--db',
      at('127.0.0.1', '?sslmode=require'),
      '--out',
      dir('tls-asked'),
    ]);
    expect(asked.code).toBe(0);
  });

  test('verify-full against the certificate as CA: the right name passes, another name is refused', async () => {
    const ok = await runScript('analyze', [
      '--db',
      at('localhost', `?sslrootcert=${encodeURIComponent(cert)}`),
      '--out',
      dir('tls-verify'),
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const wrongName = await runScript('analyze', [
      '--db',
      at('127.1', `?sslrootcert=${encodeURIComponent(cert)}`),
      '--out',
      dir('tls-wrong-name'),
    ]);
    expect(wrongName.code).toBe(2);
    expect(wrongName.stderr).toMatch(/certificate/i);
  });
});

test('TLS asked of a server without it: one line saying so, and how to go plain on purpose', async () => {
  const db = await supabaseDatabase({ migrations: false });
  const u = new URL(db.url);
  u.hostname = '127.1';
  const run = await runScript('analyze', ['--db', u.toString(), '--out', dir('tls-none')], cleanEnv());
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/^error: --db .*: the server does not accept TLS/m);
  expect(run.stderr).toMatch(/^hint: .*sslmode=disable/m);
});
