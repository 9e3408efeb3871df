// Opens postgres.js connections for jobs and turns connection failures into
// one-line errors that name the database (never its password) and the fix.

import net from 'node:net';
import tls from 'node:tls';
import postgres from 'postgres';
import { type EnvsyncError, InputError, JobError } from '../base/errors.ts';
import { LIBPQ_ONLY_PARAMS, postgresJsSsl, type TlsChoice, tlsChoice } from './tls.ts';
import type { DatabaseTarget } from './url.ts';

export type Sql = postgres.Sql<Record<string, never>>;

/** Anything queries run on: a connection, or a transaction opened on one. */
// biome-ignore lint/complexity/noBannedTypes: postgres.js's own default: every Sql and TransactionSql fits it
export type Query = postgres.ISql<{}>;

export interface ConnectOptions {
  applicationName: string;
  /** Seconds to wait for the server; bounded so an unreachable host never hangs a job. */
  connectTimeout?: number;
  max?: number;
}

export const DEFAULT_CONNECT_TIMEOUT = 10;

/** PostgreSQL's SSLRequest: length 8, code 80877103. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/**
 * TCP sockets with Nagle's algorithm off, and TLS negotiated here. postgres.js leaves Nagle on,
 * and a COPY's last small messages (CopyDone after the data) then wait for a delayed ACK: ~40
 * ms per statement round trip, 85 ms per copied table measured here. Doing the SSLRequest and
 * the handshake ourselves keeps the socket postgres.js talks over — TLS or not — in our hands,
 * so a failed job can destroy it outright. postgres.js starts its own connect timer only once
 * the socket exists, so this one bounds the TCP connect and the handshake.
 */
function noDelaySocket(timeoutSeconds: number, sockets: Set<net.Socket>, transport: TlsChoice) {
  return (o: { host: string[]; port: number[]; path?: string | false }) =>
    new Promise<net.Socket>((resolve, reject) => {
      const raw = o.path ? net.connect(o.path) : net.connect({ host: o.host[0]!, port: o.port[0]! });
      const track = (s: net.Socket) => {
        sockets.add(s);
        s.once('close', () => sockets.delete(s));
      };
      track(raw);
      let current: net.Socket = raw;
      const timer = setTimeout(() => {
        current.destroy();
        reject(Object.assign(new Error('connect timeout'), { code: 'CONNECT_TIMEOUT' }));
      }, timeoutSeconds * 1000);
      const fail = (e: Error) => {
        clearTimeout(timer);
        current.destroy();
        reject(e);
      };
      raw.once('error', fail);
      raw.once('connect', () => {
        raw.setNoDelay(true);
        if (!transport) {
          clearTimeout(timer);
          raw.removeListener('error', fail);
          return resolve(raw);
        }
        raw.write(SSL_REQUEST);
        raw.once('data', (answer: Buffer) => {
          if (answer[0] !== 0x53) {
            if (transport.mode === 'prefer' || transport.mode === 'allow') {
              clearTimeout(timer);
              raw.removeListener('error', fail);
              return resolve(raw);
            }
            return fail(
              Object.assign(new Error('the server does not support TLS'), { code: 'TLS_NOT_OFFERED' }),
            );
          }
          raw.removeListener('error', fail);
          const host = o.host[0] ?? '';
          const secure = tls.connect({
            socket: raw,
            ...(net.isIP(host) ? {} : { servername: host }),
            ...transport.options,
          });
          current = secure;
          track(secure);
          secure.once('error', fail);
          secure.once('secureConnect', () => {
            clearTimeout(timer);
            secure.removeListener('error', fail);
            resolve(secure);
          });
        });
      });
    });
}

/** Connects and proves the connection with `select 1`, so bad input fails here, early. */
const socketsOf = new WeakMap<Sql, Set<net.Socket>>();

/**
 * Closes a pool's connections at once, whatever they are doing. `sql.end()` cannot end
 * a connection whose server is blocked sending (a COPY TO we stopped reading): the
 * server never reads the Terminate, and the socket would keep the process alive.
 */
export function destroyConnections(sql: Sql): void {
  for (const s of socketsOf.get(sql) ?? []) s.destroy();
}

/**
 * The URL postgres.js is given and its TLS option: libpq-only parameters (sslmode,
 * sslrootcert…) taken out — postgres.js would send them to the server as settings — and
 * replaced by the one TLS decision (db/tls.ts) every connection of a job shares.
 */
export function driverConnection(url: string): { url: string; ssl: ReturnType<typeof postgresJsSsl> } {
  const u = new URL(url);
  const ssl = postgresJsSsl(u);
  for (const p of LIBPQ_ONLY_PARAMS) u.searchParams.delete(p);
  return { url: u.toString(), ssl };
}

function open(target: DatabaseTarget, options: ConnectOptions): Sql {
  const sockets = new Set<net.Socket>();
  const url = new URL(target.url);
  const transport = tlsChoice(url);
  for (const p of LIBPQ_ONLY_PARAMS) url.searchParams.delete(p);
  const timeout = options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
  const sql = postgres(url.toString(), {
    ssl: false, // negotiated by our socket factory
    max: options.max ?? 1,
    connect_timeout: timeout,
    idle_timeout: 30,
    prepare: false,
    onnotice: () => {},
    connection: { application_name: options.applicationName },
    // Typed in postgres.js's code, missing from its .d.ts.
    ...({ socket: noDelaySocket(timeout, sockets, transport) } as object),
  }) as Sql;
  socketsOf.set(sql, sockets);
  return sql;
}

