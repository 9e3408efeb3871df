// TLS for every connection a job opens, decided once from the URL: what the URL asks for
// (`sslmode`, `sslrootcert`, libpq's words), and otherwise TLS to any host that is not
// spelled as this machine — `localhost`, a loopback address written in full, a unix socket —
// so the rows of auth.users never cross a network in clear by default.

import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { InputError } from '../base/errors.ts';

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
const MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** libpq's connection parameters that postgres.js would otherwise send to the server as settings. */
export const LIBPQ_ONLY_PARAMS = [
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'sslcrl',
  'sslpassword',
  'sslsni',
  'sslnegotiation',
  'channel_binding',
  'gssencmode',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'connect_timeout',
];

/** This machine, spelled so: plain connections stay plain here (and only here) by default. */
export function isLocalHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    h === '' ||
    h === 'localhost' ||
    h.startsWith('/') ||
    h === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
  );
}

/** The mode a connection to `url` uses: the URL's own, else verify-full when it names a CA, disable on this machine, require elsewhere. */
export function sslMode(url: URL): SslMode {
  const asked = url.searchParams.get('sslmode');
  if (asked !== null) {
    if (!MODES.includes(asked as SslMode)) {
      throw new InputError(
        `sslmode=${asked} in the URL is not a libpq sslmode`,
        `use one of ${MODES.join(', ')} (or leave it out: TLS by default to any host but this machine)`,
      );
    }
    return asked as SslMode;
  }
  if (url.searchParams.get('sslrootcert')) return 'verify-full';
  return isLocalHost(decodeURIComponent(url.hostname)) ? 'disable' : 'require';
}

/** What postgres.js must check to match libpq: `require` with a root certificate verifies the chain. */
function checked(url: URL): SslMode {
  const mode = sslMode(url);
  return mode === 'require' && url.searchParams.get('sslrootcert') ? 'verify-ca' : mode;
}

/** The same decision as postgres.js's `ssl` option (verification against the URL's CA when given). */
export function postgresJsSsl(url: URL): false | 'prefer' | 'require' | ConnectionOptions {
  const mode = checked(url);
  if (mode === 'disable') return false;
  if (mode === 'allow' || mode === 'prefer') return 'prefer';
  if (mode === 'require') return 'require';
  const rootcert = url.searchParams.get('sslrootcert');
  let ca: Buffer | undefined;
  if (rootcert && rootcert !== 'system') {
    try {
      ca = readFileSync(rootcert);
    } catch (error) {
      throw new InputError(
        `sslrootcert=${rootcert} in the URL cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        'give the path of the CA certificate file (on Supabase: Project Settings → Database → SSL)',
      );
    }
  }
  return {
    rejectUnauthorized: true,
    ...(ca ? { ca } : {}),
    // verify-ca checks the chain only; verify-full also the host name (Node's default check).
    ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
  };
}

/** For our own socket factory: no TLS, or TLS with these Node options (prefer: plain if refused). */
export type TlsChoice = false | { mode: SslMode; options: ConnectionOptions };

export function tlsChoice(url: URL): TlsChoice {
  const mode = checked(url);
  if (mode === 'disable') return false;
  const ssl = postgresJsSsl(url);
  return { mode, options: typeof ssl === 'object' ? ssl : { rejectUnauthorized: false } };
}
