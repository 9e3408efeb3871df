// A real PgBouncer (Debian package `pgbouncer`) in front of a test database, the way GitHub's
// runners reach Supabase: through a pooler, with the user spelled `postgres.<project-ref>` as
// Supavisor wants it. Session or transaction mode. A watchdog shell ends it when the test
// process goes, however it dies.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/lib/db/cluster.ts';
import type { TestDatabase } from './supabase-db.ts';

export const PROJECT_USER = 'postgres.abcdefghijklmnopqrst';

export function pgbouncerBinary(): string | null {
  for (const p of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer']) {
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not there
    }
  }
  const which = spawnSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : null;
}

export interface Bouncer {
  /** The pooled URL, as `postgres.<ref>` with the database's password. */
  url: string;
  stop(): void;
}

const running: ChildProcess[] = [];

export async function startPgBouncer(db: TestDatabase, mode: 'session' | 'transaction'): Promise<Bouncer> {
  const bin = pgbouncerBinary();
  if (!bin)
    throw new Error('pgbouncer is not installed (Debian: apt-get install pgbouncer; .ci/run installs it)');
  const server = new URL(db.url);
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'envsync-pgbouncer-'));
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  writeFileSync(path.join(dir, 'userlist.txt'), `${quote(PROJECT_USER)} ${quote(db.password)}\n`);
  writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `postgres = host=127.0.0.1 port=${server.port} dbname=postgres user=postgres password=${db.password}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      `unix_socket_dir = ${dir}`,
      'auth_type = scram-sha-256',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      `pool_mode = ${mode}`,
      'default_pool_size = 4',
      'max_client_conn = 200',
      'ignore_startup_parameters = extra_float_digits,options',
      `logfile = ${path.join(dir, 'pgbouncer.log')}`,
      `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  // PgBouncer will not run as root: as root, it runs as the user that owns the data directory.
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? statSync(db.cluster!.dataDir) : undefined;
  if (owner)
    for (const f of ['', 'userlist.txt', 'pgbouncer.ini']) chownSync(path.join(dir, f), owner.uid, owner.gid);
  const user = owner ? (readPasswdName(owner.uid) ?? 'postgres') : undefined;
  const args = [...(user ? ['-u', user] : []), path.join(dir, 'pgbouncer.ini')];
  const child = spawn('sh', ['-c', `"$0" "$@" & pid=$!; read _; kill $pid`, bin, ...args], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  running.push(child);
  for (let i = 0; i < 200; i++) {
    if (await listening(port)) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const url = new URL(db.url);
  url.username = encodeURIComponent(PROJECT_USER);
  url.port = String(port);
  return {
    url: url.toString(),
    stop: () => {
      child.stdin?.end();
      child.kill();
    },
  };
}

function readPasswdName(uid: number): string | undefined {
  return readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => Number(f[2]) === uid)?.[0];
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export function stopAllBouncers(): void {
  for (const c of running.splice(0)) {
    c.stdin?.end();
    c.kill();
  }
}
