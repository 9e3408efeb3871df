// What a well-formed value looks like for each kind of name validate-env checks, read from the
// name: database URLs, the backup key, https URLs, Supabase keys. What it returns describes a
// value (a database's display form, a URL's host, a key's role), never holds it.

import { encryptionKeyProblem } from '../backup/encryption.ts';
import { InputError } from '../base/errors.ts';
import { type DatabaseTarget, resolveDatabase } from '../db/url.ts';
import type { NameKind } from '../results/validate-env.ts';

export type FormVerdict =
  | { ok: true; detail: string; database?: DatabaseTarget }
  | { ok: false; problem: string };

/** The kind of value a name holds, by envsync's naming: unknown names are only checked for presence. */
export function kindOfName(name: string): NameKind {
  if (/(^|_)DATABASE_URL$/.test(name)) return 'database-url';
  if (name === 'BACKUP_ENCRYPTION_KEY') return 'backup-key';
  if (/(^|_)URL$/.test(name)) return 'https-url';
  if (
    /(^|_)(ANON|SERVICE_ROLE|PUBLISHABLE)_KEY$/.test(name) ||
    (/SUPABASE/.test(name) && /_KEY$/.test(name))
  ) {
    return 'supabase-key';
  }
  return 'other';
}

/** Whether a non-empty value is well-formed for its name. */
export function checkForm(name: string, kind: NameKind, value: string, now: Date): FormVerdict {
  switch (kind) {
    case 'database-url':
      return databaseUrlForm(name, value);
    case 'backup-key': {
      const problem = encryptionKeyProblem(value);
      return problem
        ? { ok: false, problem: `${problem}: backup refuses it (use e.g. openssl rand -base64 32)` }
        : { ok: true, detail: 'long enough to encrypt and sign backups' };
    }
    case 'https-url':
      return httpsUrlForm(value);
    case 'supabase-key':
      return supabaseKeyForm(name, value, now);
    default:
      return { ok: true, detail: 'set' };
  }
}

/** Parses with the project's URL parser (as every job does) and names a database. */
function databaseUrlForm(name: string, value: string): FormVerdict {
  const url = value.trim();
  if (!/^postgres(ql)?:\/\//i.test(url)) return { ok: false, problem: 'not a postgres:// URL' };
  let target: DatabaseTarget;
  try {
    target = resolveDatabase(name, url, {});
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return {
      ok: false,
      problem: 'does not parse as postgres://user:password@host:5432/database (percent-encode the password)',
    };
  }
  if (new URL(url).pathname.replace(/^\//, '') === '') {
    return { ok: false, problem: 'names no database: end it with /<database>, e.g. /postgres' };
  }
  return { ok: true, detail: target.display, database: target };
}

const THIS_MACHINE = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https, or plain http to this machine (a local run). Only the host is described. */
function httpsUrlForm(value: string): FormVerdict {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return { ok: false, problem: 'not a URL' };
  }
  if (url.protocol === 'https:') return { ok: true, detail: `https://${url.host}` };
  if (url.protocol === 'http:' && THIS_MACHINE.has(url.hostname)) {
    return { ok: true, detail: `http://${url.host} (this machine)` };
  }
  return {
    ok: false,
    problem: url.protocol === 'http:' ? 'not https' : `not https (a ${url.protocol.slice(0, -1)} URL)`,
  };
}

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const NEW_KEY = /^sb_(publishable|secret)_[A-Za-z0-9_-]{16,}$/;

/**
 * A Supabase key: a JWT (the legacy anon / service_role keys) or the newer `sb_publishable_…` /
 * `sb_secret_…`. A key of the other role is refused: a service_role key where the anon key
 * belongs would hand every client full access.
 */
function supabaseKeyForm(name: string, value: string, now: Date): FormVerdict {
  if (value !== value.trim()) return { ok: false, problem: 'has spaces or a line break around it' };
  const wants = /ANON|PUBLISHABLE/.test(name)
    ? 'anon'
    : /SERVICE_ROLE|SECRET/.test(name)
      ? 'service_role'
      : undefined;
  const newKey = NEW_KEY.exec(value);
  if (newKey) {
    const role = newKey[1] === 'publishable' ? 'anon' : 'service_role';
    if (wants && role !== wants) {
      return { ok: false, problem: `a ${newKey[1]} key (sb_${newKey[1]}_…) where the ${wants} key belongs` };
    }
    return { ok: true, detail: `${newKey[1]} key (sb_${newKey[1]}_…)` };
  }
  if (!JWT.test(value)) {
    return {
      ok: false,
      problem: 'not a Supabase key: neither a JWT (xxx.yyy.zzz) nor sb_publishable_… / sb_secret_…',
    };
  }
  const [header, payload] = value.split('.').slice(0, 2).map(jsonPart);
  if (!header || !payload) return { ok: false, problem: 'not a JWT: its parts are not base64url JSON' };
  const role = typeof payload.role === 'string' ? payload.role : undefined;
  if (wants && role && role !== wants) {
    return { ok: false, problem: `the ${role} key, where the ${wants} key belongs` };
  }
  if (typeof payload.exp === 'number' && payload.exp * 1000 < now.getTime()) {
    return { ok: false, problem: `expired on ${new Date(payload.exp * 1000).toISOString().slice(0, 10)}` };
  }
  return { ok: true, detail: `JWT${role ? `, role ${role}` : ''}` };
}

function jsonPart(part: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
