// Turns `--db dev` or `--db postgres://…` into a connection target whose printable
// form never holds the password.

import { InputError } from '../base/errors.ts';

export interface DatabaseTarget {
  /** The flag it came from, for messages (`--source`). */
  flag: string;
  /** `dev`, `staging`, `production`, … or `url` when given as a URL. */
  name: string;
  /** The environment variable it was read from, when given by name. */
  envVar?: string;
  /** The full connection URL: a secret, never printed. */
  url: string;
  /** `postgres://user@host:port/db`: what is shown. */
  display: string;
  /** Every spelling of the password (raw and percent-encoded), for masking. */
  secrets: string[];
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

export function envVarFor(name: string): string {
  return `${name.toUpperCase().replace(/-/g, '_')}_DATABASE_URL`;
}

/** `postgres://user@host:port/db`, or a fixed placeholder when the URL does not parse. */
export function redactUrl(url: string): string {
  const parsed = parsePostgresUrl(url);
  if (!parsed) return 'postgres://<unparseable url>';
  const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
  const port = parsed.port || '5432';
  const db = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres';
  return `postgres://${user}${parsed.hostname}:${port}/${db}`;
}

function parsePostgresUrl(url: string): URL | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') return undefined;
    if (!parsed.hostname) return undefined;
    return parsed;
  } catch {
    return undefined;
  }
}

/** Every form in which the URL's secrets could appear in text. */
export function urlSecrets(url: string): string[] {
  const parsed = parsePostgresUrl(url);
  const out = new Set<string>([url]);
  if (parsed) {
    const passwords = [parsed.password, parsed.searchParams.get('password') ?? ''];
    for (const p of passwords) {
      if (!p) continue;
      out.add(p);
      try {
        out.add(decodeURIComponent(p));
      } catch {
        // a malformed escape: the raw form is already masked
      }
      out.add(encodeURIComponent(p));
    }
  }
  return [...out].filter((s) => s.length >= 3);
}

/**
 * Resolves a `--db/--source/--target` value: an environment name read from
 * `<NAME>_DATABASE_URL`, or a postgres:// URL.
 */
export function resolveDatabase(flag: string, value: string, env: NodeJS.ProcessEnv): DatabaseTarget {
  const looksLikeUrl = value.includes('://');
  if (!looksLikeUrl && NAME.test(value)) {
    const envVar = envVarFor(value);
    const url = env[envVar];
    if (!url) {
      throw new InputError(
        `${flag} ${value}: ${envVar} is not set`,
        `set ${envVar} in the environment or in .env (see .env.template), or pass a postgres:// URL`,
      );
    }
    return fromUrl(flag, value.toLowerCase(), url, envVar);
  }
  return fromUrl(flag, 'url', value);
}

function fromUrl(flag: string, name: string, url: string, envVar?: string): DatabaseTarget {
  const source = envVar ? `${envVar}` : `the ${flag} value`;
  const parsed = parsePostgresUrl(url.trim());
  if (!parsed) {
    throw new InputError(
      `${source} is not a valid PostgreSQL URL`,
      'use the form postgres://user:password@host:5432/database (percent-encode special characters in the password)',
    );
  }
  return {
    flag,
    name,
    ...(envVar ? { envVar } : {}),
    url: url.trim(),
    display: redactUrl(url.trim()),
    secrets: urlSecrets(url.trim()),
  };
}

/** The secrets in an environment: connection URLs, keys, passwords and tokens. */
export function environmentSecrets(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (!value) continue;
    if (/_DATABASE_URL$/.test(key)) out.push(...urlSecrets(value));
    else if (/(_KEY|_PASSWORD|_SECRET|_TOKEN)$/.test(key) && value.length >= 6) out.push(value);
  }
  return out;
}
