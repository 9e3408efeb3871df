// manifest.json: what a backup holds and how to prove a restore of it — the contract
// between backup, prepare (target snapshot), rollback and people restoring by hand.

import { createHmac, scryptSync, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { InputError, JobError } from '../base/errors.ts';
import { readJsonFile } from '../base/json-file.ts';
import { PRIVILEGES } from '../catalog/model.ts';
import { cascadeReach, isPlatformSchema, PLATFORM_DATA_TABLES } from '../catalog/platform.ts';
import type { BackupManifest } from '../results/manifest.ts';
import { MANIFEST_FORMAT } from '../results/manifest.ts';

/** The MAC key: derived from the encryption key with its own label (never the file keys). */
const macKey = (secret: string) => scryptSync(secret, 'envsync manifest mac v1', 32, { N: 2 ** 14 });

const macOf = <T extends { mac?: string }>(m: T, secret: string): string => {
  const { mac: _ignored, ...signed } = m;
  return createHmac('sha256', macKey(secret)).update(JSON.stringify(signed)).digest('hex');
};

/** A manifest (a backup's, a content snapshot's) with its MAC over everything else in it. */
export function signManifest<T extends { mac?: string }>(m: T, secret: string): T {
  return { ...m, mac: macOf(m, secret) };
}

/** Whether the manifest's MAC is the one `secret` gives (compared in constant time). */
export function macMatches<T extends { mac?: string }>(m: T, secret: string): boolean {
  const expected = Buffer.from(macOf(m, secret), 'hex');
  const given = Buffer.from(m.mac ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Refuses (exit 1) a manifest that was altered, or signed with another key, or that lost its
 * MAC while its files are encrypted; returns whether it is authenticated at all (a backup
 * taken without a key is not — the caller says so loudly).
 */
export function verifyManifest(m: BackupManifest, dir: string, secret: string | undefined): boolean {
  const encrypted = m.files.some((f) => f.encrypted);
  if (!m.mac) {
    if (encrypted) {
      throw new JobError(
        `${dir}/manifest.json has encrypted files but no MAC: it was altered`,
        'use the backup as it was written; the target was not touched',
      );
    }
    return false;
  }
  if (!secret) {
    throw new InputError(
      `${dir}/manifest.json is signed and BACKUP_ENCRYPTION_KEY is not set`,
      'set BACKUP_ENCRYPTION_KEY to the key the backup was taken with',
    );
  }
  if (!macMatches(m, secret)) {
    throw new JobError(
      `${dir}/manifest.json does not match its MAC: it was altered, or BACKUP_ENCRYPTION_KEY is not the key it was taken with`,
      'use an intact backup and the key it was taken with; the target was not touched',
    );
  }
  return true;
}

/**
 * The platform tables whose rows a restore of `m` would delete, refused (exit 2) unless the MAC
 * vouches for them or they are the fixed list plus what deleting those already cascades into on
 * the target (`foreignKeys`): an unsigned manifest cannot make a restore delete anything more.
 */
export function checkPlatformTables(
  m: BackupManifest,
  foreignKeys: readonly { table: string; references: string; onDelete: string }[],
): void {
  if (m.mac) return;
  const fixed = m.platformTables.filter((t) => PLATFORM_DATA_TABLES.includes(t));
  const reached = new Set(cascadeReach(foreignKeys, fixed));
  const extra = m.platformTables.filter((t) => !PLATFORM_DATA_TABLES.includes(t) && !reached.has(t));
  if (extra.length) {
    throw new InputError(
      `the backup's platformTables names ${extra.join(', ')} without a MAC to vouch for it`,
      'restore a backup taken with BACKUP_ENCRYPTION_KEY (signed), or one envsync wrote, unedited',
    );
  }
}

/**
 * A masked dump (`backup --mask`) holds other values than the database had: restoring it would
 * replace real rows with masked ones. Bad input (exit 2), before anything is read or touched.
 */
export function refuseMaskedDump(m: Partial<BackupManifest> | null, dir: string): void {
  if (m?.masked === undefined || m.masked === null) return;
  throw new InputError(
    `${dir} holds a masked dump (masked.sql), not a backup of ${m.source?.display ?? 'the database'}: rollback never restores it`,
    'roll back from a backup taken without --mask; a masked dump is restored by hand into an empty database (docs/masking.md)',
  );
}

/** Reads and checks a manifest; anything malformed is bad input (a corrupt artifact). */
export function readManifest(dir: string): BackupManifest {
  const file = path.join(dir, 'manifest.json');
  const raw = readJsonFile(
    file,
    'pass the directory a backup (or prepare’s target snapshot) wrote, with its manifest.json',
  );
  const m = raw as Partial<BackupManifest>;
  refuseMaskedDump(m, dir);
  const problems: string[] = [];
  if (m.format !== MANIFEST_FORMAT)
    problems.push(`format is ${JSON.stringify(m.format)}, expected ${MANIFEST_FORMAT}`);
  if (
    !Array.isArray(m.files) ||
    m.files.some((f) => typeof f?.name !== 'string' || !/^[0-9a-f]{64}$/.test(String(f?.sha256)))
  ) {
    problems.push('files[] is missing or malformed');
  }
  if (
    !Array.isArray(m.tables) ||
    m.tables.some((t) => typeof t?.table !== 'string' || typeof t?.rows !== 'number')
  ) {
    problems.push('tables[] is missing or malformed');
  }
  if (!Array.isArray(m.schemas) || !Array.isArray(m.platformTables) || !Array.isArray(m.sequences)) {
    problems.push('schemas, platformTables or sequences is missing');
  }
  if (!m.source?.identity) problems.push('source identity is missing');
  // What a restore empties is decided here: never a platform schema (the platform tables whose
  // rows it deletes are checked against the target by rollback: checkPlatformTables).
  const platformSchemas = Array.isArray(m.schemas)
    ? m.schemas.filter((s) => isPlatformSchema(String(s)))
    : [];
  if (platformSchemas.length) problems.push(`schemas names platform schemas (${platformSchemas.join(', ')})`);
  // Privilege names go into SQL as words: only PostgreSQL's own.
  const privileges = [
    ...(m.state?.schemaGrants ?? []).map((g) => g.privilege),
    ...(m.state?.globalDefaultPrivileges ?? []).map((d) => d.privilege),
  ];
  if (privileges.some((p) => !PRIVILEGES.includes(String(p))))
    problems.push('state names a privilege PostgreSQL does not have');
  if (
    Array.isArray(m.files) &&
    m.files.some((f) => String(f?.name).includes('/') || String(f?.name).includes('..'))
  ) {
    problems.push('a file name points outside the backup');
  }
  if (problems.length) {
    throw new InputError(
      `${file} is not a valid envsync backup manifest: ${problems.join('; ')}`,
      'take a new backup; do not edit manifests by hand',
    );
  }
  return m as BackupManifest;
}