export async function connect(target: DatabaseTarget, options: ConnectOptions): Promise<Sql> {
  const sql = open(target, options);
  try {
    await sql`select 1`;
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw connectionError(target, error);
  }
  try {
    await sessionPerConnection(target, options);
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw error;
  }
  return sql;
}

const probed = new Map<string, Promise<void>>();

/**
 * Every job needs one server session per connection: exported snapshots, SETs, session locks,
 * pg_dump. A transaction-mode pooler (Supabase's port 6543) hands each transaction to any
 * server connection, which would only seem to work — so it is found up front and refused.
 * Once per URL per process.
 */
function sessionPerConnection(target: DatabaseTarget, options: ConnectOptions): Promise<void> {
  let done = probed.get(target.url);
  if (!done) {
    done = (async () => {
      const pooled = new InputError(
        `${target.flag} ${target.display} goes through a transaction-mode pooler: envsync needs one server session per connection (snapshots, session settings, locks, pg_dump)`,
        'use the session-mode URL (on Supabase: the pooler on port 5432, user postgres.<project-ref>, or the direct connection)',
      );
      const [a, b] = [open(target, options), open(target, options)];
      try {
        const pid = async (s: Sql) => Number((await s`select pg_backend_pid() as pid`)[0]!.pid);
        // Two clients, one after the other: with a session each, their backends differ and
        // stay theirs; a pooler that hands out servers per transaction gives the next client
        // the backend the last one just released.
        const first = await pid(a);
        for (let i = 0; i < 4; i++) {
          const [x, y] = [await pid(a), await pid(b)];
          if (x === y || x !== first) throw pooled;
        }
      } catch (error) {
        throw error === pooled ? pooled : connectionError(target, error);
      } finally {
        await Promise.all([a.end({ timeout: 1 }).catch(() => {}), b.end({ timeout: 1 }).catch(() => {})]);
      }
    })();
    probed.set(target.url, done);
  }
  return done;
}

interface PgLikeError {
  code?: string;
  message?: string;
  detail?: string;
  hint?: string;
}

export function connectionError(target: DatabaseTarget, error: unknown): EnvsyncError {
  const e = (error ?? {}) as PgLikeError;
  const where = `${target.flag} ${target.display}`;
  const fromVar = target.envVar ? ` in ${target.envVar}` : '';
  if (e.code === 'TLS_NOT_OFFERED' || /before secure TLS connection was established/.test(e.message ?? '')) {
    return new InputError(
      `${where}: the server does not accept TLS (SSL), which envsync uses by default to a host that is not this machine`,
      `enable TLS on the server; only on a network you trust, add ?sslmode=disable to the URL${fromVar}`,
    );
  }
  if (/CERT|certificate|ERR_TLS/i.test(`${e.code ?? ''} ${e.message ?? ''}`)) {
    return new InputError(
      `${where}: the server's TLS certificate was not accepted (${e.message ?? e.code})`,
      `check sslrootcert (the CA that signed it) and that the URL's host is the certificate's name${fromVar}`,
    );
  }
  switch (e.code) {
    case 'ECONNREFUSED':
      return new InputError(
        `${where}: connection refused`,
        `check the host and port${fromVar} and that the server is running`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new InputError(`${where}: host not found`, `check the host name${fromVar}`);
    case 'CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new InputError(
        `${where}: no answer from the server (connect timeout)`,
        `check the host, port and firewall${fromVar}; the server must accept connections from this machine`,
      );
    case '28P01':
      return new InputError(
        `${where}: password authentication failed`,
        `check the password${fromVar} (percent-encode special characters)`,
      );
    case '28000':
      return new InputError(
        `${where}: the server refused this role or host (${e.message ?? 'no pg_hba.conf entry'})`,
        `check the user name${fromVar} and the server's access rules`,
      );
    case '3D000':
      return new InputError(
        `${where}: database does not exist`,
        `check the database name at the end of the URL${fromVar}`,
      );
    case '53300':
      return new JobError(`${where}: too many connections`, 'retry later or raise max_connections');
    case '57P03':
      return new JobError(`${where}: the server is starting up or shutting down`, 'retry in a moment');
    default:
      return new JobError(
        `${where}: cannot connect (${e.code ?? 'error'}: ${e.message ?? String(error)})`,
        `check the connection URL${fromVar}`,
        { cause: error },
      );
  }
}

/** A Postgres error as one line that keeps its code, detail and hint. */
export function describePgError(error: unknown): string {
  const e = (error ?? {}) as PgLikeError;
  if (!e.code || !/^[0-9A-Z]{5}$/.test(e.code)) return e.message ?? String(error);
  const parts = [`${e.message} (SQLSTATE ${e.code})`];
  if (e.detail) parts.push(`detail: ${e.detail}`);
  if (e.hint) parts.push(`hint: ${e.hint}`);
  return parts.join('; ');
}
