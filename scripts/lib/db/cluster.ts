// Throwaway PostgreSQL clusters for tests and the demo: initdb once into a cached
// template, copy it per cluster, start on a free port with the socket in a temp dir.
// A watchdog shell ends the server when its owner process goes away, however it dies.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { InputError } from '../base/errors.ts';
import { findPrograms } from './pg-binaries.ts';

export interface ServerBinaries {
  bindir: string;
  major: number;
  version: string;
}

const CLUSTER_PREFIX = 'envsync-pg-';
export const BOOTSTRAP_SUPERUSER = 'supabase_admin';

/** Server binaries ≥ minMajor (initdb and postgres side by side), newest first. */
export function findServerBinaries(minMajor = 15, env: NodeJS.ProcessEnv = process.env): ServerBinaries {
  const found = findPrograms('postgres', env).filter(
    (p) => p.major >= minMajor && existsSync(path.join(p.bindir, 'initdb')),
  );
  if (!found[0]) {
    throw new InputError(
      `no PostgreSQL ≥ ${minMajor} server binaries (initdb, postgres) found in PG_BIN, pg_config --bindir, /usr/lib/postgresql/*/bin, Homebrew or PATH`,
      'install them (Debian/Ubuntu: sudo apt-get install postgresql postgresql-contrib; macOS: brew install postgresql@16) or set PG_BIN to their directory',
    );
  }
  return { bindir: found[0].bindir, major: found[0].major, version: found[0].version };
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** initdb refuses root: when we are root the server runs as `postgres` (or `nobody`). */
function serverUser(): RunAs {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  for (const name of ['postgres', 'nobody']) {
    const line = passwd.find((l) => l.startsWith(`${name}:`));
    if (line) {
      const [, , uid, gid] = line.split(':');
      return { uid: Number(uid), gid: Number(gid) };
    }
  }
  throw new Error('running as root, but there is no `postgres` or `nobody` user to run the server as');
}

function ownDir(dir: string, runAs: RunAs): void {
  if (runAs.uid !== undefined) chownSync(dir, runAs.uid, runAs.gid ?? runAs.uid);
}

function run(bin: string, args: string[], runAs: RunAs): void {
  const r = spawnSync(bin, args, { ...runAs, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${path.basename(bin)} failed: ${r.stderr || r.stdout || r.error}`);
}

/** One initialized data directory per server version, reused by every cluster. */
function templateDir(bin: ServerBinaries, runAs: RunAs): string {
  const dir = path.join(
    os.tmpdir(),
    `envsync-template-${bin.version}-u${runAs.uid ?? process.getuid?.() ?? 0}`,
  );
  if (existsSync(path.join(dir, 'data', 'PG_VERSION'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  mkdirSync(tmp, { recursive: true });
  ownDir(tmp, runAs);
  run(
    path.join(bin.bindir, 'initdb'),
    [
      '-D',
      path.join(tmp, 'data'),
      '-U',
      BOOTSTRAP_SUPERUSER,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
      '--no-instructions',
    ],
    runAs,
  );
  try {
    renameSync(tmp, dir);
  } catch {
    // Another worker won the race: its template is as good as ours.
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ClusterOptions {
  /** Label for logs and the temp dir. */
  name?: string;
  /** Keep the server running after this process exits (the demo's --keep). */
  detached?: boolean;
  binaries?: ServerBinaries;
  /** A stopped cluster's data directory to start from (default: a fresh initdb). */
  dataFrom?: string;
  /** Extra server settings (`-c name=value`). */
  settings?: Record<string, string>;
}

export class Cluster {
  private watchdog?: ChildProcess;
  readonly host = '127.0.0.1';

  constructor(
    readonly name: string,
    readonly baseDir: string,
    readonly port: number,
    readonly binaries: ServerBinaries,
    readonly superuserPassword: string,
    private readonly runAs: RunAs,
    private readonly settings: Record<string, string>,
    private readonly detached: boolean,
  ) {}

  get dataDir(): string {
    return path.join(this.baseDir, 'data');
  }

  get logFile(): string {
    return path.join(this.baseDir, 'server.log');
  }

  /** A TCP URL with a password (what jobs are given). */
  url(user: string, password: string, database = 'postgres'): string {
    return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${this.host}:${this.port}/${encodeURIComponent(database)}`;
  }

  /** The bootstrap superuser's URL over TCP. */
  superuserUrl(database = 'postgres'): string {
    return this.url(BOOTSTRAP_SUPERUSER, this.superuserPassword, database);
  }

  /** A superuser connection over the unix socket (trust auth, for setup only). */
  admin(database = 'postgres'): postgres.Sql {
    return postgres({
      host: this.baseDir,
      port: this.port,
      user: BOOTSTRAP_SUPERUSER,
      database,
      max: 1,
      onnotice: () => {},
      prepare: false,
    });
  }

  get postmasterPid(): number | undefined {
    try {
      return Number(readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return undefined;
    }
  }

  async start(): Promise<void> {
    const args = [
      '-D',
      this.dataDir,
      '-p',
      String(this.port),
      '-k',
      this.baseDir,
      '-h',
      this.host,
      ...Object.entries(this.settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ];
    const logOffset = existsSync(this.logFile) ? statSync(this.logFile).size : 0;
    const postgresCmd = [path.join(this.binaries.bindir, 'postgres'), ...args].map(shellQuote).join(' ');
    if (this.detached) {
      const child = spawn('sh', ['-c', `exec ${postgresCmd} >> ${shellQuote(this.logFile)} 2>&1`], {
        ...this.runAs,
        detached: true,
        stdio: 'ignore',
      });
      child.unref();
    } else {
      // The shell waits on stdin; when this process goes away (even by SIGKILL) the pipe
      // closes and the shell stops the server at once.
      const script = `${postgresCmd} >> ${shellQuote(this.logFile)} 2>&1 & pid=$!; read _ignored; kill -QUIT $pid 2>/dev/null; wait $pid`;
      this.watchdog = spawn('sh', ['-c', script], {
        ...this.runAs,
        detached: true,
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      this.watchdog.unref();
      (this.watchdog.stdin as unknown as { unref?: () => void }).unref?.();
    }
    await this.waitReady(logOffset);
  }

  private async waitReady(logOffset: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      const sql = this.admin();
      try {
        await sql`select 1`;
        await sql.end();
        return;
      } catch (error) {
        lastError = error;
        await sql.end({ timeout: 0 }).catch(() => {});
        // Only what this start wrote; our own polling causes "starting up" rejections.
        const log = existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8').slice(logOffset) : '';
        if (
          /could not bind|could not create any TCP|FATAL: {2}(?!the database system is (starting up|not yet accepting))/.test(
            log,
          )
        ) {
          throw new Error(
            `cluster ${this.name} failed to start: ${log.trim().split('\n').slice(-3).join(' | ')}`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error(`cluster ${this.name} did not start in ${timeoutMs} ms: ${String(lastError)}`);
  }

  /** Stops the server: `immediate` (SIGQUIT, the default for throwaways), `fast`, or `kill` (SIGKILL). */
  async stop(mode: 'immediate' | 'fast' | 'kill' = 'immediate'): Promise<void> {
    const pid = this.postmasterPid;
    if (pid && isAlive(pid)) {
      const signal = mode === 'kill' ? 'SIGKILL' : mode === 'fast' ? 'SIGINT' : 'SIGQUIT';
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
      // The watchdog shell is the postmaster's parent: releasing it lets it reap the process.
      this.releaseWatchdog();
      const deadline = Date.now() + 10_000;
      while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (mode === 'kill') await waitForChildrenToExit(this.port);
    }
    this.releaseWatchdog();
    // A killed postmaster leaves its pid file; a restart must not trip over it.
    if (mode === 'kill') rmSync(path.join(this.dataDir, 'postmaster.pid'), { force: true });
  }

  private releaseWatchdog(): void {
    this.watchdog?.stdin?.end();
    this.watchdog = undefined;
  }

  /** Stops the server and deletes everything it had. */
  async destroy(): Promise<void> {
    await this.stop('immediate');
    rmSync(this.baseDir, { recursive: true, force: true });
    live.delete(this);
  }
}

async function waitForChildrenToExit(port: number): Promise<void> {
  // After SIGKILL of the postmaster its backends notice and exit within moments;
  // a restart on the same port must wait for the old socket to be released.
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const inUse = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (!inUse) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped by its parent) is not alive.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./=:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

const live = new Set<Cluster>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) {
      const pid = c.postmasterPid;
      if (pid && isAlive(pid)) {
        try {
          process.kill(pid, 'SIGQUIT');
        } catch {
          // gone
        }
      }
      rmSync(c.baseDir, { recursive: true, force: true });
    }
  });
}

/** Starts a throwaway cluster; the bootstrap superuser is `supabase_admin`. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const binaries = options.binaries ?? findServerBinaries();
  const runAs = serverUser();
  const template = options.dataFrom ?? path.join(templateDir(binaries, runAs), 'data');
  const name = options.name ?? 'pg';
  const settings = {
    // fsync off is safe against a killed server (the OS keeps the writes); synchronous_commit
    // stays on so a commit acknowledged before a kill survives it, as on a real server.
    fsync: 'off',
    full_page_writes: 'off',
    max_connections: '60',
    shared_buffers: '128MB',
    max_wal_size: '2GB',
    ...options.settings,
  };
  for (let attempt = 0; ; attempt++) {
    const baseDir = mkdtempSync(path.join(os.tmpdir(), `${CLUSTER_PREFIX}${name}-`));
    ownDir(baseDir, runAs);
    writeFileSync(path.join(baseDir, 'owner.pid'), String(options.detached ? 0 : process.pid));
    run('cp', ['-a', template, path.join(baseDir, 'data')], runAs);
    const port = await freePort();
    const password = randomBytes(12).toString('base64url');
    const cluster = new Cluster(name, baseDir, port, binaries, password, runAs, settings, !!options.detached);
    try {
      await cluster.start();
    } catch (error) {
      await cluster.stop('immediate').catch(() => {});
      rmSync(baseDir, { recursive: true, force: true });
      // A port taken between freePort() and bind() is worth another try.
      if (attempt < 3 && /could not bind|could not create listen socket/.test(String(error))) continue;
      throw error;
    }
    if (!options.detached) {
      live.add(cluster);
      installExitHook();
    }
    const admin = cluster.admin();
    try {
      await admin.unsafe(`alter role ${BOOTSTRAP_SUPERUSER} password '${password}'`);
    } finally {
      await admin.end();
    }
    return cluster;
  }
}

/**
 * Stops and removes clusters whose owner process is gone (a crashed or killed test
 * run). Returns how many were swept.
 */
export function sweepOrphanClusters(): number {
  let swept = 0;
  for (const entry of readdirSync(os.tmpdir())) {
    if (!entry.startsWith(CLUSTER_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), entry);
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(path.join(dir, 'owner.pid'), 'utf8'));
    } catch {
      // no owner file: a cluster still being created, or not ours
      continue;
    }
    if (owner === 0 || isAlive(owner)) continue; // detached (demo --keep) or still owned
    try {
      const pid = Number(readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid && isAlive(pid)) process.kill(pid, 'SIGQUIT');
    } catch {
      // not running
    }
    rmSync(dir, { recursive: true, force: true });
    swept++;
  }
  return swept;
}
