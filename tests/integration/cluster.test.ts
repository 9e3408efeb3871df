// The throwaway-cluster harness: fast, not root, and never outlives its owner.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { InputError } from '../../scripts/lib/base/errors.ts';
import { repoRoot } from '../../scripts/lib/cli/env-file.ts';
import {
  type Cluster,
  findServerBinaries,
  startCluster,
  sweepOrphanClusters,
} from '../../scripts/lib/db/cluster.ts';
import { until } from '../helpers/wait.ts';

const external = !!process.env.TEST_DATABASE_URL;
const maybe = external ? test.skip : test;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('no suitable server binaries is bad input naming what to install', () => {
  try {
    findServerBinaries(99, { PATH: '/nonexistent' });
    throw new Error('expected an error');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toMatch(/^no PostgreSQL ≥ 99 server binaries/);
    expect((e as InputError).hint).toMatch(/apt-get install postgresql .*brew install postgresql@16.*PG_BIN/);
  }
});

describe('throwaway clusters', () => {
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.destroy();
    cluster = undefined;
  });

  maybe(
    'start as copies of one initdb template, accept password logins over TCP, and run as a non-root user',
    async () => {
      // Fast because initdb runs once: every cluster is a copy of the template, so they share its
      // system identifier (initdb makes a new one each time). Speed itself is for the benchmarks.
      cluster = await startCluster({ name: 'speed' });
      const second = await startCluster({ name: 'speed-2' });
      const identify = async (c: Cluster) => {
        const s = postgres(c.superuserUrl(), { max: 1 });
        try {
          const [r] = await s`select current_user as u, inet_server_port() as port,
                                   (select system_identifier::text from pg_control_system()) as id`;
          return r!;
        } finally {
          await s.end();
        }
      };
      try {
        const [r, r2] = [await identify(cluster), await identify(second)];
        expect(r).toEqual({ u: 'supabase_admin', port: cluster.port, id: r2.id });
        expect(second.port).not.toBe(cluster.port);
      } finally {
        await second.destroy();
      }
      const uid = /Uid:\s+(\d+)/.exec(readFileSync(`/proc/${cluster.postmasterPid}/status`, 'utf8'))![1];
      expect(Number(uid)).not.toBe(0);
    },
  );

  maybe('refuse a wrong password', async () => {
    cluster = await startCluster({ name: 'auth' });
    const sql = postgres(cluster.url('supabase_admin', 'wrong'), { max: 1 });
    await expect(sql`select 1`).rejects.toMatchObject({ code: '28P01' });
    await sql.end();
  });

  maybe('survive a SIGKILL of the server and restart with committed data', async () => {
    cluster = await startCluster({ name: 'restart' });
    const sql = postgres(cluster.superuserUrl(), { max: 1 });
    await sql`create table t (x int)`;
    await sql`insert into t values (1), (2)`;
    await sql.end();
    const pid = cluster.postmasterPid!;
    await cluster.stop('kill');
    expect(alive(pid)).toBe(false);
    await cluster.start();
    const again = postgres(cluster.superuserUrl(), { max: 1 });
    const [r] = await again`select count(*)::int as n from t`;
    await again.end();
    expect(r!.n).toBe(2);
  });

  maybe('destroy stops the server and removes its directory', async () => {
    const c = await startCluster({ name: 'destroy' });
    const pid = c.postmasterPid!;
    await c.destroy();
    expect(alive(pid)).toBe(false);
    expect(existsSync(c.baseDir)).toBe(false);
  });

  maybe(
    'a server dies with the process that started it, even on SIGKILL, and the sweep removes its files',
    async () => {
      // One process (node with the tsx loader), so the SIGKILL hits the cluster's owner itself.
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(repoRoot, 'tests', 'helpers', 'hold-cluster.ts')],
        {
          cwd: repoRoot,
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const info = await new Promise<{ pid: number; baseDir: string }>((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (d) => {
          buf += d;
          if (buf.includes('\n')) resolve(JSON.parse(buf.split('\n')[0]!));
        });
        child.on('exit', (code) => reject(new Error(`holder exited early (${code})`)));
      });
      expect(alive(info.pid)).toBe(true);
      child.kill('SIGKILL');
      expect(await until(() => !alive(info.pid), 10_000, 50)).toBe(true);
      expect(await until(() => child.exitCode !== null || child.signalCode !== null, 5000, 50)).toBe(true);
      sweepOrphanClusters();
      expect(existsSync(info.baseDir)).toBe(false);
    },
  );
});
