// Helpers for tests that take backups and compare databases with them.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { compareWithManifest } from '../../scripts/lib/backup/verify.ts';
import type { JobRecord } from '../../scripts/lib/results/job-record.ts';
import type { BackupManifest } from '../../scripts/lib/results/manifest.ts';
import { runScript } from './run-script.ts';
import type { TestDatabase } from './supabase-db.ts';

export const dir = (label: string) => mkdtempSync(path.join(os.tmpdir(), `envsync-${label}-`));
export const record = <R>(d: string, job: string) =>
  JSON.parse(readFileSync(path.join(d, `${job}.json`), 'utf8')) as JobRecord<R>;

/** The database's current state, as a manifest to compare against later. */
export async function snapshotOf(db: TestDatabase): Promise<string> {
  const d = dir('state');
  const run = await runScript('backup', ['--db', db.url, '--out', d]);
  expect(run.code).toBe(0);
  return d;
}

export async function sameAs(
  db: TestDatabase,
  manifestDir: string,
): Promise<{ identical: boolean; tables: string[] }> {
  const manifest = JSON.parse(
    readFileSync(path.join(manifestDir, 'manifest.json'), 'utf8'),
  ) as BackupManifest;
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    const c = await compareWithManifest(sql as never, manifest);
    return { identical: c.identical, tables: c.tables.map((t) => t.table) };
  } finally {
    await sql.end();
  }
}
